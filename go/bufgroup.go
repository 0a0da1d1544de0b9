package hoop

/*
#include "hoopgo.h"
*/
import "C"

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// BufferGroup is a set of equal-sized buffers owned by the C core that the
// kernel picks from when a receive selects a buffer (RecvBuffer): the
// receive says which buffer it filled, the caller reads it with GetBuffer
// and gives it back with ReturnBuffer. The engine must use io_uring (the
// thread pool cannot select buffers: EOPNOTSUPP). Safe for concurrent use.
type BufferGroup struct {
	e    *Engine
	id   uint16
	size int

	mu sync.RWMutex // held (read) around uses of g
	g  *C.hoop_bufgroup

	addrs []unsafe.Pointer // the buffers (the engine's receive group only)
}

// The ids tried for the engine's receive group (recvGroup), from the top
// of the range down; NewBufferGroup callers should avoid them.
const (
	recvGroupID    = 0xffff
	recvGroupTries = 16
)

// recvGroup returns the group that Conns' multishot receives select from,
// making it on first use, or nil where there is none (the thread pool
// cannot select buffers; the group could not be made): Conns then receive
// once per Read.
func (e *Engine) recvGroup() *BufferGroup {
	e.rgOnce.Do(func() {
		for i := 0; i < recvGroupTries; i++ {
			g, err := e.NewBufferGroup(uint16(recvGroupID-i), e.rgCount, e.rgSize)
			if errors.Is(err, syscall.EEXIST) {
				continue
			}
			if err != nil {
				return
			}
			g.addrs = make([]unsafe.Pointer, e.rgCount)
			for b := range g.addrs {
				g.addrs[b] = C.hoop_bufgroup_buf(g.g, C.uint(b))
			}
			e.rg = g
			atomic.StorePointer(&e.rgC, unsafe.Pointer(g.g))
			return
		}
	})
	return e.rg
}

// groupRecv is the engine's receive group as a Conn's recvSource (the
// path where the engine has no receive ring).
type groupRecv BufferGroup

func (g *groupRecv) lockBufs() bool {
	g.mu.RLock()
	if g.g == nil {
		g.mu.RUnlock()
		return false
	}
	return true
}

func (g *groupRecv) unlockBufs() { g.mu.RUnlock() }

func (g *groupRecv) buf(bid uint16) []byte {
	return unsafe.Slice((*byte)(g.addrs[bid]), g.size)
}

// giveBack gives buffers back in one cgo call, ignoring errors (a buffer
// picked without data may not count as out).
func (g *groupRecv) giveBack(bids []uint16) {
	if len(bids) > 0 {
		C.hoopgo_return(g.g, (*C.uint16_t)(unsafe.Pointer(&bids[0])), C.uint(len(bids)))
	}
}

func (g *groupRecv) available() int { return (*BufferGroup)(g).AvailableCount() }

func (g *groupRecv) armRecv(c *Conn) bool { return c.armRecv((*BufferGroup)(g)) }

func (g *groupRecv) done1(c *Conn) {
	c.e.msDone()
	c.g.decref()
}

// cancelRecv: Close's cancel of the engine's operations on the socket
// covers the receive.
func (g *groupRecv) cancelRecv(*Conn) {}

// NewBufferGroup provides count buffers (a power of two, 1..32768) of size
// bytes as group id of e's ring. It fails with EINVAL for bad sizes,
// EEXIST if id is taken, EOPNOTSUPP on the thread-pool backend. Close it
// before the engine.
func (e *Engine) NewBufferGroup(id uint16, count, size int) (*BufferGroup, error) {
	if count <= 0 || size <= 0 || count > 1<<15 || size > 1<<31-1 {
		return nil, &OpError{Op: "bufgroup_create", Err: syscall.EINVAL}
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, &OpError{Op: "bufgroup_create", Err: ErrClosed}
	}
	var g *C.hoop_bufgroup
	if r := C.hoop_bufgroup_create_engine(&g, e.ptr, C.uint16_t(id), C.uint(count), C.uint(size), 0); r < 0 {
		return nil, errno("bufgroup_create", int(r))
	}
	return &BufferGroup{e: e, id: id, size: size, g: g}, nil
}

// ID returns the group's id.
func (g *BufferGroup) ID() uint16 { return g.id }

// Buffer returns buffer bid (as a receive reported it) as a slice over
// C memory, or nil for an unknown bid or a closed group. The slice is
// valid until the buffer is given back or the group closed; copy what must
// outlive that. (C: hoop_bufgroup_buf.)
func (g *BufferGroup) Buffer(bid int) []byte {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.g == nil || bid < 0 {
		return nil
	}
	p := C.hoop_bufgroup_buf(g.g, C.uint(bid))
	if p == nil {
		return nil
	}
	return unsafe.Slice((*byte)(p), g.size)
}

// Return gives buffer bid back to the kernel. It fails with EINVAL
// for an unknown bid and EALREADY for a buffer that is not out.
// (C: hoop_bufgroup_return.)
func (g *BufferGroup) Return(bid int) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.g == nil {
		return &OpError{Op: "bufgroup_return", Err: ErrClosed}
	}
	if bid < 0 {
		return &OpError{Op: "bufgroup_return", Err: syscall.EINVAL}
	}
	return errno("bufgroup_return", int(C.hoop_bufgroup_return(g.g, C.uint(bid))))
}

// Available is the number of buffers the kernel can pick from now.
// (C: hoop_bufgroup_available.)
func (g *BufferGroup) Available() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.g == nil {
		return 0
	}
	return int(C.hoop_bufgroup_available(g.g))
}

// Close unregisters the group and frees its buffers; no receive selecting
// from it may be in flight. Calling it again does nothing.
func (g *BufferGroup) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.g != nil {
		C.hoop_bufgroup_destroy(g.g)
		g.g = nil
	}
	return nil
}

// RecvBuffer receives up to the group's buffer size from socket fd into a
// buffer the kernel picks from g, and returns the byte count and the
// buffer's id: read the data from g.GetBuffer(bid)[:n], then ReturnBuffer.
// n is 0 at end of stream (bid is -1 when no buffer was used). When every
// buffer is out it fails with ENOBUFS.
func (e *Engine) RecvBuffer(ctx context.Context, fd int, g *BufferGroup) (n, bid int, err error) {
	c := getCall()
	c.req.op = C.uint8_t(OpRecv)
	c.req.fd = C.int32_t(fd)
	c.req.len = C.uint32_t(g.size)
	c.req.bufsel = 1
	c.req.buf_group = C.uint16_t(g.id)
	res, err := e.do(ctx, "recv", c)
	flags := c.cflags
	putCall(c)
	bid = int(C.hoop_bufgroup_cqe_bid(C.uint32_t(flags)))
	if bid < 0 {
		bid = -1
	}
	if err != nil {
		// A buffer picked by a receive that then failed is still out.
		if bid >= 0 {
			g.ReturnBuffer(bid)
		}
		return 0, -1, err
	}
	return int(res), bid, nil
}

// GetBuffer is Buffer.
//
// Deprecated: use Buffer, the name of C's hoop_bufgroup_buf.
func (g *BufferGroup) GetBuffer(bid int) []byte { return g.Buffer(bid) }

// ReturnBuffer is Return.
//
// Deprecated: use Return, the name of C's hoop_bufgroup_return.
func (g *BufferGroup) ReturnBuffer(bid int) error { return g.Return(bid) }

// AvailableCount is Available.
//
// Deprecated: use Available, the name of C's hoop_bufgroup_available.
func (g *BufferGroup) AvailableCount() int { return g.Available() }

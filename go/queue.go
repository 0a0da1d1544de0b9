package hoop

/*
#include "hoopgo.h"
*/
import "C"

import (
	"os"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// Request is the name Queue.Add's request type had when it was a type of
// its own, in the shape of gVisor's aio Request; it is now Op, the one
// request type Engine.Submit and Queue.Add both take. Code built with the
// constructors (Read, Write, Readv, Writev) is unchanged. A literal takes
// Op's field names: Request{ID: id, Op: code, FD: fd} is
// Op{UserData: id, Code: code, FD: int(fd)}, and Buf is a []byte (Vecs
// for OpReadv and OpWritev) instead of a pointer and a length.
//
// Deprecated: use Op.
type Request = Op

// Completion is the result of one Op collected by Queue.Wait, as gVisor's
// aio Completion.
type Completion struct {
	ID     uint64 // the Op's UserData
	Result int32  // bytes moved, or -errno
}

// Err is nil when Result >= 0, else the syscall.Errno in Result.
func (c *Completion) Err() error { return resultErr(c.Result) }

// Read returns an Op reading into dst from fd at off, with user data id.
func Read(id uint64, fd int32, off int64, dst []byte) Op {
	return Op{UserData: id, Code: OpRead, FD: int(fd), Off: off, Buf: dst}
}

// Write returns an Op writing src to fd at off, with user data id.
func Write(id uint64, fd int32, off int64, src []byte) Op {
	return Op{UserData: id, Code: OpWrite, FD: int(fd), Off: off, Buf: src}
}

// Readv returns an Op reading into the buffers dsts in order from fd at
// off (preadv(2)), with user data id.
func Readv(id uint64, fd int32, off int64, dsts [][]byte) Op {
	return Op{UserData: id, Code: OpReadv, FD: int(fd), Off: off, Vecs: dsts}
}

// Writev returns an Op writing the buffers srcs in order to fd at off
// (pwritev(2)), with user data id.
func Writev(id uint64, fd int32, off int64, srcs [][]byte) Op {
	return Op{UserData: id, Code: OpWritev, FD: int(fd), Off: off, Vecs: srcs}
}

func iovPtr(iov []syscall.Iovec) unsafe.Pointer {
	if len(iov) == 0 {
		return nil
	}
	return unsafe.Pointer(&iov[0])
}

// Queue is a completion queue on an Engine with gVisor's aio Queue
// interface: add operations (Op), then wait for at least some number of
// completions. Add may be called from any goroutine; Wait and Close by
// one goroutine at a time. Wait parks in Go's netpoller, not in C.
//
// The buffers of an Op (and the iovec array built over its Vecs) are
// pinned from Add until its completion has been returned by Wait; they
// belong to the kernel until then.
type Queue struct {
	e   *Engine
	q   *C.hoop_queue
	cap int

	mu        sync.Mutex // add side, pins
	pins      map[uint64]*pinGroup
	destroyed bool
	reqBuf    []C.struct_hoopgo_req // AddBatch's scratch, under mu
	tokBuf    []C.uint64_t
	spare     *pinGroup // an unused pin group, kept for the next AddBatch

	wmu  sync.Mutex // consumer side
	cbuf []C.struct_hoop_completion
	rc   syscall.RawConn
	f    *os.File
}

// pinGroup holds the pins of one Add call until all its requests are done.
type pinGroup struct {
	p    runtime.Pinner
	left int
}

// NewQueue creates a Queue on e holding up to capacity outstanding
// operations (added and not yet returned by Wait). The engine's Close
// destroys queues still open.
func (e *Engine) NewQueue(capacity int) (*Queue, error) {
	if capacity <= 0 || capacity > e.cap {
		return nil, &OpError{Op: "queue_create", Err: syscall.EINVAL}
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, &OpError{Op: "queue_create", Err: ErrClosed}
	}
	var q *C.hoop_queue
	if r := C.hoop_queue_create(&q, e.ptr, C.uint(capacity)); r < 0 {
		return nil, errno("queue_create", int(r))
	}
	f, err := pollFile(q)
	if err != nil {
		C.hoop_queue_destroy(q)
		return nil, err
	}
	rc, _ := f.SyscallConn()
	qq := &Queue{e: e, q: q, cap: capacity, pins: make(map[uint64]*pinGroup),
		cbuf: make([]C.struct_hoop_completion, min(capacity, 256)), rc: rc, f: f}
	e.queuesMu.Lock()
	e.queues[qq] = struct{}{}
	e.queuesMu.Unlock()
	return qq, nil
}

// Cap returns the queue's capacity.
func (q *Queue) Cap() int { return q.cap }

// Add submits one operation; its completion carries op.UserData as ID. It
// fails with an *OpError wrapping EAGAIN when the queue already holds Cap
// outstanding operations, EINVAL for an unknown Code or an FD out of
// int32's range, ErrClosed after Close.
func (q *Queue) Add(op Op) error {
	return q.AddBatch([]Op{op})
}

// AddBatch submits all of ops with one cgo call: all are added, or none
// (with the error of Add).
func (q *Queue) AddBatch(ops []Op) error {
	n := len(ops)
	if n == 0 {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.destroyed {
		return &OpError{Op: "queue_add", Err: ErrClosed}
	}
	if cap(q.reqBuf) < n {
		q.reqBuf = make([]C.struct_hoopgo_req, n)
		q.tokBuf = make([]C.uint64_t, n)
	}
	reqs, tokens := q.reqBuf[:n], q.tokBuf[:n]
	g := q.spare
	if g == nil {
		g = &pinGroup{}
	}
	q.spare = nil
	pinned := false
	for i := range ops {
		reqs[i] = C.struct_hoopgo_req{id: C.uint64_t(ops[i].UserData)}
		p, err := opReq(&g.p, &reqs[i], &ops[i])
		if err != nil {
			g.p.Unpin()
			q.spare = g
			return &OpError{Op: "queue_add", Err: err}
		}
		pinned = pinned || p
	}
	var nout C.int
	if r := C.hoopgo_add(q.q, &reqs[0], C.uint(n), &tokens[0], nil, 0, &nout, nil); r < 0 {
		g.p.Unpin()
		q.spare = g
		return errno("queue_add", int(r))
	}
	if !pinned {
		q.spare = g // nothing to unpin later (NOPs, fsync): reuse it
		return nil
	}
	g.left = n
	// Wait unpins under q.mu, so it cannot see these tokens before they
	// are recorded.
	for _, t := range tokens {
		q.pins[uint64(t)] = g
	}
	return nil
}

// Wait waits until at least min completions have been collected, then
// returns them (and any others ready, up to len(cs)) in cs[:n]. With min 0
// it returns at once with whatever is ready. It fails with EINVAL when min
// > len(cs) or min > Cap.
func (q *Queue) Wait(cs []Completion, min int) ([]Completion, error) {
	if min < 0 || min > len(cs) || min > q.cap {
		return cs[:0], &OpError{Op: "queue_wait", Err: syscall.EINVAL}
	}
	q.wmu.Lock()
	defer q.wmu.Unlock()
	if q.q == nil {
		return cs[:0], &OpError{Op: "queue_wait", Err: ErrClosed}
	}
	n := 0
	for {
		want := len(cs) - n
		if want > len(q.cbuf) {
			want = len(q.cbuf)
		}
		got := 0
		if want > 0 {
			got = int(C.hoopgo_collect(q.q, &q.cbuf[0], C.uint(want), nil))
			if got < 0 {
				return cs[:n], errno("queue_wait", got)
			}
		}
		if got > 0 {
			q.mu.Lock()
			for i := 0; i < got; i++ {
				c := &q.cbuf[i]
				cs[n+i] = Completion{ID: uint64(c.user_data), Result: int32(c.res)}
				tok := uint64(c.token)
				if g := q.pins[tok]; g != nil {
					delete(q.pins, tok)
					if g.left--; g.left == 0 {
						g.p.Unpin()
					}
				}
			}
			q.mu.Unlock()
			n += got
		}
		if n >= min && (got < want || n == len(cs)) {
			return cs[:n], nil
		}
		if got == want {
			continue
		}
		if err := waitReadable(q.rc, q.q); err != nil {
			return cs[:n], &OpError{Op: "queue_wait", Err: ErrClosed}
		}
	}
}

// Close cancels the requests still in flight, waits until the kernel is
// done with all of them, discards completions not yet collected, unpins
// every buffer and frees the queue, like every other Close in this package
// (io.Closer). It returns nil; calling it again does nothing.
func (q *Queue) Close() error {
	q.Destroy()
	return nil
}

// Destroy is Close without the error result.
//
// Deprecated: use Close.
func (q *Queue) Destroy() {
	q.mu.Lock()
	if q.destroyed {
		q.mu.Unlock()
		return
	}
	q.destroyed = true
	q.mu.Unlock()
	q.f.Close() // wakes a Wait parked in the netpoller
	q.wmu.Lock()
	C.hoop_queue_destroy(q.q)
	q.q = nil
	q.wmu.Unlock()
	q.mu.Lock()
	for t, g := range q.pins {
		delete(q.pins, t)
		if g.left--; g.left == 0 {
			g.p.Unpin()
		}
	}
	q.mu.Unlock()
	q.e.queuesMu.Lock()
	delete(q.e.queues, q)
	q.e.queuesMu.Unlock()
}

// opReq describes op in r, pinning its buffers (and, for OpReadv and
// OpWritev, the iovec array it builds over Vecs) with p; pinned says
// whether anything was. It fails with EINVAL for an unsupported Code or an
// FD that is no int32.
func opReq(p *runtime.Pinner, r *C.struct_hoopgo_req, op *Op) (pinned bool, err error) {
	if op.FD != int(int32(op.FD)) {
		return false, syscall.EINVAL
	}
	r.op = C.uint8_t(op.Code)
	r.fd = C.int32_t(op.FD)
	r.off = C.int64_t(op.Off)
	r.flags = C.uint32_t(op.Flags)
	switch op.Code {
	case OpRead, OpWrite:
		if len(op.Buf) > 0 {
			p.Pin(&op.Buf[0])
			r.addr = C.uint64_t(uintptr(unsafe.Pointer(&op.Buf[0])))
			r.len = C.uint32_t(min(len(op.Buf), maxIO))
			return true, nil
		}
	case OpReadv, OpWritev:
		if len(op.Vecs) > 0 {
			iov := pinIovecs(p, op.Vecs)
			r.addr = C.uint64_t(uintptr(unsafe.Pointer(&iov[0])))
			r.len = C.uint32_t(len(iov))
			return true, nil
		}
	case OpNop, OpFsync:
	default:
		return false, syscall.EINVAL
	}
	return false, nil
}

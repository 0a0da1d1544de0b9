package hoop

/*
#include "hoopgo.h"
*/
import "C"

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// netRing is the ring the Conns of an engine receive on, driven entirely
// from Go. The C core sets it up (hoop_ring_create) and registers its
// provided-buffer ring; from then on SQEs are written and CQEs read in the
// mapped ring memory, drained buffers go back by writing the buffer ring,
// and the kernel is entered with a raw io_uring_enter, only to submit.
//
// Every multishot receive is armed by one goroutine locked to its thread,
// the armer, which otherwise sleeps in read(2) on an eventfd that Conns
// write to when they need a receive armed. The kernel runs a receive as
// task work of the thread that submitted it: it wakes the armer, which
// receives into the buffers in the kernel and sleeps again without running
// any Go code (the read is restarted). Were receives armed by whichever
// thread the reading goroutine ran on, every message would wake an idle
// thread of the Go scheduler. One reaper goroutine parks in Go's
// netpoller on the ring's descriptor (readable while completions wait),
// takes every completion there is and hands each to its Conn. No cgo and
// no C thread on the path of a received message. Sends do not come here: Conn.Write sends directly (and
// through the engine when the socket buffer is full).
type netRing struct {
	r     *Ring
	pf    *os.File // a duplicate of the ring's descriptor, in the netpoller
	meta  []byte   // mmap: the buffer ring's entries
	bufs  []byte   // mmap: count buffers of size bytes
	count int
	size  int
	bgid  uint16
	mask  uint16

	bmu  sync.Mutex // serialises give-backs (tail and entries)
	tail uint16
	out  atomic.Int32 // buffers the kernel has filled and not yet given back

	subs, cqes atomic.Uint64 // operations prepared and completions taken (tests)

	memMu sync.RWMutex // held (read) while buffers are copied from; Lock to unmap

	sqMu sync.Mutex // the submission side of r
	stop bool       // under sqMu: no more receives

	efd   int // the armer's eventfd
	reqMu sync.Mutex
	reqs  []*Conn       // waiting to be armed
	woken bool          // an eventfd write is outstanding
	stopA bool          // the armer is to exit
	armed chan struct{} // closed when the armer has exited

	tabMu sync.Mutex // the receives in flight: conns by slot (user data slot+1)
	conns []*Conn
	free  []uint32
	live  int

	cqHead uint32 // the reaper's
	done   chan struct{}
}

// nrCancelUD is the user data of the ring's cancels (never a slot).
const nrCancelUD = 1 << 62

const nrEntries = 256

// netRing returns the engine's receive ring, starting it on first use, or
// nil where there is none (the thread pool; io_uring refused; no buffer
// ring, before 5.19): Conns then receive through the engine.
func (e *Engine) netRing() *netRing {
	e.nrOnce.Do(func() {
		if e.shut.Load() || e.Backend() != "io_uring" || e.rgCount <= 0 || e.rgCount > 1<<15 ||
			e.rgCount&(e.rgCount-1) != 0 || e.rgSize <= 0 {
			return
		}
		nr := &netRing{count: e.rgCount, size: e.rgSize, done: make(chan struct{}),
			armed: make(chan struct{}), efd: -1}
		if nr.setup() {
			go nr.reap()
			go nr.armer()
			e.nr = nr
		}
	})
	return e.nr
}

// setup creates the ring, its buffers and its poller file.
func (nr *netRing) setup() bool {
	r, err := New(nrEntries, WithFlags(SetupSubmitAll), WithCQSize(4*nrEntries))
	if err != nil {
		return false
	}
	nr.r = r
	if r.fd < 0 || r.mixed {
		nr.teardown()
		return false
	}
	page := syscall.Getpagesize()
	mmap := func(n int) []byte {
		b, err := syscall.Mmap(-1, 0, (n+page-1)&^(page-1), syscall.PROT_READ|syscall.PROT_WRITE,
			syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
		if err != nil {
			return nil
		}
		return b
	}
	nr.meta, nr.bufs = mmap(nr.count*16), mmap(nr.count*nr.size)
	if nr.meta == nil || nr.bufs == nil || !nr.register() {
		nr.teardown()
		return false
	}
	fd, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(r.fd), syscall.F_DUPFD_CLOEXEC, 0)
	if e != 0 {
		nr.teardown()
		return false
	}
	if syscall.SetNonblock(int(fd), true) != nil {
		syscall.Close(int(fd))
		nr.teardown()
		return false
	}
	nr.pf = os.NewFile(fd, "hoop-recv-ring")
	efd, _, e := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC, 0)
	if e != 0 {
		nr.teardown()
		return false
	}
	nr.efd = int(efd)
	nr.cqHead = atomic.LoadUint32(r.cqKhead)
	nr.mask = uint16(nr.count - 1)
	bids := make([]uint16, nr.count)
	for i := range bids {
		bids[i] = uint16(i)
	}
	nr.out.Store(int32(nr.count))
	nr.giveBack(bids)
	return true
}

// register registers the buffer ring under the first free group id.
func (nr *netRing) register() bool {
	for id := 0; id < recvGroupTries; id++ {
		bgid := uint16(recvGroupID - id)
		res := C.hoop_ring_register_buf_ring(nr.r.r, unsafe.Pointer(&nr.meta[0]), C.uint(nr.count), C.uint16_t(bgid), 0)
		if res == -C.EEXIST {
			continue
		}
		if res < 0 {
			return false
		}
		nr.bgid = bgid
		return true
	}
	return false
}

// teardown frees what setup made (the ring first: the kernel then holds
// no buffer).
func (nr *netRing) teardown() {
	if nr.pf != nil {
		nr.pf.Close()
	}
	if nr.r != nil {
		nr.r.Close()
	}
	nr.reqMu.Lock()
	if nr.efd >= 0 {
		syscall.Close(nr.efd)
		nr.efd = -1
	}
	nr.reqMu.Unlock()
	nr.memMu.Lock()
	if nr.meta != nil {
		syscall.Munmap(nr.meta)
	}
	if nr.bufs != nil {
		syscall.Munmap(nr.bufs)
	}
	nr.meta, nr.bufs = nil, nil
	nr.memMu.Unlock()
}

// reap waits in the netpoller for completions and hands them out, until
// close closes the poller file.
func (nr *netRing) reap() {
	defer close(nr.done)
	rc, err := nr.pf.SyscallConn()
	if err != nil {
		return
	}
	for {
		if nr.drain() {
			continue
		}
		// RawRead forgets readiness recorded before the call: the CQ is
		// checked inside, so a completion posted in between is either
		// seen there or raises a new edge.
		if rc.Read(func(uintptr) bool { return nr.ready() }) != nil {
			return
		}
	}
}

// ready reports whether completions wait (or only an enter would show
// them: the CQ overflowed).
func (nr *netRing) ready() bool {
	return atomic.LoadUint32(nr.r.cqKtail) != nr.cqHead ||
		atomic.LoadUint32(nr.r.sqKflags)&sqCQOverflow != 0
}

// drain takes every completion visible and dispatches it; false when there
// was none.
func (nr *netRing) drain() bool {
	r := nr.r
	tail := atomic.LoadUint32(r.cqKtail) // acquire: the CQEs up to it are written
	head := nr.cqHead
	if head == tail {
		if atomic.LoadUint32(r.sqKflags)&sqCQOverflow != 0 {
			r.getEvents() // flush the overflow into the CQ
			return true
		}
		return false
	}
	nr.cqes.Add(uint64(tail - head))
	nr.tabMu.Lock()
	for ; head != tail; head++ {
		e := r.cqeAt(head)
		nr.complete(uint64(e.user_data), int32(e.res), uint32(e.flags))
	}
	nr.tabMu.Unlock()
	nr.cqHead = head
	// Release: the CQEs are read before the kernel may reuse their slots.
	atomic.StoreUint32(r.cqKhead, head)
	return true
}

// complete routes one completion to its Conn. Caller holds tabMu.
func (nr *netRing) complete(ud uint64, res int32, flags uint32) {
	if flags&C.HOOP_CQE_F_BUFFER != 0 {
		nr.out.Add(1)
	}
	if ud == nrCancelUD || ud == 0 || ud > uint64(len(nr.conns)) || nr.conns[ud-1] == nil {
		if flags&C.HOOP_CQE_F_BUFFER != 0 { // a receive nobody waits for
			nr.giveBack([]uint16{uint16(flags >> C.HOOP_CQE_BUFFER_SHIFT)})
		}
		return
	}
	c := nr.conns[ud-1]
	if flags&C.HOOP_CQE_F_MORE == 0 {
		nr.conns[ud-1] = nil
		nr.free = append(nr.free, uint32(ud-1))
		nr.live--
		c.rs.nrUD = 0
	}
	c.onRecv(res, flags)
}

// sqe returns a free SQE, submitting what is prepared when the SQ is full.
// Caller holds sqMu.
func (nr *netRing) sqe() *SQE {
	for i := 0; i < 2; i++ {
		if q := nr.r.GetSQE(); q != nil {
			nr.subs.Add(1)
			return q
		}
		nr.r.submit(0)
	}
	return nil
}

// armer is the thread that submits every receive (see netRing). It exits
// once close asks it to.
func (nr *netRing) armer() {
	runtime.LockOSThread() // for good: the thread ends with the goroutine
	defer close(nr.armed)
	var b [8]byte
	var work []*Conn
	retry := false
	for {
		syscall.Read(nr.efd, b[:])
		nr.reqMu.Lock()
		work, nr.reqs = nr.reqs, work[:0]
		nr.woken = false
		stop := nr.stopA
		nr.reqMu.Unlock()
		nr.sqMu.Lock()
		var refused, prepared []*Conn
		for _, c := range work {
			if nr.arm(c) {
				prepared = append(prepared, c)
			} else {
				refused = append(refused, c)
			}
		}
		if len(prepared) > 0 || retry {
			// A failed submit (EBUSY while the CQ overflows, ENOMEM)
			// leaves the SQEs queued: they go with a later submit, tried
			// again shortly, and their Conns keep waiting.
			_, err := nr.r.submit(0)
			if retry = err != nil; retry {
				time.AfterFunc(time.Millisecond, nr.wake)
			}
		}
		nr.sqMu.Unlock()
		for _, c := range refused {
			// The receive ends before it began: the Read arms again
			// (and receives through the engine once the ring stops).
			c.onRecv(-C.ECANCELED, 0)
		}
		clear(work)
		if stop {
			return
		}
	}
}

// post queues c for the armer and wakes it; false once the ring stops.
func (nr *netRing) post(c *Conn) bool {
	nr.reqMu.Lock()
	if nr.stopA {
		nr.reqMu.Unlock()
		return false
	}
	nr.reqs = append(nr.reqs, c)
	wake := !nr.woken
	nr.woken = true
	nr.reqMu.Unlock()
	if wake {
		nr.wake()
	}
	return true
}

// wake writes the armer's eventfd (nothing once the ring is torn down).
func (nr *netRing) wake() {
	one := [8]byte{1} // little endian: 1
	nr.reqMu.Lock()
	if nr.efd >= 0 {
		syscall.Write(nr.efd, one[:])
	}
	nr.reqMu.Unlock()
}

// arm prepares c's multishot receive, selecting from the ring's buffers;
// false when it cannot. The armer, holding sqMu.
func (nr *netRing) arm(c *Conn) bool {
	if nr.stop {
		return false
	}
	q := nr.sqe()
	if q == nil {
		return false
	}
	nr.tabMu.Lock()
	var slot uint32
	if n := len(nr.free); n > 0 {
		slot = nr.free[n-1]
		nr.free = nr.free[:n-1]
		nr.conns[slot] = c
	} else {
		slot = uint32(len(nr.conns))
		nr.conns = append(nr.conns, c)
	}
	nr.live++
	ud := uint64(slot) + 1
	c.rs.nrUD = ud
	nr.tabMu.Unlock()
	q.fill(C.HOOP_OP_RECV, int32(c.g.fd), 0, 0, 0)
	q.s.flags = C.HOOP_SQE_BUFFER_SELECT
	q.s.ioprio = C.HOOP_RECV_MULTISHOT
	q.s.buf_index = C.uint16_t(nr.bgid)
	q.SetUserData(ud)
	return true
}

// cancelRecv asks the kernel to end c's receive, if one is armed.
func (nr *netRing) cancelRecv(c *Conn) {
	nr.sqMu.Lock()
	defer nr.sqMu.Unlock()
	nr.tabMu.Lock()
	ud := c.rs.nrUD
	nr.tabMu.Unlock()
	if ud == 0 {
		return
	}
	if q := nr.sqe(); q != nil {
		q.PrepareCancel(ud, 0)
		q.SetFlags(SQECQESkipSucc)
		q.SetUserData(nrCancelUD)
		nr.r.submit(0)
	}
}

// close stops the ring: no receive is armed any more, those in flight are
// cancelled (their Conns see the end), and once none is left the reaper
// stops and the ring and its buffers are freed.
func (nr *netRing) close() {
	nr.reqMu.Lock()
	nr.stopA = true
	nr.reqMu.Unlock()
	nr.wake()
	<-nr.armed
	nr.sqMu.Lock()
	nr.stop = true
	nr.sqMu.Unlock()
	for i := 0; ; i++ {
		nr.tabMu.Lock()
		live := nr.live
		nr.tabMu.Unlock()
		if live == 0 {
			break
		}
		if i%50 == 0 {
			nr.sqMu.Lock()
			if q := nr.sqe(); q != nil {
				q.PrepareCancel(0, C.HOOP_ASYNC_CANCEL_ANY|C.HOOP_ASYNC_CANCEL_ALL)
				q.SetUserData(nrCancelUD)
				nr.r.submit(0)
			}
			nr.sqMu.Unlock()
		}
		time.Sleep(time.Millisecond)
	}
	nr.pf.Close()
	<-nr.done
	nr.pf = nil
	nr.teardown()
}

// giveBack returns drained buffers to the kernel: each goes into the
// buffer ring's next entry, and one release store of the tail publishes
// them all.
func (nr *netRing) giveBack(bids []uint16) {
	if len(bids) == 0 {
		return
	}
	nr.bmu.Lock()
	base := unsafe.Pointer(&nr.meta[0])
	tail := nr.tail
	bid0 := *(*uint16)(unsafe.Add(base, 12))
	for _, bid := range bids {
		ent := unsafe.Add(base, uintptr(tail&nr.mask)*16)
		*(*uint64)(ent) = uint64(uintptr(unsafe.Pointer(&nr.bufs[int(bid)*nr.size])))
		*(*uint32)(unsafe.Add(ent, 8)) = uint32(nr.size)
		if tail&nr.mask == 0 {
			bid0 = bid
		} else {
			*(*uint16)(unsafe.Add(ent, 12)) = bid
		}
		tail++
	}
	nr.tail = tail
	// Entry 0's bid and the ring's tail share one aligned word (the tail
	// is entry 0's resv): one release store writes both, after every
	// entry.
	atomic.StoreUint32((*uint32)(unsafe.Add(base, 12)), uint32(bid0)|uint32(tail)<<16)
	nr.out.Add(-int32(len(bids)))
	nr.bmu.Unlock()
}

// The netRing as a Conn's receive source.

func (nr *netRing) buf(bid uint16) []byte {
	return nr.bufs[int(bid)*nr.size : int(bid+1)*nr.size]
}

func (nr *netRing) lockBufs() bool {
	nr.memMu.RLock()
	if nr.bufs == nil {
		nr.memMu.RUnlock()
		return false
	}
	return true
}

func (nr *netRing) unlockBufs() { nr.memMu.RUnlock() }

func (nr *netRing) available() int { return nr.count - int(nr.out.Load()) }

func (nr *netRing) armRecv(c *Conn) bool {
	if !c.g.incref() {
		return false
	}
	rs := &c.rs
	rs.mu.Lock()
	rs.armed, rs.got, rs.src = true, false, nr
	rs.mu.Unlock()
	if !nr.post(c) {
		rs.mu.Lock()
		rs.armed = false
		rs.mu.Unlock()
		c.g.decref()
		return false
	}
	return true
}

func (nr *netRing) done1(c *Conn) { c.g.decref() }

// closeNetRing stops the receive ring, if any (Engine.Close).
func (e *Engine) closeNetRing() {
	e.nrOnce.Do(func() {})
	if e.nr != nil {
		e.nr.close()
	}
}

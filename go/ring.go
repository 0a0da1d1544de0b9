package hoop

/*
#include <stdlib.h>
#include "hoopgo.h"
#include "hoop/inline.h"

static struct hoop_ring_view *hoopgo_ring_view(hoop_ring *r)
{
	return hoop_ring_view_of(r);
}
*/
import "C"

import (
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Ring is one io_uring owned by one goroutine at a time: the low-level
// fast path (get an SQE, prepare it, submit, wait for and consume
// completions). It is NOT safe for concurrent use; share an Engine between
// goroutines instead. With WithFlags(SetupSingleIssuer) (or DEFER_TASKRUN)
// the kernel only accepts submissions from the thread that created the
// ring: call runtime.LockOSThread before New and keep the goroutine locked
// while using the ring.
//
// The C core sets the ring up and owns registration; the mechanical steps
// (GetSQE, the Prepare methods, SetUserData, Submit, PeekCQE, WaitCQE,
// SeenCQE, AdvanceCQ) run in Go over the ring's shared memory, whose
// layout include/hoop/inline.h publishes as part of the ABI, with the same
// memory ordering as the C functions, and enter the kernel with a raw
// io_uring_enter system call only when needed. No cgo call per operation.
//
// The Prepare methods therefore fill the SQE in Go rather than calling
// the hoop_prep_* function of the same operation (a cgo call per SQE would
// cost more than the rest of the operation: issue 15). The two encoders
// are kept equal by shared test vectors (prep_vectors_test.go): for every
// Prepare method the test fills one SQE in Go and one through its
// hoop_prep_* with the same arguments, and compares all 64 bytes; a
// Prepare method without vectors fails it too.
//
// WaitCQE and the SubmitAndWait family block the calling OS thread in the
// kernel, as a ring owner expects.
//
// Buffers given to Prepare* methods are pinned (runtime.Pinner) and belong
// to the kernel until their completion. The pins of an operation are
// released when a final completion (no CQEFMore) carrying its user data is
// seen; operations that share user data keep their pins until all of them
// have completed. Everything is released once no prepared operation is in
// flight, and on Close. Give operations with buffers distinct user data,
// and keep the buffers referenced until their completion.
type Ring struct {
	r  *C.hoop_ring
	v  *C.struct_hoop_ring_view // the C ring's first fields (inline.h)
	fd int                      // for io_uring_enter; -1: through C

	setup    uint32
	features uint32
	sqpoll   bool
	mixed    bool // CQE_MIXED: completions go through the C functions

	// The indices the Go side steps. sqTail is the C ring's sqe_tail
	// (written back when the SQEs are published); sqHead and cqTail are
	// the kernel's indices as last loaded, refreshed when they would stop
	// an operation (both only ever move forward); cqHead is our CQ head,
	// stored to the kernel's with every step (not used on CQE_MIXED
	// rings, whose completions go through the C functions).
	sqHead, sqTail, cqHead, cqTail uint32

	sqKhead, sqKtail, sqKflags *uint32
	cqKhead, cqKtail           *uint32
	sqMask, sqEntries          uint32
	cqMask, cqEntries          uint32
	cqeShift                   uint32 // log2 of the CQE slot size (16 or 32 bytes)
	cqes                       unsafe.Pointer
	reported                   uint32 // SQPOLL: SQEs counted by a submit

	sqes []SQE // one handle per SQE slot, made once
	sqe0 unsafe.Pointer

	inflight int // prepared and not yet seen final

	// Pins: slotPins[i] holds the pins of the operation being prepared in
	// SQE slot i until it is published; then it moves to pinned, keyed by
	// the SQE's user data, until a final completion with that user data.
	slotPins    []*pinRec
	slotPending int
	pinned      map[uint64]*pinRec
	nrecs       int // records in slotPins and pinned
	free        *pinRec

	keep [][]byte // registered buffers, kept alive while registered
	cqe  *C.struct_hoop_cqe

	// The timed wait's io_uring_getevents_arg and timespec, in the Ring
	// so that a wait allocates nothing.
	arg geteventsArg
	ts  C.struct_hoop_timespec
}

// geteventsArg is the kernel's struct io_uring_getevents_arg.
type geteventsArg struct {
	sigmask     uint64
	sigmaskSz   uint32
	minWaitUsec uint32
	ts          uint64
}

// pinRec holds the pins of one operation (or of several that share user
// data: n of them, chained by next from the first).
type pinRec struct {
	p    runtime.Pinner
	n    int
	next *pinRec
}

type ringConfig struct {
	p C.hoop_ring_params
}

// Option configures New.
type Option func(*ringConfig)

// Setup flags for WithFlags (the kernel's IORING_SETUP_* values).
const (
	SetupIOPoll       = C.HOOP_SETUP_IOPOLL
	SetupSQPoll       = C.HOOP_SETUP_SQPOLL
	SetupSQAff        = C.HOOP_SETUP_SQ_AFF
	SetupCQSize       = C.HOOP_SETUP_CQSIZE
	SetupClamp        = C.HOOP_SETUP_CLAMP
	SetupSubmitAll    = C.HOOP_SETUP_SUBMIT_ALL
	SetupCoopTaskrun  = C.HOOP_SETUP_COOP_TASKRUN
	SetupSingleIssuer = C.HOOP_SETUP_SINGLE_ISSUER
	SetupDeferTaskrun = C.HOOP_SETUP_DEFER_TASKRUN
)

// SQE flags for SQE.SetFlags (IOSQE_*).
const (
	SQEFixedFile   = C.HOOP_SQE_FIXED_FILE
	SQEIODrain     = C.HOOP_SQE_IO_DRAIN
	SQEIOLink      = C.HOOP_SQE_IO_LINK
	SQEIOHardlink  = C.HOOP_SQE_IO_HARDLINK
	SQEAsync       = C.HOOP_SQE_ASYNC
	SQECQESkipSucc = C.HOOP_SQE_CQE_SKIP_SUCCESS
)

// CQEFMore in CQE.Flags means more completions of the same operation will
// follow.
const CQEFMore = C.HOOP_CQE_F_MORE

// The kernel's values the Go fast path uses (include/hoop/uapi.h).
const (
	sysIOURingEnter = 426 // io_uring_enter(2), the same on every architecture
	enterGetEvents  = C.HOOP_ENTER_GETEVENTS
	enterSQWakeup   = C.HOOP_ENTER_SQ_WAKEUP
	enterExtArg     = C.HOOP_ENTER_EXT_ARG
	sqNeedWakeup    = C.HOOP_SQ_NEED_WAKEUP
	sqCQOverflow    = C.HOOP_SQ_CQ_OVERFLOW
	sqTaskrun       = C.HOOP_SQ_TASKRUN
	featExtArg      = C.HOOP_FEAT_EXT_ARG
	setupCQEMixed   = C.HOOP_SETUP_CQE_MIXED
	sqeSize         = C.sizeof_struct_hoop_sqe
	cqeSize         = C.sizeof_struct_hoop_cqe
)

// The Go side reads the SQE and CQE through cgo's own translation of the C
// structs; their sizes are the kernel's (checked again by the C core).
var _ = [1]struct{}{}[sqeSize-64]
var _ = [1]struct{}{}[cqeSize-16]

// WithFlags adds raw setup flags (Setup*).
func WithFlags(flags uint32) Option {
	return func(c *ringConfig) { c.p.flags |= C.uint32_t(flags) }
}

// WithSQPoll makes a kernel thread poll the submission queue; it sleeps
// after idle without work (Submit wakes it when needed).
func WithSQPoll(idle time.Duration) Option {
	return func(c *ringConfig) {
		c.p.flags |= C.HOOP_SETUP_SQPOLL
		c.p.sq_thread_idle = C.uint32_t(idle / time.Millisecond)
	}
}

// WithCQSize asks for a completion queue of n entries.
func WithCQSize(n uint32) Option {
	return func(c *ringConfig) {
		c.p.flags |= C.HOOP_SETUP_CQSIZE
		c.p.cq_entries = C.uint32_t(n)
	}
}

// New creates a ring with entries submission slots (rounded up to a power
// of two by the kernel). Errors wrap EPERM or ENOSYS where io_uring is
// unavailable, EINVAL for bad sizes or flags.
func New(entries uint32, opts ...Option) (*Ring, error) {
	var cfg ringConfig
	for _, o := range opts {
		o(&cfg)
	}
	var r *C.hoop_ring
	if res := C.hoop_ring_create(&r, C.uint(entries), &cfg.p); res < 0 {
		return nil, errno("ring_create", int(res))
	}
	g := &Ring{r: r, v: C.hoopgo_ring_view(r), fd: int(C.hoop_ring_fd(r))}
	v := g.v
	g.setup = uint32(C.hoop_ring_setup_flags(r))
	g.features = uint32(C.hoop_ring_features(r))
	g.sqpoll = g.setup&C.HOOP_SETUP_SQPOLL != 0
	g.mixed = v.cq_mixed != 0
	g.sqKhead = (*uint32)(unsafe.Pointer(v.sq_khead))
	g.sqKtail = (*uint32)(unsafe.Pointer(v.sq_ktail))
	g.sqKflags = (*uint32)(unsafe.Pointer(v.sq_kflags))
	g.cqKhead = (*uint32)(unsafe.Pointer(v.cq_khead))
	g.cqKtail = (*uint32)(unsafe.Pointer(v.cq_ktail))
	g.sqMask, g.sqEntries = uint32(v.sq_mask), uint32(v.sq_entries)
	g.cqMask, g.cqEntries = uint32(v.cq_mask), uint32(v.cq_entries)
	g.cqeShift = 4 + uint32(v.cqe_shift)
	g.cqes = unsafe.Pointer(v.cqes)
	g.reported = uint32(v.sqe_head)
	g.sqTail = uint32(v.sqe_tail)
	g.sqHead = atomic.LoadUint32(g.sqKhead)
	if !g.mixed {
		g.cqHead = atomic.LoadUint32(g.cqKhead)
		g.cqTail = g.cqHead
	}
	g.sqes = make([]SQE, g.sqEntries)
	g.sqe0 = unsafe.Pointer(&g.sqes[0])
	g.slotPins = make([]*pinRec, g.sqEntries)
	for i := range g.sqes {
		off := uintptr(i) << uint32(v.sqe_shift) * sqeSize
		g.sqes[i] = SQE{s: (*C.struct_hoop_sqe)(unsafe.Add(unsafe.Pointer(v.sqes), off)), r: g, slot: uint32(i)}
	}
	return g, nil
}

// Close destroys the ring (the kernel cancels what is in flight) and
// releases every pin. Calling it again does nothing.
func (r *Ring) Close() error {
	if r.r == nil {
		return nil
	}
	C.hoop_ring_destroy(r.r)
	r.r, r.v = nil, nil
	r.releaseAll()
	r.sqes = nil
	r.keep = nil
	r.inflight = 0
	return nil
}

// Fd returns the ring's file descriptor.
func (r *Ring) Fd() int { return int(C.hoop_ring_fd(r.r)) }

// SQE is a handle on one submission queue entry in the ring's memory,
// valid until the next Submit. Fill it with one Prepare method, then
// optionally SetUserData and SetFlags. The ring makes one handle per slot
// when it is created, so GetSQE allocates nothing.
type SQE struct {
	s    *C.struct_hoop_sqe // in the ring's mapped SQE array
	r    *Ring
	slot uint32
}

// GetSQE returns the next free SQE, or nil when the submission queue is
// full (Submit first).
func (r *Ring) GetSQE() *SQE {
	// As hoop_ring_get_sqe_inline. Acquire: with SQPOLL the kernel thread
	// frees slots by moving the head.
	tail := r.sqTail
	if tail-r.sqHead >= r.sqEntries && tail-r.sqHeadLoad() >= r.sqEntries {
		return nil
	}
	r.sqTail = tail + 1
	r.inflight++
	return (*SQE)(unsafe.Add(r.sqe0, uintptr(tail&r.sqMask)*unsafe.Sizeof(SQE{})))
}

// sqHeadLoad refreshes sqHead from the kernel's SQ head.
func (r *Ring) sqHeadLoad() uint32 {
	r.sqHead = atomic.LoadUint32(r.sqKhead)
	return r.sqHead
}

// fill writes all 64 bytes of the SQE, as hoop_sqe_fill_inline: whatever
// the slot held before never leaks into a field the kernel checks.
func (q *SQE) fill(op uint8, fd int32, addr uint64, n uint32, off uint64) {
	*q.s = C.struct_hoop_sqe{opcode: C.uint8_t(op), fd: C.int32_t(fd),
		off: C.uint64_t(off), addr: C.uint64_t(addr), len: C.uint32_t(n)}
}

// pinner returns the pins of the operation prepared in this slot.
func (q *SQE) pinner() *runtime.Pinner {
	r := q.r
	rec := r.slotPins[q.slot]
	if rec == nil {
		rec = r.newRec()
		r.slotPins[q.slot] = rec
		r.slotPending++
	}
	return &rec.p
}

func (q *SQE) pin(p []byte) uint64 {
	if len(p) == 0 {
		return 0
	}
	q.pinner().Pin(&p[0])
	return uint64(uintptr(unsafe.Pointer(&p[0])))
}

// SetUserData sets the value returned in this operation's CQE.UserData.
func (q *SQE) SetUserData(v uint64) { q.s.user_data = C.uint64_t(v) }

// SetFlags sets SQE* flags (links, drain, async, fixed file).
func (q *SQE) SetFlags(f uint8) { q.s.flags = C.uint8_t(f) }

// PrepareNop prepares a no-op.
func (q *SQE) PrepareNop() { q.fill(C.HOOP_OP_NOP, -1, 0, 0, 0) }

// PrepareRead prepares a read of len(p) bytes from fd at off (-1: the file
// position) into p.
func (q *SQE) PrepareRead(fd int, p []byte, off int64) {
	q.fill(C.HOOP_OP_READ, int32(fd), q.pin(p), uint32(min(len(p), maxIO)), uint64(off))
}

// PrepareWrite prepares a write of p to fd at off (-1: the file position).
func (q *SQE) PrepareWrite(fd int, p []byte, off int64) {
	q.fill(C.HOOP_OP_WRITE, int32(fd), q.pin(p), uint32(min(len(p), maxIO)), uint64(off))
}

// PrepareReadv prepares a vectored read into bufs from fd at off.
func (q *SQE) PrepareReadv(fd int, bufs [][]byte, off int64) {
	iov := pinIovecs(q.pinner(), bufs)
	q.fill(C.HOOP_OP_READV, int32(fd), uint64(uintptr(iovPtr(iov))), uint32(len(iov)), uint64(off))
}

// PrepareWritev prepares a vectored write of bufs to fd at off.
func (q *SQE) PrepareWritev(fd int, bufs [][]byte, off int64) {
	iov := pinIovecs(q.pinner(), bufs)
	q.fill(C.HOOP_OP_WRITEV, int32(fd), uint64(uintptr(iovPtr(iov))), uint32(len(iov)), uint64(off))
}

// PrepareFsync prepares an fsync of fd (FsyncDataSync: fdatasync).
func (q *SQE) PrepareFsync(fd int, flags uint32) {
	q.fill(C.HOOP_OP_FSYNC, int32(fd), 0, 0, 0)
	q.s.op_flags = C.uint32_t(flags)
}

// PrepareTimeout prepares a timeout that completes with ETIME after d, or
// with 0 once count other completions have been posted (count 0: time
// only).
func (q *SQE) PrepareTimeout(d time.Duration, count uint32) {
	ts := &C.struct_hoop_timespec{tv_sec: C.int64_t(d / time.Second), tv_nsec: C.int64_t(d % time.Second)}
	q.pinner().Pin(ts)
	// len is the number of timespecs: the kernel wants exactly 1.
	q.fill(C.HOOP_OP_TIMEOUT, -1, uint64(uintptr(unsafe.Pointer(ts))), 1, uint64(count))
}

// PrepareAccept prepares an accept(2) on listening socket fd (flags:
// SOCK_NONBLOCK, SOCK_CLOEXEC); the result is the new socket's fd.
func (q *SQE) PrepareAccept(fd int, flags int) {
	q.fill(C.HOOP_OP_ACCEPT, int32(fd), 0, 0, 0)
	q.s.op_flags = C.uint32_t(flags)
}

// PrepareConnect prepares a connect(2) of socket fd to sa (an
// *syscall.SockaddrInet4, *SockaddrInet6 or *SockaddrUnix).
func (q *SQE) PrepareConnect(fd int, sa syscall.Sockaddr) error {
	raw, err := rawSockaddr(sa)
	if err != nil {
		return err
	}
	// The address length travels in off.
	q.fill(C.HOOP_OP_CONNECT, int32(fd), q.pin(raw), 0, uint64(len(raw)))
	return nil
}

// PrepareSend prepares a send(2) of p on socket fd with MSG_* flags.
func (q *SQE) PrepareSend(fd int, p []byte, flags int) {
	q.fill(C.HOOP_OP_SEND, int32(fd), q.pin(p), uint32(min(len(p), maxIO)), 0)
	q.s.op_flags = C.uint32_t(flags)
}

// PrepareRecv prepares a recv(2) into p from socket fd with MSG_* flags.
func (q *SQE) PrepareRecv(fd int, p []byte, flags int) {
	q.fill(C.HOOP_OP_RECV, int32(fd), q.pin(p), uint32(min(len(p), maxIO)), 0)
	q.s.op_flags = C.uint32_t(flags)
}

// PrepareClose prepares a close(2) of fd.
func (q *SQE) PrepareClose(fd int) { q.fill(C.HOOP_OP_CLOSE, int32(fd), 0, 0, 0) }

// PrepareOpenat prepares an openat(2) of path relative to directory dfd
// (AT_FDCWD: the working directory); the result is the new fd.
func (q *SQE) PrepareOpenat(dfd int, path string, flags int, mode uint32) {
	b := append([]byte(path), 0)
	q.fill(C.HOOP_OP_OPENAT, int32(dfd), q.pin(b), mode, 0)
	q.s.op_flags = C.uint32_t(flags)
}

// PrepareCancel prepares the cancellation of the operation whose user data
// is userData (flags: the kernel's IORING_ASYNC_CANCEL_*).
func (q *SQE) PrepareCancel(userData uint64, flags int) {
	q.fill(C.HOOP_OP_ASYNC_CANCEL, -1, userData, 0, 0)
	q.s.op_flags = C.uint32_t(flags)
}

// AT_FDCWD for PrepareOpenat's dfd.
const AtFdCwd = C.AT_FDCWD

// rawSockaddr encodes sa as the kernel's struct sockaddr.
func rawSockaddr(sa syscall.Sockaddr) ([]byte, error) {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		b := make([]byte, syscall.SizeofSockaddrInet4)
		*(*uint16)(unsafe.Pointer(&b[0])) = syscall.AF_INET
		b[2], b[3] = byte(a.Port>>8), byte(a.Port)
		copy(b[4:8], a.Addr[:])
		return b, nil
	case *syscall.SockaddrInet6:
		b := make([]byte, syscall.SizeofSockaddrInet6)
		*(*uint16)(unsafe.Pointer(&b[0])) = syscall.AF_INET6
		b[2], b[3] = byte(a.Port>>8), byte(a.Port)
		copy(b[8:24], a.Addr[:])
		*(*uint32)(unsafe.Pointer(&b[24])) = a.ZoneId
		return b, nil
	case *syscall.SockaddrUnix:
		if len(a.Name) >= 108 {
			return nil, &OpError{Op: "connect", Err: syscall.EINVAL}
		}
		b := make([]byte, 2+len(a.Name)+1)
		*(*uint16)(unsafe.Pointer(&b[0])) = syscall.AF_UNIX
		copy(b[2:], a.Name)
		return b, nil
	}
	return nil, &OpError{Op: "connect", Err: syscall.EAFNOSUPPORT}
}

// ---- pins ----

func (r *Ring) newRec() *pinRec {
	rec := r.free
	if rec != nil {
		r.free = rec.next
		rec.next = nil
	} else {
		rec = new(pinRec)
	}
	r.nrecs++
	return rec
}

// freeChain unpins every record of a chain and keeps them for reuse.
func (r *Ring) freeChain(rec *pinRec) {
	for rec != nil {
		next := rec.next
		rec.p.Unpin()
		rec.n = 0
		rec.next = r.free
		r.free = rec
		r.nrecs--
		rec = next
	}
}

// trackPins moves the pins of the SQEs in [head, tail), now published, to
// the map keyed by their user data.
func (r *Ring) trackPins(head, tail uint32) {
	if r.pinned == nil {
		r.pinned = make(map[uint64]*pinRec)
	}
	for i := head; i != tail && r.slotPending > 0; i++ {
		slot := i & r.sqMask
		rec := r.slotPins[slot]
		if rec == nil {
			continue
		}
		r.slotPins[slot] = nil
		r.slotPending--
		ud := uint64(r.sqes[slot].s.user_data)
		if first := r.pinned[ud]; first != nil {
			rec.next = first.next
			first.next = rec
			first.n++
		} else {
			rec.n = 1
			r.pinned[ud] = rec
		}
	}
}

// releaseAll drops every pin (nothing in flight, or Close).
func (r *Ring) releaseAll() {
	for ud, rec := range r.pinned {
		delete(r.pinned, ud)
		r.freeChain(rec)
	}
	for i, rec := range r.slotPins {
		if rec != nil {
			r.slotPins[i] = nil
			r.freeChain(rec)
		}
	}
	r.slotPending = 0
}

// completed accounts for one consumed completion.
func (r *Ring) completed(ud uint64, flags uint32) {
	if flags&CQEFMore == 0 {
		r.inflight--
		if r.nrecs != 0 {
			r.unpin(ud)
		}
	}
}

// unpin releases the pins of the operations with user data ud once the
// last of them has completed, and every pin once nothing is in flight.
func (r *Ring) unpin(ud uint64) {
	if first := r.pinned[ud]; first != nil {
		if first.n--; first.n == 0 {
			delete(r.pinned, ud)
			r.freeChain(first)
		}
	}
	if r.inflight <= 0 {
		r.inflight = 0
		r.releaseAll()
	}
}

// ---- submission ----

// enter is io_uring_enter(2): a raw system call from Go.
func (r *Ring) enter(toSubmit, minComplete, flags uint32, arg unsafe.Pointer, argsz uintptr) (int, syscall.Errno) {
	if r.fd < 0 { // REGISTERED_FD_ONLY: the C core knows the index
		res := int(C.hoop_ring_enter(r.r, C.uint(toSubmit), C.uint(minComplete), C.uint(flags), arg, C.size_t(argsz)))
		if res < 0 {
			return 0, syscall.Errno(-res)
		}
		return res, 0
	}
	n, _, e := syscall.Syscall6(sysIOURingEnter, uintptr(r.fd), uintptr(toSubmit),
		uintptr(minComplete), uintptr(flags), uintptr(arg), argsz)
	return int(n), e
}

// flush publishes the prepared SQEs (as hoop_ring_flush_sq) and returns how
// many are published and not yet consumed.
func (r *Ring) flush() uint32 {
	v := r.v
	tail := r.sqTail
	if head := uint32(v.sqe_head); head != tail {
		if r.slotPending > 0 {
			r.trackPins(head, tail)
		}
		v.sqe_head, v.sqe_tail = C.uint(tail), C.uint(tail)
		// Release (sync/atomic is sequentially consistent): every SQE up
		// to tail is written before the kernel can see the new tail.
		atomic.StoreUint32(r.sqKtail, tail)
	}
	return tail - r.sqHeadLoad()
}

// publish is the C core's submit_publish: the count this submit call
// reports (and passes to the kernel), and the SQEs pending.
func (r *Ring) publish() (submitted, pending uint32) {
	pending = r.flush()
	if !r.sqpoll {
		return pending, pending
	}
	head := uint32(r.v.sqe_head)
	submitted = head - r.reported
	r.reported = head
	return submitted, pending
}

// sqNeedsEnter is the C core's sq_needs_enter: whether an enter is needed
// to get pending SQEs consumed, and the SQ_WAKEUP flag if the SQPOLL thread
// sleeps. The tail store in flush and this flags load are sequentially
// consistent atomics, so they are not reordered (the C side's full fence).
func (r *Ring) sqNeedsEnter(pending uint32) (bool, uint32) {
	if pending == 0 {
		return false, 0
	}
	if !r.sqpoll {
		return true, 0
	}
	if atomic.LoadUint32(r.sqKflags)&sqNeedWakeup != 0 {
		return true, enterSQWakeup
	}
	return false, 0
}

// cqNeedsFlush: overflowed completions or pending task work need an enter
// to appear. cqNeedsEnter adds IOPOLL, whose completions are polled for.
func (r *Ring) cqNeedsFlush() bool {
	return atomic.LoadUint32(r.sqKflags)&(sqCQOverflow|sqTaskrun) != 0
}

func (r *Ring) cqNeedsEnter() bool {
	return r.setup&C.HOOP_SETUP_IOPOLL != 0 || r.cqNeedsFlush()
}

// submit is the C core's submit_internal: flush, sq_needs_enter and
// cq_needs_enter written out in one function for the common case.
func (r *Ring) submit(waitNr uint32) (int, error) {
	v := r.v
	tail := r.sqTail
	if head := uint32(v.sqe_head); head != tail {
		if r.slotPending > 0 {
			r.trackPins(head, tail)
		}
		v.sqe_head, v.sqe_tail = C.uint(tail), C.uint(tail)
		// Release (sync/atomic is sequentially consistent): every SQE up
		// to tail is written before the kernel can see the new tail.
		atomic.StoreUint32(r.sqKtail, tail)
	}
	pending := tail - r.sqHeadLoad()
	submitted, enter, flags := pending, pending != 0, uint32(0)
	if r.sqpoll {
		submitted = tail - r.reported
		r.reported = tail
		enter, flags = r.sqNeedsEnter(pending)
	}
	if waitNr > 0 || r.setup&C.HOOP_SETUP_IOPOLL != 0 ||
		atomic.LoadUint32(r.sqKflags)&(sqCQOverflow|sqTaskrun) != 0 {
		flags |= enterGetEvents
		enter = true
	}
	if !enter {
		return int(submitted), nil
	}
	for {
		var n int
		var e syscall.Errno
		if r.fd >= 0 {
			var n0 uintptr
			n0, _, e = syscall.Syscall6(sysIOURingEnter, uintptr(r.fd), uintptr(submitted),
				uintptr(waitNr), uintptr(flags), 0, 0)
			n = int(n0)
		} else {
			n, e = r.enter(submitted, waitNr, flags, nil, 0)
		}
		if e == syscall.EINTR && waitNr == 0 {
			continue // a plain submit has nothing to report about a signal
		}
		if e != 0 {
			return -int(e), &OpError{Op: "submit", Err: e}
		}
		if r.sqpoll { // the kernel only echoes to_submit
			n = int(submitted)
		}
		return n, nil
	}
}

// Submit hands every prepared SQE to the kernel and returns how many.
func (r *Ring) Submit() (int, error) { return r.submit(0) }

// SubmitAndWait submits, then waits until at least n completions are
// ready. An interrupted wait (EINTR) is retried.
func (r *Ring) SubmitAndWait(n uint32) (int, error) {
	for {
		res, err := r.submit(n)
		if res == -int(syscall.EINTR) {
			continue
		}
		return res, err
	}
}

// now is CLOCK_MONOTONIC in nanoseconds.
func now() int64 { return int64(time.Since(monoStart)) }

var monoStart = time.Now()

// SubmitAndWaitTimeout submits, then waits up to d for n completions. It
// returns the number submitted; running out of time (ETIME) or a signal
// (EINTR) is not an error: check with PeekCQE.
func (r *Ring) SubmitAndWaitTimeout(n uint32, d time.Duration) (int, error) {
	if r.features&featExtArg == 0 {
		return 0, &OpError{Op: "submit_and_wait_timeout", Err: syscall.EOPNOTSUPP}
	}
	if n > r.cqEntries {
		return 0, &OpError{Op: "submit_and_wait_timeout", Err: syscall.EINVAL}
	}
	if d < 0 {
		d = 0
	}
	submitted, pending := r.publish()
	enterSQ, sqFlags := r.sqNeedsEnter(pending)
	toSubmit := submitted
	deadline := now() + int64(d)
	flushed := false
	for {
		avail := r.cqReady()
		flags := sqFlags
		want := uint32(0)
		if avail < n {
			rem := deadline - now()
			if rem <= 0 {
				if !enterSQ {
					return int(submitted), nil
				}
			} else {
				flags |= enterGetEvents | enterExtArg
				want = n - avail
				if r.mixed { // the kernel counts slots there
					want = min(r.cqSlots()+n-avail, r.cqEntries)
				}
				r.ts = C.struct_hoop_timespec{tv_sec: C.int64_t(rem / 1e9), tv_nsec: C.int64_t(rem % 1e9)}
				r.arg = geteventsArg{sigmaskSz: 8, ts: uint64(uintptr(unsafe.Pointer(&r.ts)))}
			}
		} else if avail == 0 && !flushed && r.cqNeedsEnter() {
			flags |= enterGetEvents
			flushed = true
		} else if !enterSQ {
			return int(submitted), nil
		}
		var argp unsafe.Pointer
		var argsz uintptr
		if flags&enterExtArg != 0 {
			argp, argsz = unsafe.Pointer(&r.arg), unsafe.Sizeof(r.arg)
		}
		_, e := r.enter(toSubmit, want, flags, argp, argsz)
		runtime.KeepAlive(r)
		if e == syscall.ETIME || e == syscall.EINTR {
			return int(submitted), nil
		}
		if e != 0 {
			return 0, &OpError{Op: "submit_and_wait_timeout", Err: e}
		}
		enterSQ, sqFlags, toSubmit = false, 0, 0
		if avail >= n { // the enter was the flush of held-back completions
			return int(submitted), nil
		}
	}
}

// ---- completion ----

// CQE is a copy of one completion queue entry.
type CQE struct {
	UserData uint64 // the SQE's user data
	Res      int32  // result: >= 0, or -errno
	Flags    uint32 // CQEF* flags
}

// Err is nil when Res >= 0, else the syscall.Errno in Res.
func (c CQE) Err() error { return resultErr(c.Res) }

func cqeOf(c *C.struct_hoop_cqe) CQE {
	return CQE{UserData: uint64(c.user_data), Res: int32(c.res), Flags: uint32(c.flags)}
}

// cqeAt is the CQE at ring index i (a plain or CQE32 ring).
func (r *Ring) cqeAt(i uint32) *C.struct_hoop_cqe {
	return (*C.struct_hoop_cqe)(unsafe.Add(r.cqes, uintptr(i&r.cqMask)<<r.cqeShift))
}

// cqTailLoad refreshes cqTail with an acquire load of the kernel's tail:
// the CQEs it covers are visible after it.
func (r *Ring) cqTailLoad() uint32 {
	r.cqTail = atomic.LoadUint32(r.cqKtail)
	return r.cqTail
}

// cqReady is the number of completions ready (hoop_ring_cq_ready).
func (r *Ring) cqReady() uint32 {
	if r.mixed {
		return uint32(C.hoop_ring_cq_ready(r.r))
	}
	return r.cqTailLoad() - r.cqHead
}

// cqSlots is the index distance the ready completions cover.
func (r *Ring) cqSlots() uint32 {
	return atomic.LoadUint32(r.cqKtail) - atomic.LoadUint32(r.cqKhead)
}

// peek is the oldest completion, if any is visible, without entering.
func (r *Ring) peek() (CQE, bool) {
	if r.cqHead == r.cqTail && r.cqHead == r.cqTailLoad() {
		return CQE{}, false
	}
	return cqeOf(r.cqeAt(r.cqHead)), true
}

// PeekCQE returns the oldest unseen completion without waiting; ok is
// false when none is ready.
func (r *Ring) PeekCQE() (c CQE, ok bool) {
	// cqHead == cqTail always on a CQE_MIXED ring (0).
	if head := r.cqHead; head != r.cqTail {
		e := r.cqeAt(head)
		return CQE{UserData: uint64(e.user_data), Res: int32(e.res), Flags: uint32(e.flags)}, true
	}
	return r.peekSlow()
}

// peekSlow is PeekCQE with nothing visible, or on a CQE_MIXED ring.
func (r *Ring) peekSlow() (CQE, bool) {
	if r.mixed {
		return r.peekC()
	}
	if c, ok := r.peek(); ok || !r.cqNeedsEnter() {
		return c, ok
	}
	// Once, to make overflowed or IOPOLL completions or task work show up.
	if _, e := r.enter(0, 0, enterGetEvents, nil, 0); e != 0 {
		return CQE{}, false
	}
	return r.peek()
}

// peekC and waitC are the C core's functions, for CQE_MIXED rings, whose
// CQEs take one or two slots.
func (r *Ring) peekC() (CQE, bool) {
	if C.hoop_ring_peek_cqe(r.r, &r.cqe) < 0 {
		return CQE{}, false
	}
	return cqeOf(r.cqe), true
}

func (r *Ring) waitC() (CQE, error) {
	for {
		res := C.hoop_ring_wait_cqe(r.r, &r.cqe)
		if res == -C.EINTR {
			continue
		}
		if res < 0 {
			return CQE{}, errno("wait_cqe", int(res))
		}
		return cqeOf(r.cqe), nil
	}
}

// WaitCQE waits for the oldest unseen completion and returns a copy; mark
// it consumed with SeenCQE. Blocks the OS thread in the kernel.
func (r *Ring) WaitCQE() (CQE, error) {
	if r.mixed {
		return r.waitC()
	}
	for {
		if c, ok := r.peek(); ok {
			return c, nil
		}
		// The waiting enter also brings in what the kernel holds back
		// (overflow, task work, IOPOLL completions).
		if _, e := r.enter(0, 1, enterGetEvents, nil, 0); e != 0 && e != syscall.EINTR && e != syscall.ETIME {
			return CQE{}, &OpError{Op: "wait_cqe", Err: e}
		}
	}
}

// SeenCQE marks the oldest unseen completion (the one WaitCQE or PeekCQE
// returned) consumed.
func (r *Ring) SeenCQE(CQE) {
	head := r.cqHead
	if head == r.cqTail && (r.mixed || head == r.cqTailLoad()) {
		r.seenSlow()
		return
	}
	r.cqHead = head + 1
	c := r.cqeAt(head)
	ud, flags := uint64(c.user_data), uint32(c.flags)
	// Release: the CQE is read before the kernel may reuse its slot.
	atomic.StoreUint32(r.cqKhead, head+1)
	if flags&CQEFMore == 0 {
		r.inflight--
		if r.nrecs != 0 {
			r.unpin(ud)
		}
	}
}

// seenSlow is SeenCQE on a CQE_MIXED ring, or with no CQE visible.
func (r *Ring) seenSlow() {
	if r.mixed {
		r.advanceC(1)
	}
}

// AdvanceCQ marks the n oldest completions consumed. Once no prepared
// operation is left in flight, the ring releases its buffer pins.
func (r *Ring) AdvanceCQ(n uint32) {
	if r.mixed {
		r.advanceC(n)
		return
	}
	flushed := false
	for n > 0 {
		head := r.cqHead
		got := min(r.cqTailLoad()-head, n)
		if got == 0 {
			if flushed || !r.cqNeedsFlush() {
				return
			}
			r.getEvents()
			flushed = true
			continue
		}
		for i := uint32(0); i < got; i++ {
			c := r.cqeAt(head + i)
			r.completed(uint64(c.user_data), uint32(c.flags))
		}
		r.cqHead = head + got
		atomic.StoreUint32(r.cqKhead, head+got)
		n -= got
	}
}

func (r *Ring) getEvents() {
	for {
		if _, e := r.enter(0, 0, enterGetEvents, nil, 0); e != syscall.EINTR {
			return
		}
	}
}

// advanceC is AdvanceCQ through the C core (CQE_MIXED rings).
func (r *Ring) advanceC(n uint32) {
	for n > 0 {
		if C.hoop_ring_peek_cqe(r.r, &r.cqe) < 0 {
			return
		}
		c := cqeOf(r.cqe)
		C.hoop_ring_cq_advance(r.r, 1)
		r.completed(c.UserData, c.Flags)
		n--
	}
}

// WakeupSQPoll wakes a sleeping SQPOLL kernel thread. It does nothing on a
// ring without SQPOLL. Submit wakes the thread by itself when it sleeps.
func (r *Ring) WakeupSQPoll() error {
	if !r.sqpoll {
		return nil
	}
	if _, e := r.enter(0, 0, enterSQWakeup, nil, 0); e != 0 {
		return &OpError{Op: "enter", Err: e}
	}
	return nil
}

// RegisterEventFd makes the kernel signal eventfd fd for every completion.
func (r *Ring) RegisterEventFd(fd int) error {
	return errno("register_eventfd", int(C.hoop_ring_register_eventfd(r.r, C.int(fd))))
}

// RegisterBuffers registers bufs as fixed buffers 0..len(bufs)-1. The ring
// keeps them alive until UnregisterBuffers or Close.
func (r *Ring) RegisterBuffers(bufs [][]byte) error {
	if len(bufs) == 0 {
		return &OpError{Op: "register_buffers", Err: syscall.EINVAL}
	}
	iov := make([]C.struct_iovec, len(bufs))
	for i, b := range bufs {
		if len(b) > 0 {
			iov[i].iov_base = unsafe.Pointer(&b[0])
			iov[i].iov_len = C.size_t(len(b))
		}
	}
	var p runtime.Pinner
	for _, b := range bufs {
		if len(b) > 0 {
			p.Pin(&b[0])
		}
	}
	res := C.hoop_ring_register_buffers(r.r, &iov[0], C.uint(len(iov)))
	p.Unpin() // the kernel pinned the pages itself; r.keep keeps them alive
	if res < 0 {
		return errno("register_buffers", int(res))
	}
	r.keep = append([][]byte(nil), bufs...)
	return nil
}

// UnregisterBuffers drops the fixed buffer table.
func (r *Ring) UnregisterBuffers() error {
	res := C.hoop_ring_unregister_buffers(r.r)
	if res >= 0 {
		r.keep = nil
	}
	return errno("unregister_buffers", int(res))
}

// RegisterFiles makes fds[i] fixed file i (use its index with SQEFixedFile).
func (r *Ring) RegisterFiles(fds []int) error {
	if len(fds) == 0 {
		return &OpError{Op: "register_files", Err: syscall.EINVAL}
	}
	c := make([]C.int, len(fds))
	for i, fd := range fds {
		c[i] = C.int(fd)
	}
	return errno("register_files", int(C.hoop_ring_register_files(r.r, &c[0], C.uint(len(c)))))
}

// UnregisterFiles drops the fixed file table.
func (r *Ring) UnregisterFiles() error {
	return errno("unregister_files", int(C.hoop_ring_unregister_files(r.r)))
}

// SupportedOps asks the kernel, through this ring, which operations it
// supports (the package-level Probe answers a wider question: whether
// io_uring is usable here at all, and what).
func (r *Ring) SupportedOps() (*ProbeResult, error) {
	var sup [256]C.uint8_t
	n := C.hoop_ring_probe_ops(r.r, &sup[0], C.uint(len(sup)))
	if n < 0 {
		return nil, errno("probe", int(n))
	}
	p := &ProbeResult{Usable: true, Available: true, Known: int(n)}
	for i := range sup {
		p.supported[i] = sup[i] != 0
	}
	return p, nil
}

// Probe is SupportedOps, under a name that the package-level Probe also
// has for another question.
//
// Deprecated: use SupportedOps.
func (r *Ring) Probe() (*ProbeResult, error) { return r.SupportedOps() }

// FileRegistry owns a ring's fixed-file table and maps fds to slots. Like
// the ring, it is used by one goroutine at a time; close it before the
// ring.
type FileRegistry struct {
	reg *C.hoop_file_registry
}

// NewFileRegistry registers a sparse table of slots fixed-file slots on r.
func (r *Ring) NewFileRegistry(slots int) (*FileRegistry, error) {
	var reg *C.hoop_file_registry
	if res := C.hoop_file_registry_create(&reg, r.r, C.uint(slots)); res < 0 {
		return nil, errno("file_registry_create", int(res))
	}
	return &FileRegistry{reg: reg}, nil
}

// Register puts fd into the lowest free slot and returns the slot. The
// caller may close fd afterwards; the slot keeps the file open.
func (f *FileRegistry) Register(fd int) (int, error) {
	s := int(C.hoop_file_registry_register_fd(f.reg, C.int(fd)))
	return s, errno("file_registry_register", s)
}

// Unregister empties fd's slot and returns it.
func (f *FileRegistry) Unregister(fd int) (int, error) {
	s := int(C.hoop_file_registry_unregister_fd(f.reg, C.int(fd)))
	return s, errno("file_registry_unregister", s)
}

// Lookup returns fd's slot (an error wrapping ENOENT if not registered).
func (f *FileRegistry) Lookup(fd int) (int, error) {
	s := int(C.hoop_file_registry_lookup(f.reg, C.int(fd)))
	return s, errno("file_registry_lookup", s)
}

// Count returns the number of slots in use.
func (f *FileRegistry) Count() int { return int(C.hoop_file_registry_count(f.reg)) }

// Cap returns the number of slots.
func (f *FileRegistry) Cap() int { return int(C.hoop_file_registry_capacity(f.reg)) }

// Close unregisters the table and frees the registry.
func (f *FileRegistry) Close() error {
	C.hoop_file_registry_destroy(f.reg)
	f.reg = nil
	return nil
}

package hoop

/*
#include <stdlib.h>
#include "hoopgo.h"

// Mark the nr oldest completions seen; returns how many of them were final
// (no F_MORE), for the binding's in-flight count.
static unsigned hoopgo_ring_advance(hoop_ring *r, unsigned nr)
{
	struct hoop_cqe *cqes[64];
	unsigned finals = 0, done = 0;
	while (done < nr) {
		unsigned want = nr - done > 64 ? 64 : nr - done;
		unsigned got = hoop_ring_peek_batch_cqe(r, cqes, want);
		if (got == 0)
			break;
		for (unsigned i = 0; i < got; i++)
			if (!(cqes[i]->flags & HOOP_CQE_F_MORE))
				finals++;
		hoop_ring_cq_advance(r, got);
		done += got;
	}
	return finals;
}
*/
import "C"

import (
	"runtime"
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
// WaitCQE and the SubmitAndWait family block the calling OS thread in the
// kernel, as a ring owner expects.
//
// Buffers given to Prepare* methods are pinned (runtime.Pinner) and belong
// to the kernel until their completion; the ring releases its pins once no
// prepared operation is left in flight (every final completion seen), and on
// Close.
type Ring struct {
	r        *C.hoop_ring
	pins     runtime.Pinner
	inflight int      // prepared and not yet seen final
	keep     [][]byte // registered buffers, kept alive while registered
	cqe      *C.struct_hoop_cqe
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

// WithFlags adds raw setup flags (Setup*).
func WithFlags(flags uint32) Option {
	return func(c *ringConfig) { c.p.flags |= C.uint32_t(flags) }
}

// WithSQPoll makes a kernel thread poll the submission queue; it sleeps
// after idle without work (wake it with WakeupSQPoll).
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
	return &Ring{r: r}, nil
}

// Close destroys the ring (the kernel cancels what is in flight) and
// releases every pin. Calling it again does nothing.
func (r *Ring) Close() error {
	if r.r == nil {
		return nil
	}
	C.hoop_ring_destroy(r.r)
	r.r = nil
	r.pins.Unpin()
	r.keep = nil
	r.inflight = 0
	return nil
}

// Fd returns the ring's file descriptor.
func (r *Ring) Fd() int { return int(C.hoop_ring_fd(r.r)) }

// SQE is a view of one submission queue entry in the ring's memory,
// valid until the next Submit. Fill it with one Prepare method, then
// optionally SetUserData and SetFlags.
type SQE struct {
	s *C.struct_hoop_sqe
	r *Ring
}

// GetSQE returns the next free SQE, or nil when the submission queue is
// full (Submit first).
func (r *Ring) GetSQE() *SQE {
	s := C.hoop_ring_get_sqe(r.r)
	if s == nil {
		return nil
	}
	r.inflight++
	return &SQE{s: s, r: r}
}

func (q *SQE) pin(p []byte) unsafe.Pointer {
	if len(p) == 0 {
		return nil
	}
	q.r.pins.Pin(&p[0])
	return unsafe.Pointer(&p[0])
}

// SetUserData sets the value returned in this operation's CQE.UserData.
func (q *SQE) SetUserData(v uint64) { C.hoop_sqe_set_data(q.s, C.uint64_t(v)) }

// SetFlags sets SQE* flags (links, drain, async, fixed file).
func (q *SQE) SetFlags(f uint8) { C.hoop_sqe_set_flags(q.s, C.uint(f)) }

// PrepareNop prepares a no-op.
func (q *SQE) PrepareNop() { C.hoop_prep_nop(q.s) }

// PrepareRead prepares a read of len(p) bytes from fd at off (-1: the file
// position) into p.
func (q *SQE) PrepareRead(fd int, p []byte, off int64) {
	C.hoop_prep_read(q.s, C.int(fd), q.pin(p), C.uint32_t(min(len(p), maxIO)), C.uint64_t(off))
}

// PrepareWrite prepares a write of p to fd at off (-1: the file position).
func (q *SQE) PrepareWrite(fd int, p []byte, off int64) {
	C.hoop_prep_write(q.s, C.int(fd), q.pin(p), C.uint32_t(min(len(p), maxIO)), C.uint64_t(off))
}

// PrepareReadv prepares a vectored read into bufs from fd at off.
func (q *SQE) PrepareReadv(fd int, bufs [][]byte, off int64) {
	iov := pinIovecs(&q.r.pins, bufs)
	C.hoop_prep_readv(q.s, C.int(fd), (*C.struct_iovec)(iovPtr(iov)), C.uint(len(iov)), C.uint64_t(off))
}

// PrepareWritev prepares a vectored write of bufs to fd at off.
func (q *SQE) PrepareWritev(fd int, bufs [][]byte, off int64) {
	iov := pinIovecs(&q.r.pins, bufs)
	C.hoop_prep_writev(q.s, C.int(fd), (*C.struct_iovec)(iovPtr(iov)), C.uint(len(iov)), C.uint64_t(off))
}

// PrepareFsync prepares an fsync of fd (FsyncDataSync: fdatasync).
func (q *SQE) PrepareFsync(fd int, flags uint32) { C.hoop_prep_fsync(q.s, C.int(fd), C.uint(flags)) }

// PrepareTimeout prepares a timeout that completes with ETIME after d, or
// with 0 once count other completions have been posted (count 0: time
// only).
func (q *SQE) PrepareTimeout(d time.Duration, count uint32) {
	ts := &C.struct_hoop_timespec{tv_sec: C.int64_t(d / time.Second), tv_nsec: C.int64_t(d % time.Second)}
	q.r.pins.Pin(ts)
	C.hoop_prep_timeout(q.s, ts, C.uint(count), 0)
}

// PrepareAccept prepares an accept(2) on listening socket fd (flags:
// SOCK_NONBLOCK, SOCK_CLOEXEC); the result is the new socket's fd.
func (q *SQE) PrepareAccept(fd int, flags int) {
	C.hoop_prep_accept(q.s, C.int(fd), nil, nil, C.int(flags))
}

// PrepareConnect prepares a connect(2) of socket fd to sa (an
// *syscall.SockaddrInet4, *SockaddrInet6 or *SockaddrUnix).
func (q *SQE) PrepareConnect(fd int, sa syscall.Sockaddr) error {
	raw, err := rawSockaddr(sa)
	if err != nil {
		return err
	}
	q.r.pins.Pin(&raw[0])
	C.hoop_prep_connect(q.s, C.int(fd), (*C.struct_sockaddr)(unsafe.Pointer(&raw[0])), C.socklen_t(len(raw)))
	return nil
}

// PrepareSend prepares a send(2) of p on socket fd with MSG_* flags.
func (q *SQE) PrepareSend(fd int, p []byte, flags int) {
	C.hoop_prep_send(q.s, C.int(fd), q.pin(p), C.size_t(len(p)), C.int(flags))
}

// PrepareRecv prepares a recv(2) into p from socket fd with MSG_* flags.
func (q *SQE) PrepareRecv(fd int, p []byte, flags int) {
	C.hoop_prep_recv(q.s, C.int(fd), q.pin(p), C.size_t(len(p)), C.int(flags))
}

// PrepareClose prepares a close(2) of fd.
func (q *SQE) PrepareClose(fd int) { C.hoop_prep_close(q.s, C.int(fd)) }

// PrepareOpenat prepares an openat(2) of path relative to directory dfd
// (AT_FDCWD: the working directory); the result is the new fd.
func (q *SQE) PrepareOpenat(dfd int, path string, flags int, mode uint32) {
	b := append([]byte(path), 0)
	q.r.pins.Pin(&b[0])
	C.hoop_prep_openat(q.s, C.int(dfd), (*C.char)(unsafe.Pointer(&b[0])), C.int(flags), C.mode_t(mode))
}

// PrepareCancel prepares the cancellation of the operation whose user data
// is userData (flags: the kernel's IORING_ASYNC_CANCEL_*).
func (q *SQE) PrepareCancel(userData uint64, flags int) {
	C.hoop_prep_cancel(q.s, C.uint64_t(userData), C.int(flags))
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

// Submit hands every prepared SQE to the kernel and returns how many.
func (r *Ring) Submit() (int, error) {
	n := C.hoop_ring_submit(r.r)
	return int(n), errno("submit", int(n))
}

// SubmitAndWait submits, then waits until at least n completions are
// ready. An interrupted wait (EINTR) is retried.
func (r *Ring) SubmitAndWait(n uint32) (int, error) {
	res := C.hoop_ring_submit_and_wait(r.r, C.uint(n))
	for res == -C.EINTR {
		res = C.hoop_ring_submit_and_wait(r.r, C.uint(n))
	}
	return int(res), errno("submit_and_wait", int(res))
}

// SubmitAndWaitTimeout submits, then waits up to d for n completions. It
// returns the number submitted; running out of time (ETIME) or a signal
// (EINTR) is not an error: check with PeekCQE.
func (r *Ring) SubmitAndWaitTimeout(n uint32, d time.Duration) (int, error) {
	ts := C.struct_hoop_timespec{tv_sec: C.int64_t(d / time.Second), tv_nsec: C.int64_t(d % time.Second)}
	res := C.hoop_ring_submit_and_wait_timeout(r.r, nil, C.uint(n), &ts, nil)
	if res == -C.ETIME || res == -C.EINTR {
		return 0, nil
	}
	return int(res), errno("submit_and_wait_timeout", int(res))
}

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

// WaitCQE waits for the oldest unseen completion and returns a copy; mark
// it consumed with SeenCQE. Blocks the OS thread in the kernel.
func (r *Ring) WaitCQE() (CQE, error) {
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

// PeekCQE returns the oldest unseen completion without waiting; ok is
// false when none is ready.
func (r *Ring) PeekCQE() (c CQE, ok bool) {
	if C.hoop_ring_peek_cqe(r.r, &r.cqe) < 0 {
		return CQE{}, false
	}
	return cqeOf(r.cqe), true
}

// SeenCQE marks the oldest unseen completion (the one WaitCQE or PeekCQE
// returned) consumed.
func (r *Ring) SeenCQE(CQE) { r.AdvanceCQ(1) }

// AdvanceCQ marks the n oldest completions consumed. Once no prepared
// operation is left in flight, the ring releases its buffer pins.
func (r *Ring) AdvanceCQ(n uint32) {
	finals := int(C.hoopgo_ring_advance(r.r, C.uint(n)))
	r.inflight -= finals
	if r.inflight <= 0 {
		r.inflight = 0
		r.pins.Unpin()
	}
}

// WakeupSQPoll wakes a sleeping SQPOLL kernel thread. It does nothing on a
// ring without SQPOLL.
func (r *Ring) WakeupSQPoll() error {
	if uint32(C.hoop_ring_setup_flags(r.r))&C.HOOP_SETUP_SQPOLL == 0 {
		return nil
	}
	res := C.hoop_ring_enter(r.r, 0, 0, C.HOOP_ENTER_SQ_WAKEUP, nil, 0)
	return errno("enter", int(res))
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

// Probe asks the kernel, through this ring, which operations it supports.
func (r *Ring) Probe() (*ProbeResult, error) {
	var sup [256]C.uint8_t
	n := C.hoop_ring_probe_ops(r.r, &sup[0], C.uint(len(sup)))
	if n < 0 {
		return nil, errno("probe", int(n))
	}
	p := &ProbeResult{Available: true, Known: int(n)}
	for i := range sup {
		p.supported[i] = sup[i] != 0
	}
	return p, nil
}

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

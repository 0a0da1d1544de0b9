package hoop

/*
#include "hoopgo.h"
*/
import "C"

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// Engine is one io_uring shared by any number of goroutines. All methods
// are safe for concurrent use.
//
// Operations go through an internal hoop_queue: a goroutine adds its
// operation (one cgo call, which also collects whatever has already
// completed) and then waits on a channel. One reaper goroutine per engine
// parks in Go's netpoller on the queue's readiness eventfd, collects each
// batch of completions with one cgo call and hands every completion to its
// goroutine. No OS thread is blocked in C while a goroutine waits.
//
// Memory passed to an operation is pinned (runtime.Pinner) from submission
// until the final completion, and belongs to the kernel until then.
type Engine struct {
	ptr *C.hoop_engine
	q   *C.hoop_queue
	cap int

	// sem bounds operations added and not yet collected to the queue's
	// capacity, so adds never fail with EAGAIN; goroutines over the bound
	// park here instead of in C.
	sem     chan struct{}
	batchMu sync.Mutex // serialises multi-slot acquisitions of sem

	mu     sync.RWMutex // held (read) around calls that use ptr or q
	closed bool
	shut   atomic.Bool // closed, readable without mu

	fds fdModes // per descriptor: may ReadAt try the page cache first

	consumer sync.Mutex // owns hoop_queue_wait on q and cbuf
	cbuf     []C.struct_hoop_completion

	// Calls in flight, indexed by their request id minus one (ids are
	// reused once a call's final completion is dispatched).
	pendMu   sync.Mutex
	pend     []*call
	pendFree []uint32
	pendLive int

	// The submission combiner: single operations queue here and whichever
	// goroutine finds no submitter active adds every queued call with one
	// cgo call, so concurrent goroutines share the crossing and the
	// io_uring_enter.
	subMu    sync.Mutex
	subPend  []*call
	subSpare []*call
	subBusy  bool
	sqMax    int                   // most requests in one add (the SQ size)
	subReqs  []C.struct_hoopgo_req // owned by the active submitter
	subToks  []C.uint64_t

	efile      *os.File
	reaperDone chan struct{}

	queuesMu sync.Mutex
	queues   map[*Queue]struct{}

	// The group the connections' multishot receives select from, made on
	// first use (recvGroup); rgC is its C pointer for the collectors.
	rgOnce          sync.Once
	rg              *BufferGroup
	rgC             unsafe.Pointer // *C.hoop_bufgroup, atomic
	rgCount, rgSize int
	msLive          atomic.Int32 // multishot operations armed

	nrOnce sync.Once
	nr     *netRing // the Conns' receive ring (netring.go), made on first use
}

// call is one operation in flight on the engine's internal queue.
type call struct {
	req  C.struct_hoopgo_req
	ch   chan int32 // the final result; buffered, sent exactly once
	pin  runtime.Pinner
	nout C.int

	// Under Engine.pendMu: the token, whether the add call that carried
	// this call has returned (a completion reaped before that is kept in
	// early/eres and delivered by the adder), and whether the submission
	// itself failed (ch then carries -errno of the add).
	tok       C.uint64_t
	submitted bool
	early     bool
	eres      int32
	cflags    uint32 // the final completion's flags, set before ch is sent
	subFailed bool
	fin       bool // the result has been sent on ch

	queued bool   // under Engine.subMu: waiting in subPend
	batch  *Batch // set for ops of a batch (ch unused)
	idx    int

	// ms, set for a multishot operation, is told every completion (res,
	// flags; the last one without HOOP_CQE_F_MORE, before ch is sent) and
	// also a failed submission (flags 0). It runs with Engine.pendMu held:
	// it must only take leaf locks and never block.
	ms func(res int32, flags uint32)
}

var callPool = sync.Pool{New: func() any { return &call{ch: make(chan int32, 1)} }}

// EngineOption configures NewEngine.
type EngineOption func(*engineConfig)

// engineConfig is what the options set: the C engine's parameters and the
// Go side's own settings.
type engineConfig struct {
	p                   C.hoop_engine_params
	recvCount, recvSize int
	err                 error // an option's invalid argument, reported by NewEngine
}

// WithEngineRecvBuffers sets the buffer group that the multishot receives
// of the engine's Conns select from: count buffers (a power of two,
// 1..32768; default 512) of size bytes (default 4096). The group is made
// the first time a Conn reads; where it cannot be (the thread-pool
// backend), Conns receive with one operation per Read.
func WithEngineRecvBuffers(count, size int) EngineOption {
	return func(p *engineConfig) { p.recvCount, p.recvSize = count, size }
}

// WithEngineEntries sets the engine ring's submission queue size (default
// 256) and completion queue size (0: four times entries).
func WithEngineEntries(sq, cq uint32) EngineOption {
	return func(p *engineConfig) {
		p.p.sq_entries = C.uint32_t(sq)
		p.p.cq_entries = C.uint32_t(cq)
	}
}

// WithEngineMaxInflight bounds the operations in flight (default: the CQ
// size minus an internal reserve). Goroutines beyond it wait their turn.
func WithEngineMaxInflight(n uint32) EngineOption {
	return func(p *engineConfig) { p.p.max_inflight = C.uint32_t(n) }
}

// WithEngineBatch lets the engine hold submissions back until count of them
// wait or the oldest waited usec microseconds, trading latency for fewer
// system calls.
func WithEngineBatch(count, usec uint32) EngineOption {
	return func(p *engineConfig) {
		p.p.batch_count = C.uint32_t(count)
		p.p.batch_usec = C.uint32_t(usec)
	}
}

// WithEngineSQPoll makes a kernel thread poll the submission queue, idling
// after idleMs milliseconds without work.
func WithEngineSQPoll(idleMs uint32) EngineOption {
	return func(p *engineConfig) {
		p.p.flags |= C.HOOP_ENGINE_SQPOLL
		p.p.sq_thread_idle = C.uint32_t(idleMs)
	}
}

// NewEngine creates an engine and starts its reaper goroutine. It fails
// with an *OpError wrapping EPERM or ENOSYS where io_uring is unavailable,
// and wrapping EINVAL for an invalid option or an unknown backend name
// (WithEngineBackend, or the environment variable HOOP_BACKEND), with the
// accepted names in its text. Call Close when done.
func NewEngine(opts ...EngineOption) (*Engine, error) {
	cfg := engineConfig{recvCount: 512, recvSize: 4096}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.err != nil {
		return nil, &OpError{Op: "engine_create", Err: cfg.err}
	}
	p := cfg.p
	// Go's runtime puts a handler on every signal at start-up, so the
	// thread pool's cancel signal (SIGRTMIN+3 unless HOOP_POOL_SIGNAL says
	// otherwise) is never free here: let hoop take it.
	p.flags |= C.HOOP_ENGINE_POOL_SIGNAL_TAKE
	var ptr *C.hoop_engine
	if r := C.hoop_engine_create(&ptr, &p); r < 0 {
		return nil, createErr(int(r))
	}
	capacity := C.hoop_engine_max_inflight(ptr)
	sqMax := int(p.sq_entries)
	if sqMax == 0 {
		sqMax = 256
	}
	sqMax = min(sqMax, int(capacity))
	var q *C.hoop_queue
	if r := C.hoop_queue_create(&q, ptr, capacity); r < 0 {
		C.hoop_engine_destroy(ptr)
		return nil, errno("queue_create", int(r))
	}
	f, err := pollFile(q)
	if err != nil {
		C.hoop_queue_destroy(q)
		C.hoop_engine_destroy(ptr)
		return nil, err
	}
	e := &Engine{
		ptr:        ptr,
		q:          q,
		cap:        int(capacity),
		sqMax:      sqMax,
		sem:        make(chan struct{}, int(capacity)),
		cbuf:       make([]C.struct_hoop_completion, 256),
		efile:      f,
		reaperDone: make(chan struct{}),
		queues:     make(map[*Queue]struct{}),
		rgCount:    cfg.recvCount,
		rgSize:     cfg.recvSize,
	}
	go e.reaper()
	return e, nil
}

// reaper waits in the netpoller for the queue's eventfd, then collects and
// dispatches completions until the queue is empty again.
func (e *Engine) reaper() {
	defer close(e.reaperDone)
	rc, err := e.efile.SyscallConn()
	if err != nil {
		return
	}
	for {
		e.consumer.Lock()
		n := e.collectLocked()
		e.consumer.Unlock()
		if n == len(e.cbuf) {
			continue // there may be more
		}
		if waitReadable(rc, e.q) != nil {
			return // Close closed the file
		}
	}
}

// collectLocked moves ready completions out of the queue and dispatches
// them. Caller holds e.consumer.
func (e *Engine) collectLocked() int {
	n := int(C.hoopgo_collect(e.q, &e.cbuf[0], C.uint(len(e.cbuf)), e.rgPtr()))
	if n > 0 {
		e.dispatch(e.cbuf[:n])
	}
	return n
}

// rgPtr is the engine group's C pointer for the collectors (nil: none).
func (e *Engine) rgPtr() *C.hoop_bufgroup {
	return (*C.hoop_bufgroup)(atomic.LoadPointer(&e.rgC))
}

// dispatch hands each completion to its waiting goroutine or batch.
func (e *Engine) dispatch(cs []C.struct_hoop_completion) {
	e.pendMu.Lock()
	for i := range cs {
		id := uint64(cs[i].user_data) &^ uint64(C.HOOPGO_UD_GROUP)
		res, flags := int32(cs[i].res), uint32(cs[i].flags)
		if flags&C.HOOP_CQE_F_MORE != 0 {
			// A multishot operation goes on: tell its owner.
			if id != 0 && id <= uint64(len(e.pend)) {
				if c := e.pend[id-1]; c != nil && c.ms != nil {
					c.ms(res, flags)
				}
			}
			continue
		}
		c := e.unpend(id)
		if c == nil {
			continue
		}
		<-e.sem
		c.cflags = flags
		if !c.submitted {
			// Reaped before its add call returned: the adder delivers.
			c.early, c.eres = true, res
			continue
		}
		deliver(c, res)
	}
	e.pendMu.Unlock()
}

// enpend records c as in flight and returns its id. Caller holds pendMu.
func (e *Engine) enpend(c *call) uint64 {
	e.pendLive++
	if n := len(e.pendFree); n > 0 {
		i := e.pendFree[n-1]
		e.pendFree = e.pendFree[:n-1]
		e.pend[i] = c
		return uint64(i) + 1
	}
	e.pend = append(e.pend, c)
	return uint64(len(e.pend))
}

// unpend forgets the call with id and returns it (nil for an unknown id).
// Caller holds pendMu.
func (e *Engine) unpend(id uint64) *call {
	if id == 0 || id > uint64(len(e.pend)) || e.pend[id-1] == nil {
		return nil
	}
	c := e.pend[id-1]
	e.pend[id-1] = nil
	e.pendFree = append(e.pendFree, uint32(id-1))
	e.pendLive--
	return c
}

// deliver hands a call its final result. Caller holds e.pendMu.
func deliver(c *call, res int32) {
	if c.ms != nil {
		c.ms(res, c.cflags)
	}
	c.fin = true
	if b := c.batch; b != nil {
		b.res[c.idx].Res = res
		if b.left.Add(-1) == 0 {
			b.done <- struct{}{}
		}
	} else {
		c.ch <- res
	}
}

// acquire takes n slots of the queue's capacity, parking the goroutine
// (not a thread) while it is full.
func (e *Engine) acquire(ctx context.Context, n int) error {
	if n > 1 {
		e.batchMu.Lock()
		defer e.batchMu.Unlock()
	}
	for i := 0; i < n; i++ {
		select {
		case e.sem <- struct{}{}:
			continue
		default:
		}
		select {
		case e.sem <- struct{}{}:
		case <-ctx.Done():
			for ; i > 0; i-- {
				<-e.sem
			}
			return ctx.Err()
		}
	}
	return nil
}

// msAcquire takes a slot for a long-lived multishot operation, without
// waiting: it refuses when multishots would hold more than half of the
// capacity (one-shot operations must always find room) or when the queue
// is full right now. msRelease undoes it before submission; msDone is
// called from the operation's final completion (dispatch releases the
// slot itself).
func (e *Engine) msAcquire() bool {
	if int(e.msLive.Add(1)) > e.cap/2 {
		e.msLive.Add(-1)
		return false
	}
	select {
	case e.sem <- struct{}{}:
		return true
	default:
		e.msLive.Add(-1)
		return false
	}
}

func (e *Engine) msRelease() {
	<-e.sem
	e.msLive.Add(-1)
}

func (e *Engine) msDone() { e.msLive.Add(-1) }

func (e *Engine) release(n int) {
	for i := 0; i < n; i++ {
		<-e.sem
	}
}

// add submits the calls' requests in one C call. Each call is registered
// under its id before the kernel can complete it, and gets its token once
// the call returns; the calling goroutine also collects what has completed
// already when nobody else is collecting. Returns 0 or -errno (nothing
// submitted).
func (e *Engine) add(calls []*call, reqs []C.struct_hoopgo_req, tokens []C.uint64_t, nout *C.int) int {
	e.pendMu.Lock()
	for i, c := range calls {
		reqs[i].id = C.uint64_t(e.enpend(c))
		if c.req.mshot != 0 && c.req.op == C.uint8_t(OpRecv) {
			reqs[i].id |= C.HOOPGO_UD_GROUP
		}
		c.submitted, c.early, c.fin = false, false, false
	}
	e.pendMu.Unlock()
	e.mu.RLock()
	var r C.int
	if e.closed {
		r = -C.ESHUTDOWN
	} else if e.consumer.TryLock() {
		r = C.hoopgo_add(e.q, &reqs[0], C.uint(len(reqs)), &tokens[0], &e.cbuf[0], C.uint(len(e.cbuf)), nout, e.rgPtr())
		if *nout > 0 {
			e.dispatch(e.cbuf[:*nout])
		}
		e.consumer.Unlock()
	} else {
		r = C.hoopgo_add(e.q, &reqs[0], C.uint(len(reqs)), &tokens[0], nil, 0, nout, nil)
	}
	e.mu.RUnlock()
	e.pendMu.Lock()
	for i, c := range calls {
		if r < 0 {
			e.unpend(uint64(reqs[i].id) &^ uint64(C.HOOPGO_UD_GROUP))
			continue
		}
		c.tok = tokens[i]
		c.submitted = true
		if c.early {
			deliver(c, c.eres)
		}
	}
	e.pendMu.Unlock()
	return int(r)
}

// submit hands c (whose slot is acquired) to the combiner: c is added
// either by this goroutine, together with every call queued meanwhile, or
// by the goroutine already adding. Its result, or the add's error with
// subFailed set, arrives on c.ch.
func (e *Engine) submit(c *call) {
	e.subMu.Lock()
	c.queued = true
	e.subPend = append(e.subPend, c)
	if e.subBusy {
		e.subMu.Unlock()
		return
	}
	e.subBusy = true
	// Let the goroutines already runnable on this P queue their operations
	// first: they then share this add (most of the batching comes from
	// here, since the other goroutines of this P cannot run while it is in
	// C).
	e.subMu.Unlock()
	runtime.Gosched()
	e.subMu.Lock()
	for len(e.subPend) > 0 {
		batch := e.subPend
		e.subPend = e.subSpare[:0]
		if len(batch) > e.sqMax {
			// One add may not exceed the SQ: the rest waits its turn.
			e.subPend = append(e.subPend, batch[e.sqMax:]...)
			batch = batch[:e.sqMax]
		}
		for _, b := range batch {
			b.queued = false
		}
		e.subMu.Unlock()

		if cap(e.subReqs) < len(batch) {
			e.subReqs = make([]C.struct_hoopgo_req, len(batch))
			e.subToks = make([]C.uint64_t, len(batch))
		}
		reqs, toks := e.subReqs[:len(batch)], e.subToks[:len(batch)]
		for i, b := range batch {
			reqs[i] = b.req
		}
		var nout C.int
		if r := e.add(batch, reqs, toks, &nout); r < 0 {
			e.release(len(batch))
			e.pendMu.Lock()
			for _, b := range batch {
				if b.ms != nil {
					b.ms(int32(r), 0)
				}
				b.subFailed, b.fin = true, true
				b.ch <- int32(r)
			}
			e.pendMu.Unlock()
		}
		clear(batch)

		e.subMu.Lock()
		e.subSpare = batch[:0]
	}
	e.subBusy = false
	e.subMu.Unlock()
}

// unqueue takes c back out of the combiner if it has not been handed to C
// yet, releasing its slot; it reports whether it did.
func (e *Engine) unqueue(c *call) bool {
	e.subMu.Lock()
	defer e.subMu.Unlock()
	if !c.queued {
		return false
	}
	for i, p := range e.subPend {
		if p == c {
			e.subPend = append(e.subPend[:i], e.subPend[i+1:]...)
			e.subPend = e.subPend[:len(e.subPend):len(e.subPend)]
			break
		}
	}
	c.queued = false
	e.release(1)
	return true
}

// token returns c's token once its add call has returned (ok false before,
// or when the add failed).
func (e *Engine) token(c *call) (uint64, bool) {
	e.pendMu.Lock()
	defer e.pendMu.Unlock()
	return uint64(c.tok), c.submitted && !c.subFailed
}

// cancel asks the kernel to stop the operation with token tok; its final
// completion still arrives (as ECANCELED or its real result).
func (e *Engine) cancel(tok uint64) {
	e.mu.RLock()
	if !e.closed {
		C.hoop_engine_cancel(e.ptr, C.uint64_t(tok))
	}
	e.mu.RUnlock()
}

// do runs c's prepared request to its final completion. On ctx cancel it
// cancels the operation and still waits for the final completion, so the
// kernel is done with the buffers when do returns.
func (e *Engine) do(ctx context.Context, name string, c *call) (int32, error) {
	if err := ctx.Err(); err != nil {
		return 0, &OpError{Op: name, Err: err}
	}
	if err := e.acquire(ctx, 1); err != nil {
		return 0, &OpError{Op: name, Err: err}
	}
	e.submit(c)
	var res int32
	done := ctx.Done()
	if done == nil {
		res = <-c.ch // cannot be cancelled: skip the select
	} else {
		select {
		case res = <-c.ch:
		case <-done:
			res = e.abandon(c)
			if c.subFailed {
				return 0, &OpError{Op: name, Err: ctx.Err()}
			}
			if res < 0 {
				res = 0
			}
			return res, &OpError{Op: name, Err: ctx.Err()}
		}
	}
	if c.subFailed {
		if res == -C.ESHUTDOWN {
			return 0, &OpError{Op: name, Err: ErrClosed}
		}
		return 0, errno(name, int(res))
	}
	if res < 0 {
		return 0, &OpError{Op: name, Err: syscall.Errno(-res)}
	}
	return res, nil
}

// cancelCall asks for c's operation to end early, without waiting: a call
// still queued in the combiner is taken out and receives -ECANCELED; one in
// the kernel is cancelled (its final completion arrives as usual). The
// caller must know that c is not recycled meanwhile (its owner has not
// received its result yet, or waits for the caller's lock).
func (e *Engine) cancelCall(c *call) {
	if e.unqueue(c) {
		c.ch <- -int32(syscall.ECANCELED)
		return
	}
	for {
		e.pendMu.Lock()
		tok, sub, fin := uint64(c.tok), c.submitted, c.fin
		e.pendMu.Unlock()
		if fin {
			return
		}
		if sub {
			e.cancel(tok)
			return
		}
		runtime.Gosched() // the add carrying c is in progress
	}
}

// cancelFD cancels every operation in flight on fd.
func (e *Engine) cancelFD(fd int) {
	e.mu.RLock()
	if !e.closed {
		C.hoop_engine_cancel_fd(e.ptr, C.int(fd), 0)
	}
	e.mu.RUnlock()
}

// abandon cancels c's operation and waits for its final result, which it
// returns (-ECANCELED when c never reached the kernel). The kernel is done
// with c's buffers when it returns.
func (e *Engine) abandon(c *call) int32 {
	if e.unqueue(c) {
		return -int32(syscall.ECANCELED)
	}
	for {
		if tok, ok := e.token(c); ok {
			e.cancel(tok)
			return <-c.ch
		}
		select {
		case res := <-c.ch:
			return res
		default:
			runtime.Gosched() // the add carrying c is in progress
		}
	}
}

func getCall() *call {
	c := callPool.Get().(*call)
	c.req = C.struct_hoopgo_req{}
	c.subFailed, c.fin = false, false
	c.ms = nil
	return c
}

func putCall(c *call) {
	c.pin.Unpin()
	c.batch = nil
	callPool.Put(c)
}

func bufAddr(c *call, p []byte) (C.uint64_t, C.uint32_t) {
	if len(p) == 0 {
		return 0, 0
	}
	c.pin.Pin(&p[0])
	n := len(p)
	if n > maxIO {
		n = maxIO
	}
	return C.uint64_t(uintptr(unsafe.Pointer(&p[0]))), C.uint32_t(n)
}

func (e *Engine) rw(ctx context.Context, name string, op uint8, fd int, p []byte, off int64) (int, error) {
	c := getCall()
	c.req.op = C.uint8_t(op)
	c.req.fd = C.int32_t(fd)
	c.req.off = C.int64_t(off)
	c.req.addr, c.req.len = bufAddr(c, p)
	n, err := e.do(ctx, name, c)
	putCall(c)
	return int(n), err
}

// ReadAt reads up to len(p) bytes from fd at offset off (-1: at the file
// position, advancing it), like pread(2): it may return fewer bytes than
// asked, and 0 with a nil error at end of file. p belongs to the kernel
// until ReadAt returns. On ctx cancellation the read is cancelled and the
// error wraps ctx.Err().
//
// What the page cache holds is read at once in the calling goroutine, with
// preadv2(RWF_NOWAIT) (no cgo, no ring); a read that would wait for the
// device (or the part of it that would) is one read operation through the
// ring, the goroutine parked meanwhile. That first try is skipped for a
// descriptor opened with O_DIRECT (fcntl tells, the first time ReadAt sees
// the descriptor: see ForgetFD).
func (e *Engine) ReadAt(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	if len(p) > 0 && e.fds.mode(fd) == fdNowait {
		n, done, errno, err := e.readFirst(ctx, fd, p, off)
		if done {
			return n, err
		}
		if nowaitRefused(errno) {
			e.fds.set(fd, fdRing)
		}
	}
	return e.rw(ctx, "read", OpRead, fd, p, off)
}

// WriteAt writes up to len(p) bytes of p to fd at offset off (-1: at the
// file position) with one write operation, like pwrite(2): it may write
// fewer bytes than asked. Cancellation as for ReadAt.
func (e *Engine) WriteAt(ctx context.Context, fd int, p []byte, off int64) (int, error) {
	return e.rw(ctx, "write", OpWrite, fd, p, off)
}

// Fsync flushes fd to storage, like fsync(2); FsyncDataSync in flags makes
// it fdatasync(2).
func (e *Engine) Fsync(ctx context.Context, fd int, flags uint32) error {
	c := getCall()
	c.req.op = C.uint8_t(OpFsync)
	c.req.fd = C.int32_t(fd)
	c.req.flags = C.uint32_t(flags)
	_, err := e.do(ctx, "fsync", c)
	putCall(c)
	return err
}

// Fdatasync flushes fd's data to storage, like fdatasync(2) and
// os.File.Sync's data-only cousin: Fsync with FsyncDataSync.
func (e *Engine) Fdatasync(ctx context.Context, fd int) error {
	return e.Fsync(ctx, fd, FsyncDataSync)
}

// Nop runs one no-op through the ring: the cost of a round trip.
func (e *Engine) Nop(ctx context.Context) error {
	c := getCall()
	c.req.op = C.uint8_t(OpNop)
	_, err := e.do(ctx, "nop", c)
	putCall(c)
	return err
}

// MaxInflight is the number of operations the engine keeps in flight at
// most (C: hoop_engine_max_inflight; Python: Engine.max_inflight).
func (e *Engine) MaxInflight() int { return e.cap }

// Cap is MaxInflight.
//
// Deprecated: use MaxInflight (Queue.Cap is a queue's capacity).
func (e *Engine) Cap() int { return e.cap }

// Backend names the implementation serving the engine: "io_uring" or
// "threads".
func (e *Engine) Backend() string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return ""
	}
	if C.hoop_engine_backend(e.ptr) == C.HOOP_BACKEND_THREADS {
		return "threads"
	}
	return "io_uring"
}

// BackendReason says in words which backend serves the engine and why
// ("io_uring: available", or why the thread pool was chosen).
func (e *Engine) BackendReason() string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return ""
	}
	return C.GoString(C.hoop_engine_backend_reason(e.ptr))
}

// WithEngineBackend forces the backend: "io_uring" or "uring" (no
// fallback), "threads" (the thread pool), or "" for the default (io_uring,
// falling back to the thread pool where io_uring is refused; the
// environment variable HOOP_BACKEND=uring|threads overrides the default).
// Any other name makes NewEngine fail with an error wrapping EINVAL.
func WithEngineBackend(name string) EngineOption {
	return func(p *engineConfig) {
		switch name {
		case "io_uring", "uring":
			p.p.backend = C.HOOP_BACKEND_URING
		case "threads":
			p.p.backend = C.HOOP_BACKEND_THREADS
		case "":
			p.p.backend = C.HOOP_BACKEND_AUTO
		default:
			p.err = &invalidError{"WithEngineBackend: unknown backend " + strconv.Quote(name) +
				` (accepted: "io_uring" or "uring", "threads", "" for the default)`}
		}
	}
}

// createErr is the error of hoop_engine_create's result r (-errno). The C
// core refuses an unknown HOOP_BACKEND with -EINVAL; the error then names
// the variable, its value and the accepted values.
func createErr(r int) error {
	if env, set := os.LookupEnv("HOOP_BACKEND"); set && r == -int(syscall.EINVAL) &&
		env != "uring" && env != "threads" {
		return &OpError{Op: "engine_create", Err: &invalidError{"HOOP_BACKEND=" +
			strconv.Quote(env) + " is not a backend (accepted: uring, threads)"}}
	}
	return errno("engine_create", r)
}

// Metrics is a snapshot of an engine's counters.
type Metrics struct {
	Submitted       uint64 // operations accepted
	Completed       uint64 // final results delivered
	CQEs            uint64 // completion entries reaped
	Inflight        uint64 // accepted and not yet final
	Enters          uint64 // io_uring_enter calls that submitted
	SQEsEntered     uint64 // SQEs passed by those calls
	Wakeups         uint64 // sleeping waiters woken by another thread
	ReapsByWaiters  uint64 // CQEs reaped by submitting or waiting threads
	ReapsByThread   uint64 // CQEs reaped by the engine's C thread
	OverflowFlushes uint64 // CQ overflow backlogs flushed
	UnknownCQEs     uint64 // CQEs with no owner (dropped)
	SubmitBlocked   uint64 // submitters that waited for room in C
	PoolOps         uint64 // operations served by the thread pool
	InlineOps       uint64 // operations completed inline in the calling thread
	QueueWakeups    uint64 // queue consumers woken by a completion

	// OverflowFlush is OverflowFlushes, under a name that differed from
	// the C field (overflow_flushes) and Python's metrics() key.
	//
	// Deprecated: use OverflowFlushes.
	OverflowFlush uint64
}

// cMetricsCounters is the number of counters in struct hoop_engine_metrics:
// Metrics has one field for each (TestEngineMetricsMirrorC).
const cMetricsCounters = C.sizeof_struct_hoop_engine_metrics / 8

// Metrics returns the engine's counters; the zero value once closed.
func (e *Engine) Metrics() Metrics {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return Metrics{}
	}
	var m C.struct_hoop_engine_metrics
	C.hoop_engine_get_metrics(e.ptr, &m, C.size_t(unsafe.Sizeof(m)))
	return Metrics{
		Submitted: uint64(m.submitted), Completed: uint64(m.completed),
		CQEs: uint64(m.cqes), Inflight: uint64(m.inflight),
		Enters: uint64(m.enters), SQEsEntered: uint64(m.sqes_entered),
		Wakeups: uint64(m.wakeups), ReapsByWaiters: uint64(m.reaps_by_waiters),
		ReapsByThread: uint64(m.reaps_by_thread), OverflowFlushes: uint64(m.overflow_flushes),
		UnknownCQEs: uint64(m.unknown_cqes), SubmitBlocked: uint64(m.submit_blocked),
		PoolOps: uint64(m.pool_ops), InlineOps: uint64(m.inline_ops),
		QueueWakeups: uint64(m.queue_wakeups), OverflowFlush: uint64(m.overflow_flushes),
	}
}

// Close destroys the engine: new operations fail with ErrClosed, queues
// made with NewQueue are destroyed, operations in flight are cancelled and
// their goroutines receive ECANCELED (or the real result if it came
// first). Close returns once the kernel is done with every buffer. Calling
// Close again does nothing.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.shut.Store(true)
	e.mu.Unlock()
	e.rgOnce.Do(func() {}) // no receive group may be made from now on
	e.closeNetRing()

	e.queuesMu.Lock()
	qs := make([]*Queue, 0, len(e.queues))
	for q := range e.queues {
		qs = append(qs, q)
	}
	e.queuesMu.Unlock()
	for _, q := range qs {
		q.Destroy()
	}

	e.efile.Close() // stops the reaper
	<-e.reaperDone
	e.consumer.Lock()
	for {
		e.pendMu.Lock()
		left := e.pendLive
		e.pendMu.Unlock()
		if left == 0 {
			break
		}
		C.hoop_engine_cancel_all(e.ptr)
		n := C.hoop_queue_wait(e.q, &e.cbuf[0], C.uint(len(e.cbuf)), 1, 50e6)
		if n > 0 {
			C.hoopgo_mark(e.rgPtr(), &e.cbuf[0], n)
			e.dispatch(e.cbuf[:n])
		}
	}
	e.consumer.Unlock()

	e.mu.Lock() // wait out cancels still inside C
	C.hoop_queue_destroy(e.q)
	if e.rg != nil {
		atomic.StorePointer(&e.rgC, nil)
		e.rg.Close() // no receive selects from it any more
	}
	C.hoop_engine_destroy(e.ptr)
	e.q, e.ptr = nil, nil
	e.mu.Unlock()
	return nil
}

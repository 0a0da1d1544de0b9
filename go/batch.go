package hoop

/*
#include "hoopgo.h"
*/
import "C"

import (
	"context"
	"runtime"
	"sync/atomic"
	"syscall"
)

// Op is one operation for Engine.Submit, Queue.Add and Queue.AddBatch:
// the one request type of the package, as hoop's C API has one struct
// hoop_op for hoop_engine_submit and hoop_queue_add. Build it with Read,
// Write, Readv, Writev, or as a literal. Request is another name for it.
type Op struct {
	Code     uint8    // OpNop, OpRead, OpWrite, OpReadv, OpWritev, OpFsync
	FD       int      // file descriptor
	Off      int64    // file offset; -1 uses (and advances) the file position
	Buf      []byte   // OpRead, OpWrite
	Vecs     [][]byte // OpReadv, OpWritev
	Flags    uint32   // OpFsync: FsyncDataSync
	UserData uint64   // returned in the Result (Engine.Wait) or as the Completion's ID (Queue.Wait)
}

// Result is the final completion of one Op of a batch.
type Result struct {
	UserData uint64 // the Op's UserData
	Res      int32  // bytes moved, or -errno
}

// Err is nil when Res >= 0, else the syscall.Errno in Res.
func (r Result) Err() error { return resultErr(r.Res) }

// Batch is a set of operations submitted together by Engine.Submit; collect
// their results with Engine.Wait.
type Batch struct {
	e      *Engine
	calls  []call
	tokens []C.uint64_t
	res    []Result
	left   atomic.Int32
	done   chan struct{}
	pin    runtime.Pinner
	waited bool
}

// Submit submits ops as one unit with one cgo call (IO_LINK-free; they may
// complete in any order). The buffers in ops are pinned and belong to the
// kernel until Wait has returned the batch's results. Fails with an
// *OpError wrapping EINVAL for an empty batch, one larger than MaxInflight,
// an unknown Code, or an FD out of int32's range.
func (e *Engine) Submit(ops []Op) (*Batch, error) {
	n := len(ops)
	if n == 0 || n > e.cap {
		return nil, &OpError{Op: "submit", Err: syscall.EINVAL}
	}
	b := &Batch{
		e:      e,
		calls:  make([]call, n),
		tokens: make([]C.uint64_t, n),
		res:    make([]Result, n),
		done:   make(chan struct{}, 1),
	}
	reqs := make([]C.struct_hoopgo_req, n)
	ptrs := make([]*call, n)
	for i := range ops {
		if _, err := opReq(&b.pin, &reqs[i], &ops[i]); err != nil {
			b.pin.Unpin()
			return nil, &OpError{Op: "submit", Err: err}
		}
		b.res[i].UserData = ops[i].UserData
		b.calls[i].batch = b
		b.calls[i].idx = i
		ptrs[i] = &b.calls[i]
	}
	b.left.Store(int32(n))
	if err := e.acquire(context.Background(), n); err != nil {
		b.pin.Unpin()
		return nil, &OpError{Op: "submit", Err: err}
	}
	var nout C.int
	if r := e.add(ptrs, reqs, b.tokens, &nout); r < 0 {
		e.release(n)
		b.pin.Unpin()
		if r == -C.ESHUTDOWN {
			return nil, &OpError{Op: "submit", Err: ErrClosed}
		}
		return nil, errno("submit", r)
	}
	return b, nil
}

// pinIovecs builds an iovec array over vecs, pinning it and every buffer.
func pinIovecs(p *runtime.Pinner, vecs [][]byte) []syscall.Iovec {
	iov := make([]syscall.Iovec, len(vecs))
	for i, v := range vecs {
		if len(v) > 0 {
			p.Pin(&v[0])
			iov[i].Base = &v[0]
			iov[i].SetLen(len(v))
		}
	}
	if len(iov) > 0 {
		p.Pin(&iov[0])
	}
	return iov
}

// Wait waits for every operation of b and returns their results in the
// order of the ops given to Submit. If ctx is done first, the batch's
// operations still in flight are cancelled and Wait still waits for their
// final completions (the kernel owns the buffers until then), then returns
// the results with an error wrapping ctx.Err(). A batch can be waited for
// once.
func (e *Engine) Wait(ctx context.Context, b *Batch) ([]Result, error) {
	if b == nil || b.e != e || b.waited {
		return nil, &OpError{Op: "wait", Err: syscall.EINVAL}
	}
	b.waited = true
	var err error
	select {
	case <-b.done:
	case <-ctx.Done():
		for i := range b.tokens {
			e.cancel(uint64(b.tokens[i]))
		}
		<-b.done
		err = &OpError{Op: "wait", Err: ctx.Err()}
	}
	b.pin.Unpin()
	return b.res, err
}

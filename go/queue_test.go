package hoop

import (
	"bytes"
	"context"
	"errors"
	"syscall"
	"testing"
	"time"
)

func TestQueueReadWrite(t *testing.T) {
	e := newEngine(t)
	q, err := e.NewQueue(32)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Destroy()
	if q.Cap() != 32 {
		t.Fatalf("Cap = %d", q.Cap())
	}
	data := pattern(8192, 5)
	f := tempFile(t, data)
	fd := int32(f.Fd())
	bufs := make([][]byte, 8)
	var reqs []Request
	for i := range bufs {
		bufs[i] = make([]byte, 1024)
		reqs = append(reqs, Read(uint64(i), fd, int64(i)*1024, bufs[i]))
	}
	v := [][]byte{make([]byte, 10), make([]byte, 20)}
	reqs = append(reqs, Readv(100, fd, 50, v))
	if err := q.AddBatch(reqs); err != nil {
		t.Fatal(err)
	}
	cs := make([]Completion, 16)
	seen := map[uint64]int32{}
	for len(seen) < 9 {
		got, err := q.Wait(cs, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			t.Fatal("Wait(min 1) returned nothing")
		}
		for _, c := range got {
			if c.Err() != nil {
				t.Fatalf("completion %+v: %v", c, c.Err())
			}
			seen[c.ID] = c.Result
		}
	}
	for i := range bufs {
		if seen[uint64(i)] != 1024 || !bytes.Equal(bufs[i], data[i*1024:(i+1)*1024]) {
			t.Fatalf("read %d: %d", i, seen[uint64(i)])
		}
	}
	if seen[100] != 30 || !bytes.Equal(v[0], data[50:60]) || !bytes.Equal(v[1], data[60:80]) {
		t.Fatalf("readv: %d", seen[100])
	}

	// Writes, one Add each, then Wait for all of them at once.
	w := tempFile(t, nil)
	wfd := int32(w.Fd())
	if err := q.Add(Write(1, wfd, 0, []byte("abc"))); err != nil {
		t.Fatal(err)
	}
	if err := q.Add(Writev(2, wfd, 3, [][]byte{[]byte("de"), []byte("f")})); err != nil {
		t.Fatal(err)
	}
	if err := q.Add(Request{UserData: 3, Code: OpFsync, FD: int(wfd)}); err != nil {
		t.Fatal(err)
	}
	got, err := q.Wait(cs, 3)
	if err != nil || len(got) != 3 {
		t.Fatalf("Wait = %v, %v", got, err)
	}
	res := map[uint64]int32{}
	for _, c := range got {
		res[c.ID] = c.Result
	}
	if res[1] != 3 || res[2] != 3 || res[3] != 0 {
		t.Fatalf("results %v", res)
	}
	b := make([]byte, 6)
	if n, _ := w.ReadAt(b, 0); string(b[:n]) != "abcdef" {
		t.Fatalf("file holds %q", b[:n])
	}
	// min 0 with nothing outstanding returns at once.
	if got, err := q.Wait(cs, 0); err != nil || len(got) != 0 {
		t.Fatalf("Wait(min 0) = %v, %v", got, err)
	}
}

func TestQueueErrors(t *testing.T) {
	e := newEngine(t)
	q, err := e.NewQueue(2)
	if err != nil {
		t.Fatal(err)
	}
	r, w := blockingPipe(t)
	b1, b2 := make([]byte, 4), make([]byte, 4)
	if err := q.AddBatch([]Request{Read(1, int32(r), -1, b1), Read(2, int32(r), -1, b2)}); err != nil {
		t.Fatal(err)
	}
	if err := q.Add(Request{UserData: 3, Code: OpNop}); !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("Add over capacity: %v, want EAGAIN", err)
	}
	if err := q.Add(Op{UserData: 4, Code: 99}); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Add unknown op: %v, want EINVAL", err)
	}
	cs := make([]Completion, 4)
	if _, err := q.Wait(cs[:1], 2); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Wait min > len: %v, want EINVAL", err)
	}
	// A Wait parked in the netpoller wakes when data arrives.
	go func() {
		time.Sleep(20 * time.Millisecond)
		syscall.Write(w, []byte("abcdefgh"))
	}()
	got, err := q.Wait(cs, 2)
	if err != nil || len(got) != 2 || got[0].Result != 4 || got[1].Result != 4 {
		t.Fatalf("Wait = %+v, %v", got, err)
	}
	// Bad descriptor comes back as a completion error.
	if err := q.Add(Read(5, -1, 0, b1)); err != nil {
		t.Fatal(err)
	}
	got, _ = q.Wait(cs, 1)
	if len(got) != 1 || !errors.Is(got[0].Err(), syscall.EBADF) {
		t.Fatalf("bad fd: %+v", got)
	}
	q.Destroy()
	if err := q.Add(Op{Code: OpNop}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add after Destroy: %v", err)
	}
	if _, err := q.Wait(cs, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Wait after Destroy: %v", err)
	}
	q.Destroy()
}

// Destroy cancels reads still in flight; the buffers are not written
// afterwards.
func TestQueueDestroyInflight(t *testing.T) {
	e := newEngine(t)
	q, err := e.NewQueue(4)
	if err != nil {
		t.Fatal(err)
	}
	r, w := blockingPipe(t)
	buf := make([]byte, 8)
	if err := q.Add(Read(1, int32(r), -1, buf)); err != nil {
		t.Fatal(err)
	}
	waitInflight(t, e, 1)
	q.Destroy()
	if m := e.Metrics(); m.Inflight != 0 {
		t.Fatalf("in flight after Destroy: %d", m.Inflight)
	}
	syscall.Write(w, []byte("zzzzzzzz"))
	time.Sleep(10 * time.Millisecond)
	if !bytes.Equal(buf, make([]byte, 8)) {
		t.Fatalf("buffer written after Destroy: %q", buf)
	}
	// The engine's Close destroys queues still open.
	q2, err := e.NewQueue(4)
	if err != nil {
		t.Fatal(err)
	}
	if err := q2.Add(Read(1, int32(r), -1, buf)); err != nil {
		t.Fatal(err)
	}
	e.Close()
	if err := q2.Add(Request{Code: OpNop}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add after engine Close: %v", err)
	}
	if _, err := e.NewQueue(1); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewQueue after Close: %v", err)
	}
}

// One request type: the same []Op, built with the constructors and as
// literals, goes to Engine.Submit and to Queue.AddBatch, with the same
// results; Request is the same type under its old name. Flags reach the
// kernel through a Queue too (Queue.Add dropped them when it took its own
// type): an unknown fsync flag completes with EINVAL, FsyncDataSync with 0.
func TestOneRequestType(t *testing.T) {
	e := newEngine(t)
	q, err := e.NewQueue(8)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	data := pattern(4096, 9)
	f := tempFile(t, data)
	fd := int32(f.Fd())
	mk := func() ([]Op, [][]byte) {
		a, b, c, d := make([]byte, 100), make([]byte, 7), make([]byte, 9), make([]byte, 5)
		var old Request = Readv(3, fd, 2000, [][]byte{c, d}) // the deprecated name, same type
		return []Op{
			Read(1, fd, 0, a),
			{Code: OpRead, FD: int(fd), Off: 1000, Buf: b, UserData: 2},
			old,
			{Code: OpFsync, FD: int(fd), Flags: FsyncDataSync, UserData: 4},
			{Code: OpFsync, FD: int(fd), Flags: 0x80, UserData: 5},
			{Code: OpNop, UserData: 6},
		}, [][]byte{a, b, c, d}
	}
	want := map[uint64]int32{1: 100, 2: 7, 3: 14, 4: 0, 5: -int32(syscall.EINVAL), 6: 0}
	check := func(how string, got map[uint64]int32, bufs [][]byte) {
		t.Helper()
		for id, res := range want {
			if got[id] != res {
				t.Errorf("%s: op %d = %d, want %d", how, id, got[id], res)
			}
		}
		if !bytes.Equal(bufs[0], data[:100]) || !bytes.Equal(bufs[1], data[1000:1007]) ||
			!bytes.Equal(bufs[2], data[2000:2009]) || !bytes.Equal(bufs[3], data[2009:2014]) {
			t.Errorf("%s: wrong data read", how)
		}
	}

	ops, bufs := mk()
	b, err := e.Submit(ops)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Wait(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	got := map[uint64]int32{}
	for _, r := range res {
		got[r.UserData] = r.Res
	}
	check("Engine.Submit", got, bufs)

	ops, bufs = mk()
	if err := q.AddBatch(ops); err != nil {
		t.Fatal(err)
	}
	got = map[uint64]int32{}
	cs := make([]Completion, 8)
	for len(got) < len(ops) {
		cc, err := q.Wait(cs, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cc {
			got[c.ID] = c.Result
		}
	}
	check("Queue.AddBatch", got, bufs)

	// A descriptor that is no int32 is refused before anything is added.
	bad := []Op{{Code: OpNop}, {Code: OpRead, FD: 1 << 40, Buf: make([]byte, 1)}}
	if _, err := e.Submit(bad); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Submit with FD 1<<40: %v, want EINVAL", err)
	}
	if err := q.AddBatch(bad); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("AddBatch with FD 1<<40: %v, want EINVAL", err)
	}
	if m := e.Metrics(); m.Inflight != 0 {
		t.Errorf("in flight after refused batches: %d", m.Inflight)
	}
}

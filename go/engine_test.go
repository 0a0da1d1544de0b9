package hoop

import (
	"bytes"
	"context"
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func blockingPipe(t testing.TB) (r, w int) {
	t.Helper()
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(p[0]); syscall.Close(p[1]) })
	return p[0], p[1]
}

// waitInflight polls until the engine has n operations in flight.
func waitInflight(t testing.TB, e *Engine, n uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.Metrics().Inflight < n {
		if time.Now().After(deadline) {
			t.Fatalf("inflight never reached %d: %+v", n, e.Metrics())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestEngineReadWriteFsyncNop(t *testing.T) {
	e := newEngine(t)
	f := tempFile(t, nil)
	fd := int(f.Fd())
	ctx := context.Background()
	data := pattern(10000, 3)
	n, err := e.WriteAt(ctx, fd, data, 100)
	if err != nil || n != len(data) {
		t.Fatalf("WriteAt = %d, %v; want %d, nil", n, err, len(data))
	}
	if err := e.Fsync(ctx, fd, 0); err != nil {
		t.Fatalf("Fsync: %v", err)
	}
	if err := e.Fsync(ctx, fd, FsyncDataSync); err != nil {
		t.Fatalf("Fsync datasync: %v", err)
	}
	got := make([]byte, 20000)
	n, err = e.ReadAt(ctx, fd, got, 100)
	if err != nil || n != len(data) {
		t.Fatalf("ReadAt = %d, %v; want %d, nil", n, err, len(data))
	}
	if !bytes.Equal(got[:n], data) {
		t.Fatal("ReadAt returned different bytes")
	}
	n, err = e.ReadAt(ctx, fd, got, 10100)
	if err != nil || n != 0 {
		t.Fatalf("ReadAt at EOF = %d, %v; want 0, nil", n, err)
	}
	for i := 0; i < 100; i++ {
		if err := e.Nop(ctx); err != nil {
			t.Fatalf("Nop: %v", err)
		}
	}
	// The write, two fsyncs, 100 NOPs and the rest of the first read (the
	// file ends before got does); what the page cache held was read
	// without the ring.
	m := e.Metrics()
	if m.Completed != 104 || m.Submitted != 104 || m.Inflight != 0 {
		t.Fatalf("metrics %+v: want 104 submitted and completed, 0 in flight", m)
	}
	want := "io_uring"
	if os.Getenv("HOOP_BACKEND") == "threads" {
		want = "threads"
	}
	if b := e.Backend(); b != want {
		t.Fatalf("Backend = %q, want %s", b, want)
	}
}

func TestEngineErrors(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	_, err := e.ReadAt(ctx, 99999, make([]byte, 8), 0)
	if !errors.Is(err, syscall.EBADF) {
		t.Fatalf("ReadAt bad fd: %v, want EBADF", err)
	}
	var oe *OpError
	if !errors.As(err, &oe) || oe.Op != "read" {
		t.Fatalf("error %v is not an *OpError for read", err)
	}
	if err := e.Fsync(ctx, -5, 0); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("Fsync bad fd: %v, want EBADF", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := e.Nop(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Nop on cancelled ctx: %v", err)
	}
}

// A read blocked on an empty pipe returns promptly with context.Canceled
// once its context is cancelled, and the kernel never writes the buffer
// afterwards: the data stays in the pipe.
func TestEngineCancelBlockedRead(t *testing.T) {
	e := newEngine(t)
	r, w := blockingPipe(t)
	buf := bytes.Repeat([]byte{0xAA}, 64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.ReadAt(ctx, r, buf, -1)
		done <- err
	}()
	waitInflight(t, e, 1)
	start := time.Now()
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("ReadAt did not return after cancel")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadAt after cancel: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	if m := e.Metrics(); m.Inflight != 0 {
		t.Fatalf("%d operations still in flight", m.Inflight)
	}
	if _, err := syscall.Write(w, []byte("late data")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if !bytes.Equal(buf, bytes.Repeat([]byte{0xAA}, 64)) {
		t.Fatalf("buffer written after ReadAt returned: %q", buf[:9])
	}
	got := make([]byte, 64)
	n, _ := syscall.Read(r, got)
	if string(got[:n]) != "late data" {
		t.Fatalf("pipe holds %q, want %q", got[:n], "late data")
	}
}

func TestEngineDeadline(t *testing.T) {
	e := newEngine(t)
	r, _ := blockingPipe(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := e.ReadAt(ctx, r, make([]byte, 8), -1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadAt past deadline: %v", err)
	}
}

// 1000 goroutines share one engine, each reading its own blocks of a file
// many times; every byte and the total count are checked.
func TestEngine1000Goroutines(t *testing.T) {
	e := newEngine(t)
	const goroutines, block, rounds = 1000, 512, 8
	data := pattern(goroutines*block, 9)
	f := tempFile(t, data)
	fd := int(f.Fd())
	var ok, bad atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			buf := make([]byte, block)
			for i := 0; i < rounds; i++ {
				off := ((g + i*37) % goroutines) * block
				// Every other read through the ring (ReadAt finds the
				// data cached and reads it in this goroutine).
				read := e.ReadAt
				if i%2 == 1 {
					read = ringReadAt(e)
				}
				n, err := read(context.Background(), fd, buf, int64(off))
				if err != nil || n != block || !bytes.Equal(buf, data[off:off+block]) {
					bad.Add(1)
					continue
				}
				ok.Add(1)
			}
		}(g)
	}
	wg.Wait()
	if ok.Load() != goroutines*rounds || bad.Load() != 0 {
		t.Fatalf("ok %d bad %d, want %d and 0", ok.Load(), bad.Load(), goroutines*rounds)
	}
	if m := e.Metrics(); m.Completed != goroutines*rounds/2 || m.Inflight != 0 {
		t.Fatalf("metrics %+v", m)
	}
}

//go:noinline
func growStack(n int) int {
	var pad [256]byte
	pad[n%256] = byte(n)
	if n == 0 {
		return int(pad[0])
	}
	return growStack(n-1) + int(pad[n%256])
}

// Buffers stay put while the kernel owns them, through forced collections
// and stack growth of the submitting goroutine.
func TestEngineGCAndStackGrowth(t *testing.T) {
	e := newEngine(t)
	r, w := blockingPipe(t)
	const n = 8
	bufs := make([][]byte, n)
	ops := make([]Op, n)
	for i := range ops {
		bufs[i] = make([]byte, 16)
		ops[i] = Op{Code: OpRead, FD: r, Off: -1, Buf: bufs[i], UserData: uint64(i)}
	}
	b, err := e.Submit(ops)
	if err != nil {
		t.Fatal(err)
	}
	ops, bufs = nil, nil // only the kernel and the batch refer to them now
	for i := 0; i < 3; i++ {
		growStack(2000)
		runtime.GC()
		_ = make([]byte, 1<<20)
	}
	msg := bytes.Repeat([]byte("0123456789abcdef"), n)
	if _, err := syscall.Write(w, msg); err != nil {
		t.Fatal(err)
	}
	res, err := e.Wait(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for i, r := range res {
		if r.Err() != nil || r.UserData != uint64(i) {
			t.Fatalf("result %d: %+v", i, r)
		}
		total += int(r.Res)
	}
	if total != len(msg) {
		t.Fatalf("read %d bytes in total, want %d", total, len(msg))
	}

	// Single operations: a goroutine grows its stack while its read waits.
	done := make(chan []byte)
	go func() {
		var arr [32]byte
		ctx := context.Background()
		go func() { growStack(500); runtime.GC() }()
		n, err := e.ReadAt(ctx, r, arr[:], -1)
		if err != nil || n != 5 {
			t.Errorf("ReadAt = %d, %v", n, err)
		}
		growStack(3000)
		done <- append([]byte(nil), arr[:n]...)
	}()
	waitInflight(t, e, 1)
	runtime.GC()
	syscall.Write(w, []byte("hello"))
	if got := <-done; string(got) != "hello" {
		t.Fatalf("got %q", got)
	}
}

func TestEngineBatch(t *testing.T) {
	e := newEngine(t)
	data := pattern(64*1024, 1)
	f := tempFile(t, data)
	fd := int(f.Fd())
	var ops []Op
	bufs := make([][]byte, 16)
	for i := range bufs {
		bufs[i] = make([]byte, 4096)
		ops = append(ops, Op{Code: OpRead, FD: fd, Off: int64(i) * 4096, Buf: bufs[i], UserData: uint64(100 + i)})
	}
	v1, v2 := make([]byte, 100), make([]byte, 200)
	ops = append(ops, Op{Code: OpReadv, FD: fd, Off: 1000, Vecs: [][]byte{v1, v2}, UserData: 7})
	ops = append(ops, Op{Code: OpNop, UserData: 8})
	b, err := e.Submit(ops)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Wait(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range bufs {
		if res[i].Res != 4096 || res[i].UserData != uint64(100+i) || !bytes.Equal(bufs[i], data[i*4096:(i+1)*4096]) {
			t.Fatalf("op %d: %+v", i, res[i])
		}
	}
	if res[16].Res != 300 || !bytes.Equal(v1, data[1000:1100]) || !bytes.Equal(v2, data[1100:1300]) {
		t.Fatalf("readv: %+v", res[16])
	}
	if res[17].Res != 0 || res[17].UserData != 8 {
		t.Fatalf("nop: %+v", res[17])
	}
	if _, err := e.Wait(context.Background(), b); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("second Wait: %v, want EINVAL", err)
	}
	if _, err := e.Submit(nil); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("empty Submit: %v, want EINVAL", err)
	}
	if _, err := e.Submit([]Op{{Code: 200}}); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("bad code: %v, want EINVAL", err)
	}

	// Writes through a batch, with writev.
	w := tempFile(t, nil)
	b, err = e.Submit([]Op{
		{Code: OpWrite, FD: int(w.Fd()), Off: 0, Buf: []byte("hello ")},
		{Code: OpWritev, FD: int(w.Fd()), Off: 6, Vecs: [][]byte{[]byte("wor"), []byte("ld")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := e.Wait(context.Background(), b); err != nil || res[0].Res != 6 || res[1].Res != 5 {
		t.Fatalf("write batch: %+v %v", res, err)
	}
	got := make([]byte, 11)
	if n, _ := w.ReadAt(got, 0); n != 11 || string(got) != "hello world" {
		t.Fatalf("file holds %q", got[:n])
	}
}

func TestEngineBatchCancel(t *testing.T) {
	e := newEngine(t)
	r, _ := blockingPipe(t)
	b, err := e.Submit([]Op{{Code: OpRead, FD: r, Off: -1, Buf: make([]byte, 8)}, {Code: OpNop}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	res, err := e.Wait(ctx, b)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait: %v", err)
	}
	if !errors.Is(res[0].Err(), syscall.ECANCELED) || res[1].Res != 0 {
		t.Fatalf("results %+v", res)
	}
}

// Close cancels what is in flight: the waiting goroutine gets ECANCELED,
// later calls ErrClosed, and no descriptor leaks.
func TestEngineCloseInflight(t *testing.T) {
	needURing(t)
	r, _ := blockingPipe(t)
	before := fdCount(t)
	e, err := NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := e.ReadAt(context.Background(), r, make([]byte, 8), -1)
		done <- err
	}()
	waitInflight(t, e, 1)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, syscall.ECANCELED) {
		t.Fatalf("in-flight read after Close: %v, want ECANCELED", err)
	}
	if err := e.Nop(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Nop after Close: %v, want ErrClosed", err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if after := fdCount(t); after != before {
		t.Fatalf("fd count %d after Close, %d before", after, before)
	}
}

// A small engine: goroutines beyond its capacity wait their turn.
func TestEngineBackpressure(t *testing.T) {
	e := newEngine(t, WithEngineEntries(8, 16), WithEngineMaxInflight(4))
	if e.Cap() != 4 {
		t.Fatalf("Cap = %d, want 4", e.Cap())
	}
	var wg sync.WaitGroup
	var fails atomic.Int32
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if e.Nop(context.Background()) != nil {
					fails.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if fails.Load() != 0 {
		t.Fatalf("%d Nops failed", fails.Load())
	}
	if _, err := e.Submit(make([]Op, 5)); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("batch above Cap: %v, want EINVAL", err)
	}
}

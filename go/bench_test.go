package hoop

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// cpuTime is the process's user plus system CPU time so far (every thread,
// the C core's included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureCPU reports the CPU time per operation of the benchmark body run
// after it is called (stop with the returned function): on a shared
// machine this is steadier than the wall time.
func measureCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

// benchFile is a 64 MiB-or-smaller file in the page cache.
func benchFile(b *testing.B) *os.File {
	b.Helper()
	name := filepath.Join(b.TempDir(), "bench")
	if err := os.WriteFile(name, pattern(16<<20, 1), 0o644); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	// Warm the page cache.
	buf := make([]byte, 1<<20)
	for off := int64(0); ; off += int64(len(buf)) {
		if n, _ := f.ReadAt(buf, off); n == 0 {
			break
		}
	}
	return f
}

// 64 goroutines (SetParallelism over GOMAXPROCS) each reading 4 KiB blocks
// from the page cache: hoop's Engine.ReadAt ("hoop") and File.ReadAt
// ("hoop-file") against os.File.ReadAt.
func BenchmarkReadAt64Goroutines(b *testing.B) {
	procs := maxProcs()
	benchReadAt(b, (64+procs-1)/procs)
}

// The same from one goroutine.
func BenchmarkReadAt1Goroutine(b *testing.B) {
	benchReadAt(b, 0)
}

// benchReadAt runs the three readers with par goroutines per CPU
// (SetParallelism), or with the benchmark's own goroutine when par is 0.
func benchReadAt(b *testing.B, par int) {
	f := benchFile(b)
	const blocks = (16 << 20) / 4096
	run := func(b *testing.B, read func(buf []byte, off int64) (int, error)) {
		b.SetBytes(4096)
		b.ReportAllocs()
		body := func(next func() bool) {
			buf := make([]byte, 4096)
			i := 0
			for next() {
				i = (i*1103515245 + 12345) & 0x7fffffff
				if n, err := read(buf, int64(i%blocks)*4096); n != 4096 || err != nil {
					b.Error(n, err)
					return
				}
			}
		}
		b.ResetTimer()
		defer measureCPU(b)()
		if par == 0 {
			i := 0
			body(func() bool { i++; return i <= b.N })
			return
		}
		b.SetParallelism(par)
		b.RunParallel(func(pb *testing.PB) { body(pb.Next) })
	}
	b.Run("hoop", func(b *testing.B) {
		e := newEngine(b)
		fd := int(f.Fd())
		run(b, func(buf []byte, off int64) (int, error) {
			return e.ReadAt(context.Background(), fd, buf, off)
		})
		reportEngine(b, e)
	})
	b.Run("hoop-file", func(b *testing.B) {
		e := newEngine(b)
		hf, err := Open(e, f.Name())
		if err != nil {
			b.Fatal(err)
		}
		defer hf.Close()
		run(b, hf.ReadAt)
		reportEngine(b, e)
	})
	b.Run("os", func(b *testing.B) { run(b, f.ReadAt) })
}

// Per-operation cost of NOPs submitted and collected 32 at a time through
// the Queue: one cgo call to add 32, Wait for 32.
func BenchmarkQueueNOP32(b *testing.B) {
	e := newEngine(b)
	q, err := e.NewQueue(64)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Destroy()
	reqs := make([]Op, 32)
	for i := range reqs {
		reqs[i] = Op{UserData: uint64(i), Code: OpNop}
	}
	cs := make([]Completion, 32)
	b.ResetTimer()
	for done := 0; done < b.N; done += 32 {
		if err := q.AddBatch(reqs); err != nil {
			b.Fatal(err)
		}
		for got := 0; got < 32; {
			c, err := q.Wait(cs[:32-got], 32-got)
			if err != nil {
				b.Fatal(err)
			}
			got += len(c)
		}
	}
}

// Per-operation cost of a single Engine.Nop round trip from one goroutine.
func BenchmarkEngineNop(b *testing.B) {
	e := newEngine(b)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		if err := e.Nop(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// reportEngine adds the engine's batching figures to a benchmark's output:
// operations per io_uring_enter, and the share of completions reaped by the
// engine's C thread rather than by the submitting goroutines.
func reportEngine(b *testing.B, e *Engine) {
	m := e.Metrics()
	if m.Enters > 0 {
		b.ReportMetric(float64(m.SQEsEntered)/float64(m.Enters), "ops/enter")
	}
	if m.CQEs > 0 {
		b.ReportMetric(float64(m.ReapsByThread)/float64(m.CQEs), "bg-reaped")
	}
}

// echoServe accepts from l and echoes every connection until l is closed.
func echoServe(l net.Listener, size int) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			buf := make([]byte, size)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}()
	}
}

// Echo server, 64 connections from Go's net client, one message in flight
// per connection: hoop's Listener against Go's net.Listen (and hoop's with
// RingReceive, "hoop-ring"). One op is one round trip of size bytes.
func BenchmarkEcho(b *testing.B) {
	kinds := socketKinds()
	for _, size := range []int{64, 4096} {
		for _, kind := range kinds {
			b.Run(fmt.Sprintf("%s/%dB", kind, size), func(b *testing.B) {
				l := benchListener(b, kind)
				defer l.Close()
				go echoServe(l, size)
				benchEchoClients(b, l.Addr().String(), 64, size)
			})
		}
	}
}

var socketRounds atomic.Int32

// socketKinds is the order in which the socket benchmarks run hoop's
// listeners and net's. It alternates, so that neither side is always the
// first in a process (which pays for warming the runtime's heap and
// threads): from one call to the next (-count), and between processes with
// HOOP_BENCH_NET_FIRST=1 (run_bench.sh sets it every other round).
func socketKinds() []string {
	n := socketRounds.Add(1)
	if os.Getenv("HOOP_BENCH_NET_FIRST") == "1" {
		n++
	}
	if n%2 == 0 {
		return []string{"net", "hoop", "hoop-ring"}
	}
	return []string{"hoop", "net", "hoop-ring"}
}

// benchListener listens on a free loopback port with hoop's Listener (kind
// "hoop", on an engine of its own; "hoop-ring": with RingReceive) or Go's
// net.Listen (kind "net").
func benchListener(b *testing.B, kind string) net.Listener {
	var l net.Listener
	var err error
	if kind != "net" {
		e := newEngine(b)
		lc := ListenConfig{Engine: e, RingReceive: kind == "hoop-ring"}
		l, err = lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// dialN makes n connections to addr with Go's net, closed at cleanup.
func dialN(tb testing.TB, addr string, n int) []net.Conn {
	cs := make([]net.Conn, n)
	for i := range cs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { c.Close() })
		cs[i] = c
	}
	return cs
}

func benchEchoClients(b *testing.B, addr string, conns, size int) {
	cs := dialN(b, addr, conns)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(int64(size))
	b.ResetTimer()
	defer measureCPU(b)()
	for _, c := range cs {
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			out, in := make([]byte, size), make([]byte, size)
			for next.Add(1) <= int64(b.N) {
				if _, err := c.Write(out); err != nil {
					b.Error(err)
					return
				}
				if _, err := io.ReadFull(c, in); err != nil {
					b.Error(err)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	b.StopTimer()
}

// threadCount is the number of OS threads of this process now (Go keeps
// the threads it started, so at the end of a run it is also the peak).
func threadCount() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// alignedBuf returns n bytes aligned to 4096 for O_DIRECT.
func alignedBuf(n int) []byte {
	b := make([]byte, n+4096)
	off := 4096 - int(uintptr(unsafe.Pointer(&b[0]))&4095)
	return b[off : off+n]
}

// directFile creates a 256 MiB file on the disk (not tmpfs) and opens it
// with O_DIRECT.
func directFile(b *testing.B) (*os.File, int64) {
	const size = 256 << 20
	name := filepath.Join(os.Getenv("HOOP_BENCH_DIR"), "hoop-odirect.bin")
	if os.Getenv("HOOP_BENCH_DIR") == "" {
		name = filepath.Join("/var/tmp", fmt.Sprintf("hoop-odirect-%d.bin", os.Getpid()))
	}
	w, err := os.Create(name)
	if err != nil {
		b.Skip(err)
	}
	chunk := pattern(1<<20, 4)
	for off := 0; off < size; off += len(chunk) {
		w.Write(chunk)
	}
	w.Sync()
	w.Close()
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_DIRECT, 0)
	os.Remove(name)
	if err != nil {
		b.Skip("O_DIRECT: ", err)
	}
	b.Cleanup(func() { f.Close() })
	return f, size / 4096
}

// O_DIRECT 4 KiB random reads at depth 128: one goroutine keeping 128
// requests in a Queue, against 128 goroutines each calling os.File.ReadAt.
// Reports IOPS, CPU time per read and the OS threads the process has.
func BenchmarkODirect128(b *testing.B) {
	f, blocks := directFile(b)
	const depth = 128
	report := func(b *testing.B, start time.Time) {
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "IOPS")
		b.ReportMetric(float64(threadCount()), "threads")
	}
	b.Run("hoop-queue", func(b *testing.B) {
		e := newEngine(b)
		q, err := e.NewQueue(depth)
		if err != nil {
			b.Fatal(err)
		}
		defer q.Destroy()
		bufs := make([][]byte, depth)
		for i := range bufs {
			bufs[i] = alignedBuf(4096)
		}
		rnd := uint64(1)
		next := func() int64 {
			rnd = rnd*6364136223846793005 + 1442695040888963407
			return int64((rnd>>33)%uint64(blocks)) * 4096
		}
		fd := int32(f.Fd())
		cs := make([]Completion, depth)
		reqs := make([]Request, 0, depth)
		b.ResetTimer()
		start := time.Now()
		defer measureCPU(b)()
		issued, done := 0, 0
		for i := 0; i < depth && issued < b.N; i++ {
			reqs = append(reqs, Read(uint64(i), fd, next(), bufs[i]))
			issued++
		}
		for done < b.N {
			if len(reqs) > 0 {
				if err := q.AddBatch(reqs); err != nil {
					b.Fatal(err)
				}
				reqs = reqs[:0]
			}
			got, err := q.Wait(cs, 1)
			if err != nil {
				b.Fatal(err)
			}
			for _, c := range got {
				if c.Result != 4096 {
					b.Fatalf("read: %d", c.Result)
				}
				done++
				if issued < b.N {
					reqs = append(reqs, Read(c.ID, fd, next(), bufs[c.ID]))
					issued++
				}
			}
		}
		report(b, start)
		reportEngine(b, e)
	})
	b.Run("os-128-goroutines", func(b *testing.B) {
		var next atomic.Int64
		var wg sync.WaitGroup
		b.ResetTimer()
		start := time.Now()
		defer measureCPU(b)()
		for g := 0; g < depth; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				buf := alignedBuf(4096)
				rnd := uint64(g + 1)
				for next.Add(1) <= int64(b.N) {
					rnd = rnd*6364136223846793005 + 1442695040888963407
					if n, err := f.ReadAt(buf, int64((rnd>>33)%uint64(blocks))*4096); n != 4096 {
						b.Error(n, err)
						return
					}
				}
			}(g)
		}
		wg.Wait()
		report(b, start)
	})
}

// BenchmarkRingNop32: the single-owner Ring's fast path, NOPs in batches
// of 32 on one goroutine (per NOP: GetSQE, PrepareNop, SetUserData,
// PeekCQE, SeenCQE; per batch: SubmitAndWait). ns/op is per NOP. For
// callgrind, ringNop32Loop is the function to toggle collection on
// (docs/BENCHMARKS.md).
func BenchmarkRingNop32(b *testing.B) {
	r := newRing(b, 32)
	b.ReportAllocs()
	b.ResetTimer()
	ringNop32Loop(b, r, b.N)
}

//go:noinline
func ringNop32Loop(b *testing.B, r *Ring, n int) {
	for done := 0; done < n; done += 32 {
		for i := 0; i < 32; i++ {
			s := r.GetSQE()
			s.PrepareNop()
			s.SetUserData(uint64(i))
		}
		if _, err := r.SubmitAndWait(32); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < 32; i++ {
			c, ok := r.PeekCQE()
			if !ok || c.UserData != uint64(i) {
				b.Fatalf("CQE %d: %+v %v", i, c, ok)
			}
			r.SeenCQE(c)
		}
	}
}

// BenchmarkRingNopWait: one NOP prepared, submitted and waited for, then
// its completion seen.
func BenchmarkRingNopWait(b *testing.B) {
	r := newRing(b, 8)
	b.ReportAllocs()
	b.ResetTimer()
	ringNopWaitLoop(b, r, b.N)
}

//go:noinline
func ringNopWaitLoop(b *testing.B, r *Ring, n int) {
	for i := 0; i < n; i++ {
		s := r.GetSQE()
		s.PrepareNop()
		s.SetUserData(uint64(i))
		if _, err := r.SubmitAndWait(1); err != nil {
			b.Fatal(err)
		}
		c, err := r.WaitCQE()
		if err != nil || c.UserData != uint64(i) {
			b.Fatalf("CQE %+v %v", c, err)
		}
		r.SeenCQE(c)
	}
}

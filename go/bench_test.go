package hoop

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
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
// from the page cache: hoop's Engine against os.File.ReadAt.
func BenchmarkReadAt64Goroutines(b *testing.B) {
	f := benchFile(b)
	const blocks = (16 << 20) / 4096
	procs := maxProcs()
	par := (64 + procs - 1) / procs
	b.Run("hoop", func(b *testing.B) {
		e := newEngine(b)
		fd := int(f.Fd())
		b.SetBytes(4096)
		b.SetParallelism(par)
		b.ResetTimer()
		defer measureCPU(b)()
		b.RunParallel(func(pb *testing.PB) {
			buf := make([]byte, 4096)
			i := 0
			for pb.Next() {
				i = (i*1103515245 + 12345) & 0x7fffffff
				if _, err := e.ReadAt(context.Background(), fd, buf, int64(i%blocks)*4096); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportEngine(b, e)
	})
	b.Run("os", func(b *testing.B) {
		b.SetBytes(4096)
		b.SetParallelism(par)
		b.ResetTimer()
		defer measureCPU(b)()
		b.RunParallel(func(pb *testing.PB) {
			buf := make([]byte, 4096)
			i := 0
			for pb.Next() {
				i = (i*1103515245 + 12345) & 0x7fffffff
				if _, err := f.ReadAt(buf, int64(i%blocks)*4096); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
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
	reqs := make([]Request, 32)
	for i := range reqs {
		reqs[i] = Request{ID: uint64(i), Op: OpNop}
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

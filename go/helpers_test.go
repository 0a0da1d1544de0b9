package hoop

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// needURing skips the test when io_uring cannot be used in this process.
func needURing(t testing.TB) {
	t.Helper()
	if p := Probe(); !p.Usable {
		t.Skip("io_uring unavailable: " + p.Err.Error())
	}
}

func newEngine(t testing.TB, opts ...EngineOption) *Engine {
	t.Helper()
	needURing(t)
	e, err := NewEngine(opts...)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func newRing(t testing.TB, entries uint32, opts ...Option) *Ring {
	t.Helper()
	needURing(t)
	r, err := New(entries, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// pattern returns n bytes where byte i is a function of i and seed.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7+i/251) ^ seed
	}
	return b
}

// tempFile writes data to a new file in t.TempDir and returns it open
// read-write (closed at cleanup).
func tempFile(t testing.TB, data []byte) *os.File {
	t.Helper()
	name := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// fdCount is the number of open descriptors of this process.
func fdCount(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func maxProcs() int { return runtime.GOMAXPROCS(0) }

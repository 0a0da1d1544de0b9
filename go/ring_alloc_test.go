package hoop

import (
	"os"
	"runtime"
	"testing"
)

// These use only the public API, so that they run against older Ring
// implementations too.

// The NOP cycle allocates nothing (GetSQE used to allocate its *SQE).
func TestRingNopNoAllocs(t *testing.T) {
	r := newRing(t, 32)
	allocs := testing.AllocsPerRun(200, func() {
		for i := 0; i < 32; i++ {
			s := r.GetSQE()
			s.PrepareNop()
			s.SetUserData(uint64(i))
		}
		r.SubmitAndWait(32)
		for i := 0; i < 32; i++ {
			c, _ := r.PeekCQE()
			r.SeenCQE(c)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per batch of 32 NOPs, want 0", allocs)
	}
}

// A ring that never drains (a read on an empty pipe stays in flight) while
// 20,000 reads go through it keeps a flat heap: each finished read's pins
// are released (they used to pile up until nothing was in flight).
func TestRingPinsHeapFlat(t *testing.T) {
	r := newRing(t, 8)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	stuck := make([]byte, 16)
	s := r.GetSQE()
	s.PrepareRead(int(pr.Fd()), stuck, -1)
	s.SetUserData(1 << 40)
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	f := tempFile(t, []byte("0123456789abcdef"))
	buf := make([]byte, 4)
	round := func(n int) {
		for i := 0; i < n; i++ {
			s := r.GetSQE()
			s.PrepareRead(int(f.Fd()), buf, int64(i%12))
			s.SetUserData(uint64(i))
			if _, err := r.SubmitAndWait(1); err != nil {
				t.Fatal(err)
			}
			c, err := r.WaitCQE()
			if err != nil || c.UserData != uint64(i) || c.Res != 4 {
				t.Fatalf("read %d: %+v %v", i, c, err)
			}
			r.SeenCQE(c)
		}
	}
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	round(1000) // warm up
	before := heap()
	round(20000)
	after := heap()
	if after > before && after-before > 32<<10 {
		t.Fatalf("heap grew by %d bytes over 20,000 reads with one read in flight", after-before)
	}
	pw.Write([]byte("x"))
	c, err := r.WaitCQE()
	if err != nil || c.UserData != 1<<40 || c.Res != 1 {
		t.Fatalf("stuck read: %+v %v", c, err)
	}
	r.SeenCQE(c)
}

// Reads into a reused buffer allocate nothing either: the pins of each
// read are taken and released without allocating.
func TestRingReadNoAllocs(t *testing.T) {
	r := newRing(t, 8)
	f := tempFile(t, []byte("0123456789abcdef"))
	buf := make([]byte, 8)
	var ud uint64
	allocs := testing.AllocsPerRun(500, func() {
		ud++
		s := r.GetSQE()
		s.PrepareRead(int(f.Fd()), buf, 4)
		s.SetUserData(ud)
		r.SubmitAndWait(1)
		c, _ := r.WaitCQE()
		r.SeenCQE(c)
		if c.Res != 8 || c.UserData != ud {
			t.Fatalf("read: %+v", c)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per read, want 0", allocs)
	}
}

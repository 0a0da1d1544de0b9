package hoop

import (
	"errors"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// nops prepares n NOPs with user data from, from+1, ... and returns how many
// it got SQEs for.
func nops(r *Ring, from uint64, n int) int {
	for i := 0; i < n; i++ {
		s := r.GetSQE()
		if s == nil {
			return i
		}
		s.PrepareNop()
		s.SetUserData(from + uint64(i))
	}
	return n
}

// reap consumes every completion the ring has and checks that their user
// data continue from next; it returns the next expected user data.
func reap(t *testing.T, r *Ring, next uint64) uint64 {
	t.Helper()
	for {
		c, ok := r.PeekCQE()
		if !ok {
			return next
		}
		if c.UserData != next || c.Res != 0 {
			t.Fatalf("CQE %+v, want user data %d and res 0", c, next)
		}
		r.SeenCQE(c)
		next++
	}
}

// Many laps of a 2-entry SQ and a 4-entry CQ: the Go side's indices wrap
// around both rings thousands of times, and uint32 counters stay exact.
func TestRingStepWrapAround(t *testing.T) {
	r := newRing(t, 2, WithCQSize(4))
	if r.sqEntries != 2 || r.cqEntries != 4 {
		t.Fatalf("ring sizes %d/%d, want 2/4", r.sqEntries, r.cqEntries)
	}
	var ud, next uint64 = 1, 1
	for lap := 0; lap < 5000; lap++ {
		n := nops(r, ud, 2)
		if n != 2 {
			t.Fatalf("lap %d: %d SQEs", lap, n)
		}
		ud += 2
		if got, err := r.SubmitAndWait(2); got != 2 || err != nil {
			t.Fatalf("lap %d: SubmitAndWait = %d, %v", lap, got, err)
		}
		if lap%3 == 0 { // alternate the ways of consuming
			c, err := r.WaitCQE()
			if err != nil || c.UserData != next {
				t.Fatalf("lap %d: WaitCQE %+v %v, want %d", lap, c, err, next)
			}
			r.SeenCQE(c)
			r.AdvanceCQ(1)
			next += 2
		} else {
			next = reap(t, r, next)
		}
	}
	if next != ud || r.inflight != 0 {
		t.Fatalf("reaped up to %d of %d, inflight %d", next, ud, r.inflight)
	}
	if h, tl := *r.cqKhead, *r.cqKtail; h != tl || h != 10000 {
		t.Fatalf("CQ head %d tail %d, want 10000", h, tl)
	}
}

// Preparing more SQEs than the SQ holds: GetSQE refuses the extra ones,
// and each Submit reports exactly what it handed over.
func TestRingStepBatchLargerThanSQ(t *testing.T) {
	r := newRing(t, 8, WithCQSize(64))
	want := 50
	var ud uint64 = 1
	total := 0
	for total < want {
		n := nops(r, ud, want-total)
		if n != min(8, want-total) {
			t.Fatalf("got %d SQEs of %d with an empty SQ of 8", n, want-total)
		}
		if n == 8 && r.GetSQE() != nil {
			t.Fatal("GetSQE past a full SQ")
		}
		ud += uint64(n)
		got, err := r.Submit()
		if got != n || err != nil {
			t.Fatalf("Submit = %d, %v; want %d", got, err, n)
		}
		total += got
	}
	if got, err := r.Submit(); got != 0 || err != nil {
		t.Fatalf("Submit with nothing prepared = %d, %v", got, err)
	}
	if _, err := r.SubmitAndWait(uint32(want)); err != nil {
		t.Fatal(err)
	}
	if next := reap(t, r, 1); next != uint64(want)+1 {
		t.Fatalf("reaped %d completions, want %d", next-1, want)
	}
}

// More completions than the CQ holds: the kernel keeps the rest aside and
// sets SQ_CQ_OVERFLOW; PeekCQE and AdvanceCQ bring them in, in order.
func TestRingStepCQOverflow(t *testing.T) {
	r := newRing(t, 4, WithCQSize(8))
	var ud uint64 = 1
	for i := 0; i < 6; i++ { // 24 completions for 8 slots
		nops(r, ud, 4)
		ud += 4
		if n, err := r.Submit(); n != 4 || err != nil {
			t.Fatalf("Submit %d = %d, %v", i, n, err)
		}
	}
	if !r.cqNeedsFlush() {
		t.Fatal("no CQ overflow flag after 24 completions on an 8-entry CQ")
	}
	if got := r.cqReady(); got != 8 {
		t.Fatalf("%d CQEs visible, want 8", got)
	}
	next := reap(t, r, 1)
	if next != ud {
		t.Fatalf("reaped %d of %d completions", next-1, ud-1)
	}
	// AdvanceCQ past the visible ones also flushes.
	for i := 0; i < 4; i++ {
		nops(r, ud, 4)
		ud += 4
		r.Submit()
	}
	r.AdvanceCQ(16)
	if _, ok := r.PeekCQE(); ok || r.inflight != 0 || r.cqNeedsFlush() {
		t.Fatalf("after AdvanceCQ(16): inflight %d, overflow %v", r.inflight, r.cqNeedsFlush())
	}
}

// A SQPOLL ring: the kernel thread consumes SQEs; Submit wakes it when it
// has gone to sleep (NEED_WAKEUP) and counts what it handed over.
func TestRingStepSQPoll(t *testing.T) {
	needURing(t)
	r, err := New(4, WithSQPoll(2*time.Millisecond), WithCQSize(16))
	if err != nil {
		t.Skipf("SQPOLL unavailable: %v", err)
	}
	defer r.Close()
	var ud, next uint64 = 1, 1
	for round := 0; round < 200; round++ {
		if round%50 == 0 {
			time.Sleep(10 * time.Millisecond) // let the thread fall asleep
		}
		n := nops(r, ud, 3)
		ud += uint64(n)
		if got, err := r.Submit(); got != n || err != nil {
			t.Fatalf("round %d: Submit = %d, %v; want %d", round, got, err, n)
		}
		for next < ud {
			c, err := r.WaitCQE()
			if err != nil || c.UserData != next {
				t.Fatalf("round %d: WaitCQE %+v %v, want %d", round, c, err, next)
			}
			r.SeenCQE(c)
			next++
		}
	}
	if r.inflight != 0 {
		t.Fatalf("inflight %d", r.inflight)
	}
}

// An IOPOLL ring has its completions polled for: the waits and peeks
// enter the kernel to get them.
func TestRingStepIOPoll(t *testing.T) {
	needURing(t)
	r, err := New(4, WithFlags(SetupIOPoll))
	if err != nil {
		t.Skipf("IOPOLL ring: %v", err)
	}
	defer r.Close()
	nops(r, 7, 1)
	if _, err := r.SubmitAndWait(1); err != nil {
		t.Fatal(err)
	}
	c, err := r.WaitCQE()
	if err != nil {
		t.Fatal(err)
	}
	if c.Res == -int32(syscall.EINVAL) || c.Res == -int32(syscall.EOPNOTSUPP) {
		t.Skipf("NOP refused on an IOPOLL ring: %v", c.Err())
	}
	if c.UserData != 7 || c.Res != 0 {
		t.Fatalf("IOPOLL NOP %+v", c)
	}
	r.SeenCQE(c)
}

// A CQE_MIXED ring reaps through the C functions; submission stays in Go.
func TestRingStepCQEMixed(t *testing.T) {
	needURing(t)
	r, err := New(4, WithFlags(setupCQEMixed))
	if err != nil {
		t.Skipf("CQE_MIXED ring: %v", err)
	}
	defer r.Close()
	if !r.mixed {
		t.Fatal("CQE_MIXED ring not seen as mixed")
	}
	var ud, next uint64 = 1, 1
	for lap := 0; lap < 100; lap++ {
		nops(r, ud, 4)
		ud += 4
		if n, err := r.SubmitAndWait(4); n != 4 || err != nil {
			t.Fatalf("SubmitAndWait = %d, %v", n, err)
		}
		next = reap(t, r, next)
	}
	if next != ud || r.inflight != 0 {
		t.Fatalf("reaped to %d of %d, inflight %d", next, ud, r.inflight)
	}
}

// A ring that never drains (one read on an empty pipe stays in flight)
// still releases each finished operation's pins: the pin records stay at
// two however many reads go through, and the buffers of finished reads may
// be collected.
func TestRingStepPinsFlat(t *testing.T) {
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
	collected := make(chan struct{}, 1)
	for i := 0; i < 3000; i++ {
		buf := make([]byte, 4)
		if i == 0 {
			runtime.SetFinalizer(&buf[0], func(*byte) { collected <- struct{}{} })
		}
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
		if r.nrecs != 1 || len(r.pinned) != 1 {
			t.Fatalf("read %d: %d pin records, %d keys; want 1 and 1", i, r.nrecs, len(r.pinned))
		}
	}
	for i := 0; i < 5; i++ {
		runtime.GC()
		select {
		case <-collected:
			i = 5
		case <-time.After(20 * time.Millisecond):
			if i == 4 {
				t.Fatal("the first read's buffer is still pinned")
			}
		}
	}
	// Completing the stuck read releases the last pins.
	pw.Write([]byte("x"))
	c, err := r.WaitCQE()
	if err != nil || c.UserData != 1<<40 || c.Res != 1 || stuck[0] != 'x' {
		t.Fatalf("stuck read: %+v %v", c, err)
	}
	r.SeenCQE(c)
	if r.nrecs != 0 || r.inflight != 0 {
		t.Fatalf("%d pin records, inflight %d after the last completion", r.nrecs, r.inflight)
	}
}

// Operations that share user data keep their pins until the last of them
// completes; a bad SubmitAndWaitTimeout argument is refused.
func TestRingStepSharedUserData(t *testing.T) {
	r := newRing(t, 8)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	a, b := make([]byte, 1), make([]byte, 1)
	for _, p := range [][]byte{a, b} {
		s := r.GetSQE()
		s.PrepareRead(int(pr.Fd()), p, -1)
		s.SetUserData(5)
	}
	if n, err := r.Submit(); n != 2 || err != nil {
		t.Fatal(n, err)
	}
	pw.Write([]byte("1"))
	c, _ := r.WaitCQE()
	r.SeenCQE(c)
	if rec := r.pinned[5]; rec == nil || rec.n != 1 || r.nrecs != 2 {
		t.Fatalf("after one of two: %+v, %d records", rec, r.nrecs)
	}
	pw.Write([]byte("2"))
	c, _ = r.WaitCQE()
	r.SeenCQE(c)
	if r.nrecs != 0 || len(r.pinned) != 0 {
		t.Fatalf("after both: %d records, %d keys", r.nrecs, len(r.pinned))
	}
	if _, err := r.SubmitAndWaitTimeout(r.cqEntries+1, time.Millisecond); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("SubmitAndWaitTimeout past the CQ: %v", err)
	}
}

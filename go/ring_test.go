package hoop

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func submitWait(t *testing.T, r *Ring) CQE {
	t.Helper()
	if _, err := r.SubmitAndWait(1); err != nil {
		t.Fatal(err)
	}
	c, err := r.WaitCQE()
	if err != nil {
		t.Fatal(err)
	}
	r.SeenCQE(c)
	return c
}

func TestRingNopPeekAdvance(t *testing.T) {
	r := newRing(t, 8)
	if r.Fd() < 0 {
		t.Fatal("no ring fd")
	}
	if _, ok := r.PeekCQE(); ok {
		t.Fatal("CQE on a new ring")
	}
	for i := 0; i < 8; i++ {
		s := r.GetSQE()
		s.PrepareNop()
		s.SetUserData(uint64(i + 1))
	}
	if r.GetSQE() != nil {
		t.Fatal("GetSQE on a full SQ returned an SQE")
	}
	if n, err := r.SubmitAndWait(8); n != 8 || err != nil {
		t.Fatalf("SubmitAndWait = %d, %v", n, err)
	}
	for i := 0; i < 4; i++ {
		c, ok := r.PeekCQE()
		if !ok || c.UserData != uint64(i+1) || c.Res != 0 {
			t.Fatalf("CQE %d: %+v %v", i, c, ok)
		}
		r.SeenCQE(c)
	}
	r.AdvanceCQ(4)
	if _, ok := r.PeekCQE(); ok {
		t.Fatal("CQE left after AdvanceCQ")
	}
	if r.inflight != 0 {
		t.Fatalf("inflight %d", r.inflight)
	}
}

func TestRingFileOps(t *testing.T) {
	r := newRing(t, 16)
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	s := r.GetSQE()
	s.PrepareOpenat(AtFdCwd, name, os.O_RDWR|os.O_CREATE, 0o644)
	c := submitWait(t, r)
	if c.Res < 0 {
		t.Fatalf("openat: %v", c.Err())
	}
	fd := int(c.Res)
	s = r.GetSQE()
	s.PrepareWrite(fd, []byte("hello, "), 0)
	s.SetFlags(SQEIOLink)
	s = r.GetSQE()
	s.PrepareWritev(fd, [][]byte{[]byte("ring"), []byte("!")}, 7)
	s.SetFlags(SQEIOLink)
	s = r.GetSQE()
	s.PrepareFsync(fd, 0)
	if n, err := r.SubmitAndWait(3); n != 3 || err != nil {
		t.Fatal(n, err)
	}
	want := []int32{7, 5, 0}
	for i := range want {
		c, _ := r.WaitCQE()
		if c.Res != want[i] {
			t.Fatalf("op %d res %d want %d", i, c.Res, want[i])
		}
		r.SeenCQE(c)
	}
	buf := make([]byte, 5)
	s = r.GetSQE()
	s.PrepareRead(fd, buf, 7)
	if c := submitWait(t, r); c.Res != 5 || string(buf) != "ring!" {
		t.Fatalf("read %d %q", c.Res, buf)
	}
	a, b := make([]byte, 3), make([]byte, 4)
	s = r.GetSQE()
	s.PrepareReadv(fd, [][]byte{a, b}, 2)
	if c := submitWait(t, r); c.Res != 7 || string(a)+string(b) != "llo, ri" {
		t.Fatalf("readv %d %q %q", c.Res, a, b)
	}
	s = r.GetSQE()
	s.PrepareClose(fd)
	if c := submitWait(t, r); c.Res != 0 {
		t.Fatalf("close: %v", c.Err())
	}
	s = r.GetSQE()
	s.PrepareOpenat(AtFdCwd, filepath.Join(dir, "missing"), os.O_RDONLY, 0)
	if c := submitWait(t, r); !errors.Is(c.Err(), os.ErrNotExist) {
		t.Fatalf("openat missing: %v", c.Err())
	}
}

func TestRingTimeoutCancel(t *testing.T) {
	r := newRing(t, 8)
	s := r.GetSQE()
	s.PrepareTimeout(10*time.Millisecond, 0)
	runtime.GC() // the timespec is pinned until the completion is seen
	start := time.Now()
	c := submitWait(t, r)
	if !errors.Is(c.Err(), syscall.ETIME) || time.Since(start) < 5*time.Millisecond {
		t.Fatalf("timeout: %v after %v", c.Err(), time.Since(start))
	}
	// Cancel a long timeout by user data.
	s = r.GetSQE()
	s.PrepareTimeout(time.Hour, 0)
	s.SetUserData(42)
	s = r.GetSQE()
	s.PrepareCancel(42, 0)
	s.SetUserData(43)
	if _, err := r.SubmitAndWait(2); err != nil {
		t.Fatal(err)
	}
	got := map[uint64]int32{}
	for i := 0; i < 2; i++ {
		c, _ := r.WaitCQE()
		got[c.UserData] = c.Res
		r.SeenCQE(c)
	}
	if got[42] != -int32(syscall.ECANCELED) || got[43] != 0 {
		t.Fatalf("cancel results %v", got)
	}
	// SubmitAndWaitTimeout: nil when the time runs out.
	if _, err := r.SubmitAndWaitTimeout(1, 5*time.Millisecond); err != nil {
		t.Fatalf("SubmitAndWaitTimeout with nothing in flight: %v", err)
	}
	s = r.GetSQE()
	s.PrepareNop()
	if n, err := r.SubmitAndWaitTimeout(1, time.Second); n != 1 || err != nil {
		t.Fatalf("SubmitAndWaitTimeout = %d, %v", n, err)
	}
	r.AdvanceCQ(1)
}

func TestRingSockets(t *testing.T) {
	r := newRing(t, 8)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	lf, _ := ln.(*net.TCPListener).File()
	defer lf.Close()
	syscall.SetNonblock(int(lf.Fd()), false)
	port := ln.Addr().(*net.TCPAddr).Port

	cfd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(cfd)
	s := r.GetSQE()
	s.PrepareAccept(int(lf.Fd()), syscall.SOCK_CLOEXEC)
	s.SetUserData(1)
	s = r.GetSQE()
	if err := s.PrepareConnect(cfd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	s.SetUserData(2)
	if _, err := r.SubmitAndWait(2); err != nil {
		t.Fatal(err)
	}
	var afd int
	for i := 0; i < 2; i++ {
		c, _ := r.WaitCQE()
		if c.Res < 0 {
			t.Fatalf("op %d: %v", c.UserData, c.Err())
		}
		if c.UserData == 1 {
			afd = int(c.Res)
		}
		r.SeenCQE(c)
	}
	defer syscall.Close(afd)
	s = r.GetSQE()
	s.PrepareSend(cfd, []byte("ping"), 0)
	if c := submitWait(t, r); c.Res != 4 {
		t.Fatalf("send: %d", c.Res)
	}
	buf := make([]byte, 16)
	s = r.GetSQE()
	s.PrepareRecv(afd, buf, 0)
	if c := submitWait(t, r); c.Res != 4 || string(buf[:4]) != "ping" {
		t.Fatalf("recv: %d %q", c.Res, buf[:4])
	}
}

func TestRingRegister(t *testing.T) {
	r := newRing(t, 8, WithCQSize(64))
	p, err := r.SupportedOps()
	if err != nil || !p.Supports(OpRead) || !p.Supports(OpNop) || p.Known < int(OpWrite) {
		t.Fatalf("SupportedOps = %+v, %v", p, err)
	}
	if p2, err := r.Probe(); err != nil || p2.Known != p.Known {
		t.Fatalf("Probe = %+v, %v; SupportedOps %+v", p2, err, p)
	}
	f := tempFile(t, []byte("fixed file data"))
	if err := r.RegisterFiles([]int{int(f.Fd())}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	s := r.GetSQE()
	s.PrepareRead(0, buf, 6) // fixed file 0
	s.SetFlags(SQEFixedFile)
	if c := submitWait(t, r); c.Res != 5 || string(buf) != "file " {
		t.Fatalf("fixed read %d %q", c.Res, buf)
	}
	if err := r.UnregisterFiles(); err != nil {
		t.Fatal(err)
	}
	if err := r.UnregisterFiles(); !errors.Is(err, syscall.ENXIO) {
		t.Fatalf("second UnregisterFiles: %v", err)
	}
	reg, err := r.NewFileRegistry(4)
	if err != nil {
		t.Fatal(err)
	}
	if slot, err := reg.Register(int(f.Fd())); slot != 0 || err != nil {
		t.Fatalf("Register = %d, %v", slot, err)
	}
	if _, err := reg.Register(int(f.Fd())); !errors.Is(err, syscall.EEXIST) {
		t.Fatalf("Register twice: %v", err)
	}
	if s, err := reg.Lookup(int(f.Fd())); s != 0 || err != nil || reg.Count() != 1 || reg.Cap() != 4 {
		t.Fatalf("Lookup %d %v count %d cap %d", s, err, reg.Count(), reg.Cap())
	}
	if s, err := reg.Unregister(int(f.Fd())); s != 0 || err != nil {
		t.Fatalf("Unregister = %d, %v", s, err)
	}
	if _, err := reg.Lookup(int(f.Fd())); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("Lookup after Unregister: %v", err)
	}
	reg.Close()

	bufs := [][]byte{make([]byte, 4096), make([]byte, 4096)}
	if err := r.RegisterBuffers(bufs); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterBuffers(bufs); !errors.Is(err, syscall.EBUSY) {
		t.Fatalf("RegisterBuffers twice: %v", err)
	}
	if err := r.UnregisterBuffers(); err != nil {
		t.Fatal(err)
	}

	efd, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC, 0)
	if errno != 0 {
		t.Fatal(errno)
	}
	defer syscall.Close(int(efd))
	if err := r.RegisterEventFd(int(efd)); err != nil {
		t.Fatal(err)
	}
	s = r.GetSQE()
	s.PrepareNop()
	submitWait(t, r)
	var v [8]byte
	if n, err := syscall.Read(int(efd), v[:]); n != 8 || err != nil || v[0] != 1 {
		t.Fatalf("eventfd read %d %v %v", n, err, v)
	}
	if err := r.WakeupSQPoll(); err != nil {
		t.Fatalf("WakeupSQPoll without SQPOLL: %v", err)
	}
}

func TestRingOptions(t *testing.T) {
	needURing(t)
	if _, err := New(0); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("New(0): %v, want EINVAL", err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r := newRing(t, 4, WithFlags(SetupSingleIssuer|SetupDeferTaskrun))
	s := r.GetSQE()
	s.PrepareNop()
	if c := submitWait(t, r); c.Res != 0 {
		t.Fatal(c)
	}
	sq, err := New(4, WithSQPoll(50*time.Millisecond))
	if err != nil {
		t.Skipf("SQPOLL unavailable: %v", err)
	}
	defer sq.Close()
	if err := sq.WakeupSQPoll(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	f := tempFile(t, []byte("sqpoll"))
	s = sq.GetSQE()
	s.PrepareRead(int(f.Fd()), buf, 2)
	if c := submitWait(t, sq); c.Res != 4 || !bytes.Equal(buf, []byte("poll")) {
		t.Fatalf("SQPOLL read %d %q", c.Res, buf)
	}
}

func TestProbe(t *testing.T) {
	p := Probe()
	if !p.Usable {
		if p.Err == nil {
			t.Fatal("unavailable without a reason")
		}
		t.Skip("io_uring unavailable: " + p.Err.Error())
	}
	for _, op := range []uint8{OpNop, OpRead, OpWrite, OpReadv, OpWritev, OpFsync} {
		if !p.Supports(op) {
			t.Errorf("op %s not supported", OpName(op))
		}
	}
	ops := p.Ops()
	if len(ops) < 40 || ops[0] != "nop" {
		t.Fatalf("Ops = %v", ops)
	}
	if OpName(OpRead) != "read" || OpName(255) != "" {
		t.Fatalf("OpName: %q %q", OpName(OpRead), OpName(255))
	}
	if Version() == "" {
		t.Fatal("no version")
	}
}

// Usable is the name C and Python give the probe's answer; the deprecated
// Available carries the same value, from both the package Probe and a
// ring's SupportedOps.
func TestProbeUsableIsAvailable(t *testing.T) {
	p := Probe()
	if p.Usable != p.Available {
		t.Fatalf("Probe: Usable %v, Available %v", p.Usable, p.Available)
	}
	if !p.Usable {
		t.Skipf("io_uring unavailable here: %v", p.Err)
	}
	r, err := New(8)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s, err := r.SupportedOps()
	if err != nil {
		t.Fatal(err)
	}
	if !s.Usable || !s.Available || !s.Supports(OpNop) {
		t.Fatalf("SupportedOps: Usable %v, Available %v, nop %v", s.Usable, s.Available, s.Supports(OpNop))
	}
}

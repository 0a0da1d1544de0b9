package hoop

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestProbeTierBackend(t *testing.T) {
	p := Probe()
	if p.Kernel == "" {
		t.Fatal("no kernel release")
	}
	if p.Backend != "io_uring" && p.Backend != "threads" {
		t.Fatalf("Backend %q", p.Backend)
	}
	if p.BackendReason == "" {
		t.Fatal("no backend reason")
	}
	if !p.Usable {
		if p.Tier != "none" || p.Reason == "" || p.Backend != "threads" {
			t.Fatalf("unavailable: tier %q reason %q backend %q", p.Tier, p.Reason, p.Backend)
		}
		return
	}
	switch p.Tier {
	case "base", "mid", "high":
	default:
		t.Fatalf("Tier %q", p.Tier)
	}
	if p.Reason != "" {
		t.Fatalf("usable but Reason %q", p.Reason)
	}
	if !strings.Contains(p.String(), "tier "+p.Tier) {
		t.Fatalf("String() = %q", p.String())
	}
}

// useEngine runs a file read and a TCP echo through e.
func useEngine(t *testing.T, e *Engine) {
	t.Helper()
	data := pattern(8192, 5)
	f := tempFile(t, data)
	buf := make([]byte, 4096)
	if n, err := e.ReadAt(context.Background(), int(f.Fd()), buf, 4096); n != 4096 || err != nil || !bytes.Equal(buf, data[4096:]) {
		t.Fatalf("ReadAt %d %v", n, err)
	}
	l := listen(t, e, ListenConfig{})
	srv, cl := pair(t, l)
	go func() { io.Copy(srv, srv); srv.Close() }()
	msg := pattern(3000, 1)
	cl.Write(msg)
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(cl, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo: %v", err)
	}
	cl.(*net.TCPConn).CloseWrite()
	if n, err := cl.Read(got); n != 0 || err != io.EOF {
		t.Fatalf("after CloseWrite: %d %v", n, err)
	}
}

// The thread-pool backend, forced: the same operations work.
func TestEngineThreadsBackend(t *testing.T) {
	e, err := NewEngine(WithEngineBackend("threads"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Backend() != "threads" || e.BackendReason() == "" {
		t.Fatalf("backend %q reason %q", e.Backend(), e.BackendReason())
	}
	useEngine(t, e)
	if e.MaxInflight() <= 0 || e.MaxInflight() != e.Cap() {
		t.Fatalf("MaxInflight %d, Cap %d", e.MaxInflight(), e.Cap())
	}
	f, err := os.CreateTemp(t.TempDir(), "sync")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := e.Fdatasync(context.Background(), int(f.Fd())); err != nil {
		t.Fatal(err)
	}
	if err := e.Fdatasync(context.Background(), -1); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("Fdatasync(-1) = %v, want EBADF", err)
	}
	q, err := e.NewQueue(4)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil { // again: nothing
		t.Fatal(err)
	}
}

// io_uring_setup refused by seccomp with EPERM (as Docker's default profile
// does): the test binary re-runs TestSeccompChild under tests/seccomp_run,
// compiled here with the C compiler cgo uses.
func TestSeccompFallback(t *testing.T) {
	if os.Getenv("HOOP_BACKEND") != "" {
		t.Skip("HOOP_BACKEND is set: automatic selection is not in play")
	}
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	runner := filepath.Join(t.TempDir(), "seccomp_run")
	if out, err := exec.Command(cc, "-O1", "-o", runner, "../tests/seccomp_run.c").CombinedOutput(); err != nil {
		t.Skipf("cannot build seccomp_run: %v\n%s", err, out)
	}
	cmd := exec.Command(runner, "eperm", os.Args[0], "-test.run", "^TestSeccompChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "HOOP_SECCOMP_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestSeccompChild") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func TestSeccompChild(t *testing.T) {
	if os.Getenv("HOOP_SECCOMP_CHILD") == "" {
		t.Skip("run by TestSeccompFallback")
	}
	p := Probe()
	if p.Usable || p.Available || !errors.Is(p.Err, syscall.EPERM) || p.Backend != "threads" || p.Tier != "none" {
		t.Fatalf("probe under seccomp: %+v", p)
	}
	if _, err := New(8); !errors.Is(err, syscall.EPERM) {
		t.Fatalf("New under seccomp: %v, want EPERM", err)
	}
	e, err := NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.Backend() != "threads" || !strings.Contains(e.BackendReason(), "EPERM") {
		t.Fatalf("backend %q reason %q", e.Backend(), e.BackendReason())
	}
	useEngine(t, e)
}

// An unknown backend name is refused, naming the accepted ones.
func TestEngineBackendUnknown(t *testing.T) {
	for _, name := range []string{"bogus", "thread", "URING", "auto "} {
		e, err := NewEngine(WithEngineBackend(name))
		if err == nil {
			t.Errorf("WithEngineBackend(%q): accepted (backend %q)", name, e.Backend())
			e.Close()
			continue
		}
		var oe *OpError
		if !errors.As(err, &oe) || !errors.Is(err, syscall.EINVAL) ||
			!strings.Contains(err.Error(), `"`+name+`"`) ||
			!strings.Contains(err.Error(), `"io_uring"`) || !strings.Contains(err.Error(), `"threads"`) {
			t.Errorf("WithEngineBackend(%q): %v, want an *OpError wrapping EINVAL naming it and the accepted names", name, err)
		}
	}
	for _, name := range []string{"io_uring", "uring", "threads", ""} {
		if name != "threads" {
			needURing(t)
		}
		e, err := NewEngine(WithEngineBackend(name))
		if err != nil {
			t.Fatalf("WithEngineBackend(%q): %v", name, err)
		}
		e.Close()
	}
}

// HOOP_BACKEND with a name hoop does not know: the C core refuses it
// (-EINVAL) and the error says which variable and what it accepts.
func TestEngineBackendEnvUnknown(t *testing.T) {
	t.Setenv("HOOP_BACKEND", "thread")
	e, err := NewEngine()
	if err == nil {
		b := e.Backend()
		e.Close()
		t.Fatalf("HOOP_BACKEND=thread: accepted (backend %q)", b)
	}
	want := `hoop: engine_create: HOOP_BACKEND="thread" is not a backend (accepted: uring, threads): invalid argument`
	if !errors.Is(err, syscall.EINVAL) || err.Error() != want {
		t.Fatalf("HOOP_BACKEND=thread: %v, want %q", err, want)
	}
}

// Metrics carries every counter of struct hoop_engine_metrics under its C
// name: on the thread pool a NOP counts in PoolOps (the counters C added
// after the first layout were missing from Go), and the deprecated
// OverflowFlush equals OverflowFlushes.
func TestEngineMetricsMirrorC(t *testing.T) {
	fields := reflect.TypeOf(Metrics{}).NumField() - 1 // OverflowFlush is an alias
	if fields != cMetricsCounters {
		t.Fatalf("Metrics has %d counters, struct hoop_engine_metrics %d", fields, cMetricsCounters)
	}
	e, err := NewEngine(WithEngineBackend("threads"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for i := 0; i < 3; i++ {
		if err := e.Nop(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	m := e.Metrics()
	if m.PoolOps < 3 || m.Completed < 3 || m.InlineOps != 0 {
		t.Errorf("after 3 NOPs on the thread pool: %+v", m)
	}
	if m.OverflowFlush != m.OverflowFlushes {
		t.Errorf("OverflowFlush %d, OverflowFlushes %d", m.OverflowFlush, m.OverflowFlushes)
	}
}

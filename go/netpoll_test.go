package hoop

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// On the default (netpoller) path a message costs the engine nothing: 200
// echoed messages add no submission and no completion to the engine (the
// io_uring receive took one completion per message). Runs on both
// backends.
func TestNetPollNoEnginePerMessage(t *testing.T) {
	e := newEngine(t)
	srv, cl := pollPair(t, e)
	buf := make([]byte, 64)
	echo := func(i int) {
		msg := []byte{byte(i), 'p', 'i', 'n', 'g'}
		if _, err := cl.Write(msg); err != nil {
			t.Fatal(err)
		}
		n, err := srv.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], msg) {
			t.Fatalf("Read %d: %q %v", i, buf[:n], err)
		}
		if _, err := srv.Write(buf[:n]); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.Read(buf[:n]); err != nil {
			t.Fatal(err)
		}
	}
	echo(0)
	before := e.Metrics()
	for i := 1; i <= 200; i++ {
		echo(i)
	}
	after := e.Metrics()
	if after.Submitted != before.Submitted || after.CQEs != before.CQEs {
		t.Fatalf("200 messages: %d submissions, %d completions on the engine, want 0 and 0",
			after.Submitted-before.Submitted, after.CQEs-before.CQEs)
	}
}

// Closing the engine ends a Read waiting on the engine's receive ring
// (RingReceive) with an error, and the ring's buffers stay valid for the
// data already received.
func TestNetRingEngineClose(t *testing.T) {
	needURing(t)
	e, err := NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			e.Close()
		}
	})
	l := listen(t, e, ListenConfig{RingReceive: true})
	srv, cl := pair(t, l)
	cl.Write([]byte("first"))
	buf := make([]byte, 16)
	if n, err := srv.Read(buf); err != nil || string(buf[:n]) != "first" {
		t.Fatalf("Read: %q %v", buf[:n], err)
	}
	if e.Backend() == "io_uring" && e.netRing() == nil {
		t.Log("no receive ring here: the engine's group serves")
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := srv.Read(buf)
		readErr <- err
	}()
	time.Sleep(20 * time.Millisecond)
	l.Close()
	e.Close()
	closed = true
	select {
	case err := <-readErr:
		if err == nil {
			t.Fatal("Read after the engine closed returned no error")
		}
		var op *net.OpError
		if !errors.As(err, &op) {
			t.Fatalf("Read error %T %v, want a *net.OpError", err, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read not ended by the engine's Close")
	}
}

// pollPair is pair on a default listener of e, its Conn on the netpoller
// path.
func pollPair(t *testing.T, e *Engine) (*Conn, net.Conn) {
	t.Helper()
	srv, cl := pair(t, listen(t, e, ListenConfig{}))
	if srv.ps.f == nil {
		t.Fatal("the accepted Conn is not on the netpoller path")
	}
	return srv, cl
}

// Concurrent Writes on the netpoller path do not interleave: each Write's
// bytes reach the peer in one piece, as with net (the second Write at a
// time takes the closure path). Blocks are larger than the socket buffers,
// so every Write waits for room at least once.
func TestNetPollConcurrentWrites(t *testing.T) {
	srv, cl := pollPair(t, newEngine(t))
	const writers, each, size = 6, 4, 1 << 20
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			block := bytes.Repeat([]byte{byte('a' + w)}, size)
			for range each {
				if n, err := srv.Write(block); n != size || err != nil {
					errs <- fmt.Errorf("Write: %d %v", n, err)
					return
				}
			}
			errs <- nil
		}()
	}
	r := bufio.NewReaderSize(cl, 1<<16)
	block := make([]byte, size)
	seen := make(map[byte]int)
	for i := range writers * each {
		if _, err := io.ReadFull(r, block); err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		if k := bytes.IndexFunc(block, func(c rune) bool { return byte(c) != block[0] }); k >= 0 {
			t.Fatalf("block %d: byte %d is %q in a block of %q: Writes interleaved", i, k, block[k], block[0])
		}
		seen[block[0]]++
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for w := range writers {
		if seen[byte('a'+w)] != each {
			t.Fatalf("blocks per writer: %v, want %d each", seen, each)
		}
	}
}

// Concurrent Reads on the netpoller path share the stream: every byte is
// read by exactly one of them.
func TestNetPollConcurrentReads(t *testing.T) {
	srv, cl := pollPair(t, newEngine(t))
	const total = 4 << 20
	data := pattern(total, 7)
	var want uint64
	for _, c := range data {
		want += uint64(c)
	}
	go func() {
		cl.Write(data)
		cl.Close()
	}()
	type res struct {
		n   int
		sum uint64
		err error
	}
	out := make(chan res, 4)
	for range 4 {
		go func() {
			var r res
			buf := make([]byte, 1500)
			for {
				n, err := srv.Read(buf)
				for _, c := range buf[:n] {
					r.sum += uint64(c)
				}
				r.n += n
				if err != nil {
					if err != io.EOF {
						r.err = err
					}
					out <- r
					return
				}
			}
		}()
	}
	var n int
	var sum uint64
	for range 4 {
		r := <-out
		if r.err != nil {
			t.Fatal(r.err)
		}
		n += r.n
		sum += r.sum
	}
	if n != total || sum != want {
		t.Fatalf("read %d bytes (sum %d), want %d (sum %d)", n, sum, total, want)
	}
}

// Deadlines on the netpoller path, which tells the netpoller only of
// changes: clearing a deadline that is none does nothing, and every
// other change, through SetDeadline or one direction, takes effect.
func TestNetPollDeadlineChanges(t *testing.T) {
	srv, cl := pollPair(t, newEngine(t))
	buf := make([]byte, 16)
	past := time.Now().Add(-time.Second)
	readOK := func(step string) {
		t.Helper()
		if _, err := cl.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if n, err := srv.Read(buf); n != 1 || err != nil {
			t.Fatalf("%s: Read: %d %v, want 1 byte", step, n, err)
		}
	}
	timedOut := func(step string, err error) {
		t.Helper()
		var op *net.OpError
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &op) {
			t.Fatalf("%s: %v, want a *net.OpError wrapping os.ErrDeadlineExceeded", step, err)
		}
	}
	for range 3 {
		srv.SetReadDeadline(time.Time{})
		srv.SetDeadline(time.Time{})
	}
	readOK("never set")
	srv.SetReadDeadline(past)
	_, err := srv.Read(buf)
	timedOut("read deadline passed", err)
	srv.SetReadDeadline(time.Time{})
	readOK("read deadline cleared")
	srv.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	_, err = srv.Read(buf)
	timedOut("read deadline reached while waiting", err)
	srv.SetDeadline(time.Time{})
	readOK("cleared by SetDeadline")
	srv.SetDeadline(past)
	_, err = srv.Write([]byte("y"))
	timedOut("SetDeadline in the past, Write", err)
	srv.SetReadDeadline(time.Time{}) // the write deadline stays
	readOK("read deadline cleared, write deadline kept")
	_, err = srv.Write([]byte("y"))
	timedOut("write deadline kept", err)
	srv.SetWriteDeadline(time.Time{})
	srv.SetWriteDeadline(time.Time{})
	if n, err := srv.Write([]byte("y")); n != 1 || err != nil {
		t.Fatalf("write deadline cleared: Write %d %v", n, err)
	}
	srv.SetReadDeadline(time.Now().Add(time.Hour))
	readOK("read deadline in the future")
}

// Accepted sockets: those that wait in the netpoller are non-blocking from
// the accept itself (SOCK_NONBLOCK in the accept request, no fcntl), the
// RingReceive ones blocking; each Conn's LocalAddr is its socket's own,
// also behind a wildcard listener.
func TestNetAcceptFlagsAndAddrs(t *testing.T) {
	e := newEngine(t)
	for _, tc := range []struct {
		addr string
		ring bool
	}{{"127.0.0.1:0", false}, {"127.0.0.1:0", true}, {":0", false}} {
		lc := ListenConfig{Engine: e, RingReceive: tc.ring}
		l, err := lc.Listen(context.Background(), "tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		done := make(chan *Conn, 1)
		go func() {
			c, err := l.AcceptHoop()
			if err != nil {
				t.Error(err)
			}
			done <- c
		}()
		cl, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		srv := <-done
		if srv == nil {
			t.FailNow()
		}
		l.as.mu.Lock()
		if op := l.as.op; op != nil { // the multishot accept (io_uring)
			want := syscall.SOCK_CLOEXEC
			if !tc.ring {
				want |= syscall.SOCK_NONBLOCK
			}
			if got := int(op.req.flags); got != want {
				t.Errorf("%s ring=%v: accept flags %#x, want %#x", tc.addr, tc.ring, got, want)
			}
		}
		l.as.mu.Unlock()
		fl, err := unix.FcntlInt(uintptr(srv.g.fd), syscall.F_GETFL, 0)
		if err != nil {
			t.Fatal(err)
		}
		if nb := fl&syscall.O_NONBLOCK != 0; nb != (srv.ps.f != nil) {
			t.Errorf("%s ring=%v: O_NONBLOCK %v with netpoller path %v", tc.addr, tc.ring, nb, srv.ps.f != nil)
		}
		if got, want := srv.LocalAddr().String(), cl.RemoteAddr().String(); got != want {
			t.Errorf("%s: LocalAddr %s, want %s", tc.addr, got, want)
		}
		if got, want := srv.RemoteAddr().String(), cl.LocalAddr().String(); got != want {
			t.Errorf("%s: RemoteAddr %s, want %s", tc.addr, got, want)
		}
		cl.Close()
		srv.Close()
		l.Close()
	}
}

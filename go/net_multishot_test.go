package hoop

import (
	"bytes"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
)

// needMultishot skips unless e runs on io_uring with a receive source.
func needMultishot(t *testing.T, e *Engine) recvSource {
	t.Helper()
	if e.Backend() != "io_uring" {
		t.Skip("multishot receives need io_uring; the engine runs on " + e.Backend())
	}
	g := e.recvSource()
	if g == nil {
		t.Fatal("no receive source on an io_uring engine")
	}
	return g
}

// bothSources runs f with an engine whose Conns receive on the Go-driven
// receive ring ("ring") and with one whose Conns use the engine's buffer
// group ("group", the path of kernels without DEFER_TASKRUN).
func bothSources(t *testing.T, f func(t *testing.T, e *Engine), opts ...EngineOption) {
	for _, kind := range []string{"ring", "group"} {
		t.Run(kind, func(t *testing.T) {
			e := newEngine(t, opts...)
			if kind == "group" {
				e.nrOnce.Do(func() {})
			} else if e.Backend() == "io_uring" && e.netRing() == nil {
				t.Skip("no receive ring here (a kernel without DEFER_TASKRUN?)")
			}
			f(t, e)
		})
	}
}

// recvCounts is what the Conns' receives cost so far: operations submitted
// and completions taken, on the receive ring or the engine.
func recvCounts(e *Engine) (subs, cqes uint64) {
	if nr := e.netRing(); nr != nil {
		return nr.subs.Load(), nr.cqes.Load()
	}
	m := e.Metrics()
	return m.Submitted, m.CQEs
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func (c *Conn) pendingBuffers() int {
	c.rs.mu.Lock()
	defer c.rs.mu.Unlock()
	return len(c.rs.pending)
}

func (c *Conn) recvArmed() bool {
	c.rs.mu.Lock()
	defer c.rs.mu.Unlock()
	return c.rs.armed
}

// readDeep calls Read depth frames down, so the goroutine's stack grows
// (and moves) while reads are under way.
func readDeep(c *Conn, p []byte, depth int) (int, error) {
	var pad [256]byte
	if depth > 0 {
		n, err := readDeep(c, p, depth-1)
		pad[depth%len(pad)] = byte(n)
		return n + int(pad[depth%len(pad)]) - int(byte(n)), err // n: pad only grows the frame
	}
	return c.Read(p)
}

// 1 MiB through a group of 4 buffers of 512 bytes: the multishot receive
// runs dry and is re-armed many times; every byte arrives in order, with
// the GC running and the reading stack growing meanwhile, and every buffer
// is back in the group at the end.
func TestNetMultishotLargerThanGroup(t *testing.T) {
	bothSources(t, testMultishotLargerThanGroup, WithEngineRecvBuffers(4, 512))
}

func testMultishotLargerThanGroup(t *testing.T, e *Engine) {
	l := listen(t, e, ListenConfig{RingReceive: true})
	srv, cl := pair(t, l)
	g := needMultishot(t, e)
	want := pattern(1<<20, 3)
	go func() {
		cl.Write(want)
		cl.(*net.TCPConn).CloseWrite()
	}()
	stop := make(chan struct{})
	var gcs sync.WaitGroup
	gcs.Add(1)
	go func() {
		defer gcs.Done()
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	got := make([]byte, 0, len(want))
	buf := make([]byte, 1500) // not a multiple of the buffer size
	for depth := 0; ; depth = (depth + 37) % 400 {
		n, err := readDeep(srv, buf, depth)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Read after %d bytes: %v", len(got), err)
		}
	}
	close(stop)
	gcs.Wait()
	if !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes, want %d (or different bytes)", len(got), len(want))
	}
	if n := g.available(); n != 4 {
		t.Fatalf("available %d after reading all, want 4", n)
	}
	subs, cqes := recvCounts(e)
	t.Logf("submitted %d, CQEs %d", subs, cqes)
	if cqes <= subs {
		t.Fatalf("submitted %d, CQEs %d: want more CQEs than submissions (multishot)", subs, cqes)
	}
}

// 1000 small writes while the reader waits: they arrive coalesced in far
// fewer Reads, in order.
func TestNetMultishotCoalesced(t *testing.T) { bothSources(t, testMultishotCoalesced) }

func testMultishotCoalesced(t *testing.T, e *Engine) {
	l := listen(t, e, ListenConfig{RingReceive: true})
	srv, cl := pair(t, l)
	needMultishot(t, e)
	var want []byte
	for i := 0; i < 1000; i++ {
		msg := []byte{byte(i), byte(i >> 8), 'x', 'y', 'z', byte(i * 7)}
		want = append(want, msg...)
		if _, err := cl.Write(msg); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()
	time.Sleep(20 * time.Millisecond) // let the data land in buffers
	var got []byte
	reads := 0
	buf := make([]byte, 64<<10)
	for {
		n, err := srv.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		reads++
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes, want %d", len(got), len(want))
	}
	if reads >= 1000 {
		t.Fatalf("%d Reads for 1000 writes: nothing coalesced", reads)
	}
	t.Logf("%d writes read in %d Reads", 1000, reads)
	// End of stream stays reported.
	if n, err := srv.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read after EOF: %d %v", n, err)
	}
}

// A read deadline passes while the multishot receive stays armed: no
// receive is cancelled or submitted again, and data sent afterwards is
// read by the next Read.
func TestNetMultishotDeadlineKeepsArmed(t *testing.T) {
	bothSources(t, testMultishotDeadlineKeepsArmed)
}

func testMultishotDeadlineKeepsArmed(t *testing.T, e *Engine) {
	l := listen(t, e, ListenConfig{RingReceive: true})
	srv, cl := pair(t, l)
	needMultishot(t, e)
	cl.Write([]byte("first"))
	buf := make([]byte, 64)
	if n, err := srv.Read(buf); err != nil || string(buf[:n]) != "first" {
		t.Fatalf("first Read: %q %v", buf[:n], err)
	}
	before, _ := recvCounts(e)
	for i := 0; i < 3; i++ {
		srv.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
		if n, err := srv.Read(buf); n != 0 || !isTimeout(err) {
			t.Fatalf("Read %d with deadline: %d %v", i, n, err)
		}
		if !srv.recvArmed() {
			t.Fatal("the deadline ended the multishot receive")
		}
	}
	// Data arriving while nobody reads waits in the group.
	cl.Write([]byte("second"))
	waitFor(t, "data in the group", func() bool { return srv.pendingBuffers() > 0 })
	// With the deadline still in the past, Read fails even with data there.
	if _, err := srv.Read(buf); !isTimeout(err) {
		t.Fatalf("Read past the deadline with data pending: %v", err)
	}
	srv.SetReadDeadline(time.Time{})
	if n, err := srv.Read(buf); err != nil || string(buf[:n]) != "second" {
		t.Fatalf("Read after the deadline: %q %v", buf[:n], err)
	}
	if after, _ := recvCounts(e); after != before {
		t.Fatalf("%d operations submitted during the deadlines, want 0", after-before)
	}
}

// Close with data waiting in group buffers gives every buffer back.
func TestNetMultishotClosePending(t *testing.T) {
	bothSources(t, testMultishotClosePending, WithEngineRecvBuffers(8, 64))
}

func testMultishotClosePending(t *testing.T, e *Engine) {
	l := listen(t, e, ListenConfig{RingReceive: true})
	srv, cl := pair(t, l)
	g := needMultishot(t, e)
	buf := make([]byte, 8)
	cl.Write([]byte("armed"))
	if n, err := srv.Read(buf); err != nil || string(buf[:n]) != "armed" {
		t.Fatalf("Read: %q %v", buf[:n], err)
	}
	cl.Write(pattern(5*64, 1)) // at least 5 buffers
	waitFor(t, "5 buffers pending", func() bool { return srv.pendingBuffers() >= 5 })
	if n := g.available(); n > 3 {
		t.Fatalf("available %d with 5 buffers pending", n)
	}
	// A partial Read leaves the rest pending.
	if n, err := srv.Read(buf); n != len(buf) || err != nil {
		t.Fatalf("partial Read: %d %v", n, err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if n := g.available(); n != 8 {
		t.Fatalf("available %d after Close, want 8", n)
	}
	if _, err := srv.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
}

// A group of one buffer held by a connection nobody reads: another
// connection's Read still gets its data (received into p).
func TestNetMultishotDryGroup(t *testing.T) {
	bothSources(t, testMultishotDryGroup, WithEngineRecvBuffers(1, 16))
}

func testMultishotDryGroup(t *testing.T, e *Engine) {
	l := listen(t, e, ListenConfig{RingReceive: true})
	a, acl := pair(t, l)
	b, bcl := pair(t, l)
	g := needMultishot(t, e)
	buf := make([]byte, 64)
	acl.Write([]byte("a1"))
	if n, err := a.Read(buf); err != nil || string(buf[:n]) != "a1" {
		t.Fatalf("a Read: %q %v", buf[:n], err)
	}
	acl.Write([]byte("held"))
	waitFor(t, "a's buffer", func() bool { return a.pendingBuffers() == 1 })
	if g.available() != 0 {
		t.Fatal("the group is not dry")
	}
	done := make(chan string, 1)
	go func() {
		var got []byte
		for len(got) < 10 {
			n, err := b.Read(buf)
			if err != nil {
				done <- err.Error()
				return
			}
			got = append(got, buf[:n]...)
		}
		done <- string(got)
	}()
	bcl.Write([]byte("0123456789"))
	select {
	case s := <-done:
		if s != "0123456789" {
			t.Fatalf("b read %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("b's Read stalled on a dry group")
	}
	if n, err := a.Read(buf); err != nil || string(buf[:n]) != "held" {
		t.Fatalf("a's held data: %q %v", buf[:n], err)
	}
}

// 64 connections echo through hoop's listener at once, messages of
// varying sizes checked byte for byte. Runs on both backends, with the
// netpoller path and with the io_uring receive (ring, or the engine's
// group).
func TestNetEcho64Connections(t *testing.T) {
	t.Run("netpoller", func(t *testing.T) { testEcho64(t, newEngine(t), false) })
	bothSources(t, func(t *testing.T, e *Engine) { testEcho64(t, e, true) })
}

func testEcho64(t *testing.T, e *Engine, ring bool) {
	l := listen(t, e, ListenConfig{RingReceive: ring})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for m := 0; m < 20; m++ {
				msg := pattern(1+(i*131+m*977)%9000, byte(i+m))
				if _, err := c.Write(msg); err != nil {
					errs <- err
					return
				}
				got := make([]byte, len(msg))
				if _, err := io.ReadFull(c, got); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(got, msg) {
					errs <- errors.New("echo differs")
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// Accept with a deadline while the multishot accept is armed: it times out,
// the accept stays armed, and a connection made afterwards is accepted.
// Close closes connections accepted but not yet taken.
func TestNetMultishotAccept(t *testing.T) {
	e := newEngine(t)
	needMultishot(t, e)
	before := fdCount(t)
	l := listen(t, e, ListenConfig{RingReceive: true})
	l.SetDeadline(time.Now().Add(30 * time.Millisecond))
	if _, err := l.Accept(); !isTimeout(err) {
		t.Fatalf("Accept deadline: %v", err)
	}
	l.as.mu.Lock()
	armed := l.as.armed
	l.as.mu.Unlock()
	if !armed {
		t.Fatal("the deadline ended the multishot accept")
	}
	cl, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	l.SetDeadline(time.Time{})
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	// Two more connections wait in the queue when the listener closes.
	for i := 0; i < 2; i++ {
		x, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
	}
	waitFor(t, "2 queued connections", func() bool {
		l.as.mu.Lock()
		defer l.as.mu.Unlock()
		return len(l.as.fds) == 2
	})
	l.Close()
	// Ours: 3 client sockets remain open until the defers.
	if after := fdCount(t); after != before+3 {
		t.Fatalf("fds %d before, %d after (want +3: the clients)", before, after)
	}
}

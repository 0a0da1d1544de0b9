package hoop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// listen starts a hoop listener on 127.0.0.1 served by e (closed at
// cleanup).
func listen(t testing.TB, e *Engine, lc ListenConfig) *Listener {
	t.Helper()
	lc.Engine = e
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// pair returns a hoop Conn accepted from l and the Go net client connected
// to it.
func pair(t testing.TB, l *Listener) (*Conn, net.Conn) {
	t.Helper()
	type res struct {
		c   *Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := l.AcceptHoop()
		ch <- res{c, err}
	}()
	cl, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatalf("Accept: %v", r.err)
	}
	t.Cleanup(func() { r.c.Close(); cl.Close() })
	return r.c, cl
}

func TestNetEchoLargeWrite(t *testing.T) {
	e := newEngine(t)
	e.recvSource() // the receive ring's descriptors are the engine's
	before := fdCount(t)
	l := listen(t, e, ListenConfig{})
	if a := l.Addr().(*net.TCPAddr); !a.IP.Equal(net.IPv4(127, 0, 0, 1)) || a.Port == 0 {
		t.Fatalf("Addr %v", a)
	}
	srv, cl := pair(t, l)
	if srv.RemoteAddr().String() != cl.LocalAddr().String() || srv.LocalAddr().String() != cl.RemoteAddr().String() {
		t.Fatalf("addrs %v %v vs %v %v", srv.LocalAddr(), srv.RemoteAddr(), cl.LocalAddr(), cl.RemoteAddr())
	}

	// Small echo: client -> hoop -> client.
	msg := []byte("hello, hoop")
	if n, err := cl.Write(msg); n != len(msg) || err != nil {
		t.Fatal(n, err)
	}
	buf := make([]byte, 64)
	n, err := srv.Read(buf)
	if err != nil || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("Read %d %v %q", n, err, buf[:n])
	}

	// 8 MiB in one Write while the peer reads slowly: the socket buffer
	// fills, sends come back short, Write must still send everything.
	big := pattern(8<<20, 3)
	got := make(chan []byte, 1)
	go func() {
		var b bytes.Buffer
		tmp := make([]byte, 7000)
		for b.Len() < len(big) {
			n, err := cl.Read(tmp)
			b.Write(tmp[:n])
			if err != nil {
				break
			}
		}
		got <- b.Bytes()
	}()
	if n, err := srv.Write(big); n != len(big) || err != nil {
		t.Fatalf("Write %d %v, want %d nil", n, err, len(big))
	}
	if b := <-got; !bytes.Equal(b, big) {
		t.Fatalf("peer got %d bytes, want %d equal", len(b), len(big))
	}

	// End of stream.
	cl.Close()
	if n, err := srv.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read after peer close: %d %v, want 0 EOF", n, err)
	}
	srv.Close()
	if err := srv.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := srv.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	if _, err := srv.Write(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
	l.Close()
	if after := fdCount(t); after != before {
		t.Fatalf("fds %d before, %d after", before, after)
	}
}

// An HTTP server from net/http served over hoop's listener, exercised by
// net/http's client from many goroutines.
func TestNetHTTPServer(t *testing.T) {
	e := newEngine(t)
	l := listen(t, e, ListenConfig{})
	var hits atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "%s %s %d", r.Method, r.URL.Path, len(body))
	})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	defer client.CloseIdleConnections()
	base := "http://" + l.Addr().String()
	const workers, each = 16, 20
	var wg sync.WaitGroup
	var bad atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				path := fmt.Sprintf("/w%d/%d", w, i)
				body := bytes.Repeat([]byte("x"), i*1000)
				resp, err := client.Post(base+path, "text/plain", bytes.NewReader(body))
				if err != nil {
					t.Error(err)
					bad.Add(1)
					return
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if want := fmt.Sprintf("POST %s %d", path, len(body)); err != nil || string(got) != want {
					t.Errorf("got %q %v, want %q", got, err, want)
					bad.Add(1)
				}
			}
		}(w)
	}
	wg.Wait()
	if hits.Load() != workers*each || bad.Load() != 0 {
		t.Fatalf("hits %d bad %d, want %d 0", hits.Load(), bad.Load(), workers*each)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Fatalf("Serve: %v", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &ne) && ne.Timeout()
}

func TestNetDeadlines(t *testing.T) {
	e := newEngine(t)
	l := listen(t, e, ListenConfig{})
	srv, cl := pair(t, l)
	buf := make([]byte, 16)

	// A deadline in the past fails at once.
	srv.SetReadDeadline(time.Now().Add(-time.Second))
	if n, err := srv.Read(buf); n != 0 || !isTimeout(err) {
		t.Fatalf("past deadline: %d %v", n, err)
	}
	// A deadline that passes during the Read cancels it.
	start := time.Now()
	srv.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := srv.Read(buf); n != 0 || !isTimeout(err) {
		t.Fatalf("deadline during read: %d %v", n, err)
	}
	if d := time.Since(start); d < 45*time.Millisecond {
		t.Fatalf("timed out after %v, before the deadline", d)
	}
	// A deadline set by another goroutine while Read waits.
	srv.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(20 * time.Millisecond)
		srv.SetReadDeadline(time.Now())
	}()
	if n, err := srv.Read(buf); n != 0 || !isTimeout(err) {
		t.Fatalf("deadline set during read: %d %v", n, err)
	}
	// Cleared: the connection still works and no data was lost.
	srv.SetDeadline(time.Time{})
	cl.Write([]byte("after"))
	if n, err := srv.Read(buf); err != nil || string(buf[:n]) != "after" {
		t.Fatalf("read after deadlines: %q %v", buf[:n], err)
	}

	// Write deadline: the peer does not read, so a large Write stalls once
	// the socket buffers are full; it reports what was sent.
	// The 64 MiB are allocated before the deadline is set: zeroing them on
	// a loaded machine took long enough for the deadline to pass before
	// Write began, and then nothing is sent (as with package net).
	big := make([]byte, 64<<20)
	srv.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	n, err := srv.Write(big)
	if !isTimeout(err) || n <= 0 || n >= len(big) {
		t.Fatalf("write deadline: %d %v", n, err)
	}

	// Accept deadline on the listener.
	l.SetDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := l.Accept(); !isTimeout(err) {
		t.Fatalf("accept deadline: %v", err)
	}
}

func TestNetCloseWakesBlocked(t *testing.T) {
	e := newEngine(t)
	e.recvSource()
	before := fdCount(t)
	l := listen(t, e, ListenConfig{})
	srv, _ := pair(t, l)
	readErr := make(chan error, 1)
	go func() {
		_, err := srv.Read(make([]byte, 8))
		readErr <- err
	}()
	acceptErr := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		acceptErr <- err
	}()
	if srv.ps.f != nil { // the read waits in the netpoller
		waitInflight(t, e, 1)
		time.Sleep(20 * time.Millisecond)
	} else {
		waitInflight(t, e, 2)
	}
	srv.Close()
	l.Close()
	for _, ch := range []chan error{readErr, acceptErr} {
		select {
		case err := <-ch:
			if !errors.Is(err, net.ErrClosed) {
				t.Fatalf("blocked call got %v, want net.ErrClosed", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("blocked call not woken by Close")
		}
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
	// The client side of the pair is closed at cleanup; count ours only.
	if after := fdCount(t); after != before+1 {
		t.Fatalf("fds %d before, %d after (want +1: the client)", before, after)
	}
}

func TestNetSocketOptions(t *testing.T) {
	e := newEngine(t)
	a := listen(t, e, ListenConfig{ReusePort: true, FastOpen: 16, Backlog: 8})
	port := a.Addr().(*net.TCPAddr).Port
	lc := ListenConfig{Engine: e, ReusePort: true}
	b, err := lc.Listen(context.Background(), "tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("second SO_REUSEPORT listener: %v", err)
	}
	defer b.Close()
	if v, err := syscall.GetsockoptInt(a.g.fd, syscall.SOL_SOCKET, soReusePort); err != nil || v != 1 {
		t.Fatalf("SO_REUSEPORT %d %v", v, err)
	}
	if v, err := syscall.GetsockoptInt(a.g.fd, syscall.IPPROTO_TCP, tcpFastOpen); err != nil || v != 16 {
		t.Fatalf("TCP_FASTOPEN %d %v", v, err)
	}
	lc.ReusePort = false
	if _, err := lc.Listen(context.Background(), "tcp", fmt.Sprintf("127.0.0.1:%d", port)); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("listener without SO_REUSEPORT: %v, want EADDRINUSE", err)
	}
	if _, err := lc.Listen(context.Background(), "udp", "127.0.0.1:0"); err == nil {
		t.Fatal("udp accepted")
	}
	// Accepted connections have TCP_NODELAY. (A fresh listener: with
	// SO_REUSEPORT the kernel may hand a connection to either of a and b.)
	srv, _ := pair(t, listen(t, e, ListenConfig{}))
	if v, err := syscall.GetsockoptInt(srv.g.fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY); err != nil || v != 1 {
		t.Fatalf("TCP_NODELAY %d %v", v, err)
	}
}

// 64 connections, each echoing many messages through one engine from its
// own goroutine; every byte and the message count are checked.
func TestNetManyConnections(t *testing.T) {
	e := newEngine(t)
	l := listen(t, e, ListenConfig{})
	const conns, msgs = 64, 50
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
	var ok, bad atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				bad.Add(1)
				return
			}
			defer c.Close()
			out := pattern(100+i, byte(i))
			in := make([]byte, len(out))
			for m := 0; m < msgs; m++ {
				if _, err := c.Write(out); err != nil {
					bad.Add(1)
					return
				}
				if _, err := io.ReadFull(c, in); err != nil || !bytes.Equal(in, out) {
					bad.Add(1)
					return
				}
				ok.Add(1)
			}
		}(i)
	}
	wg.Wait()
	if ok.Load() != conns*msgs || bad.Load() != 0 {
		t.Fatalf("ok %d bad %d, want %d 0", ok.Load(), bad.Load(), conns*msgs)
	}
}

package hoop

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// wantTimeout fails unless err is a *net.OpError wrapping
// os.ErrDeadlineExceeded, as net's Conns return.
func wantTimeout(t *testing.T, step string, err error) {
	t.Helper()
	var op *net.OpError
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &op) {
		t.Fatalf("%s: %v, want a *net.OpError wrapping os.ErrDeadlineExceeded", step, err)
	}
}

// blockedReads starts k Reads on c that find nothing to read (so at most
// one takes the bound step function, the others their own closures) and
// returns the channel of their errors.
func blockedReads(c *Conn, k int) chan error {
	errs := make(chan error, k)
	for range k {
		go func() {
			buf := make([]byte, 8)
			n, err := c.Read(buf)
			if err == nil {
				err = errors.New("Read returned " + string(buf[:n]))
			}
			errs <- err
		}()
	}
	return errs
}

// waitErrs waits for k errors from errs, each within a bound.
func waitErrs(t *testing.T, step string, errs chan error, k int) []error {
	t.Helper()
	out := make([]error, 0, k)
	for range k {
		select {
		case err := <-errs:
			out = append(out, err)
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: a blocked call was not woken", step)
		}
	}
	return out
}

// A deadline set while Reads are blocked in the netpoller wakes every one
// of them with os.ErrDeadlineExceeded, as on net's Conns, whichever way
// it is set: in the past, a little ahead, through SetDeadline, or after a
// clear of a deadline that was set, and set again to the same value.
func TestNetPollDeadlineWakesBlockedReads(t *testing.T) {
	e := newEngine(t)
	past := time.Now().Add(-time.Second)
	for _, tc := range []struct {
		name string
		set  func(c *Conn)
	}{
		{"read deadline in the past", func(c *Conn) { c.SetReadDeadline(past) }},
		{"SetDeadline in the past", func(c *Conn) { c.SetDeadline(past) }},
		{"read deadline 30ms ahead", func(c *Conn) { c.SetReadDeadline(time.Now().Add(30 * time.Millisecond)) }},
		{"set, cleared, set again to the same", func(c *Conn) {
			d := time.Now().Add(30 * time.Millisecond)
			c.SetReadDeadline(d)
			c.SetReadDeadline(time.Time{})
			c.SetDeadline(time.Time{})
			c.SetReadDeadline(d)
		}},
		{"write deadline set, then both set", func(c *Conn) {
			c.SetWriteDeadline(time.Now().Add(time.Hour))
			c.SetWriteDeadline(time.Time{})
			c.SetDeadline(past)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cl := pollPair(t, e)
			errs := blockedReads(srv, 3)
			time.Sleep(20 * time.Millisecond) // let them park
			tc.set(srv)
			for _, err := range waitErrs(t, tc.name, errs, 3) {
				wantTimeout(t, tc.name, err)
			}
			// Cleared, the Conn reads again; nothing was consumed.
			srv.SetReadDeadline(time.Time{})
			srv.SetDeadline(time.Time{})
			if _, err := cl.Write([]byte("z")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 8)
			if n, err := srv.Read(buf); n != 1 || err != nil || buf[0] != 'z' {
				t.Fatalf("after the clear: Read %d %q %v", n, buf[:n], err)
			}
		})
	}
}

// A Write blocked for room (the peer does not read) is woken by a write
// deadline set meanwhile; it reports exactly the bytes that went out,
// which the peer then reads, no more and no fewer.
func TestNetPollDeadlineWakesBlockedWrite(t *testing.T) {
	srv, cl := pollPair(t, newEngine(t))
	data := pattern(64<<20, 3)
	type res struct {
		n   int
		err error
	}
	done := make(chan res, 1)
	go func() {
		n, err := srv.Write(data)
		done <- res{n, err}
	}()
	time.Sleep(50 * time.Millisecond)
	srv.SetWriteDeadline(time.Now().Add(-time.Second))
	var r res
	select {
	case r = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("blocked Write not woken by the write deadline")
	}
	wantTimeout(t, "blocked Write", r.err)
	if r.n <= 0 || r.n >= len(data) {
		t.Fatalf("Write sent %d of %d bytes", r.n, len(data))
	}
	srv.Close() // the peer reads to end of stream
	got, err := io.ReadAll(cl)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data[:r.n]) {
		t.Fatalf("peer read %d bytes, Write reported %d (or they differ)", len(got), r.n)
	}
}

// Close while Reads and a Write are blocked ends each with net.ErrClosed.
func TestNetPollCloseWakesBlocked(t *testing.T) {
	srv, _ := pollPair(t, newEngine(t))
	errs := blockedReads(srv, 2)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := srv.Write(make([]byte, 64<<20))
		errs <- err
	}()
	time.Sleep(50 * time.Millisecond)
	srv.Close()
	for _, err := range waitErrs(t, "Close", errs, 3) {
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("after Close: %v, want net.ErrClosed", err)
		}
	}
	wg.Wait()
}

// Accepted Conns' LocalAddr on IPv6 listeners, one bound to ::1 and one
// to the wildcard (dialled over IPv6 and, dual-stack, over IPv4): each is
// what the client sees as its peer.
func TestNetAcceptLocalAddrIPv6(t *testing.T) {
	e := newEngine(t)
	for _, tc := range []struct{ listen, dial string }{
		{"[::1]:0", "::1"},
		{"[::]:0", "::1"},
		{"[::]:0", "127.0.0.1"},
	} {
		lc := ListenConfig{Engine: e}
		l, err := lc.Listen(context.Background(), "tcp", tc.listen)
		if err != nil {
			t.Skipf("no IPv6 here: %v", err)
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
		cl, err := net.Dial("tcp", net.JoinHostPort(tc.dial, strconv.Itoa(port)))
		if err != nil {
			l.Close()
			t.Skipf("dial %s: %v", tc.dial, err)
		}
		srv := <-done
		if srv == nil {
			t.FailNow()
		}
		if got, want := srv.LocalAddr().(*net.TCPAddr), cl.RemoteAddr().(*net.TCPAddr); !got.IP.Equal(want.IP) || got.Port != want.Port {
			t.Errorf("listen %s dial %s: LocalAddr %v, want %v", tc.listen, tc.dial, got, want)
		}
		cl.Close()
		srv.Close()
		l.Close()
	}
}

// Deadline setters racing each other and a Read that keeps finding data:
// once they have all returned, one clear leaves the Conn with no deadline
// (the cached state agrees with the netpoller's), and one set in the past
// fails the next Read.
func TestNetPollDeadlineSettersRace(t *testing.T) {
	srv, cl := pollPair(t, newEngine(t))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				switch (i + k) % 4 {
				case 0:
					srv.SetReadDeadline(time.Now().Add(-time.Second))
				case 1:
					srv.SetReadDeadline(time.Time{})
				case 2:
					srv.SetDeadline(time.Now().Add(time.Hour))
				default:
					srv.SetDeadline(time.Time{})
				}
			}
		}()
	}
	buf := make([]byte, 1)
	for range 200 {
		if _, err := cl.Write([]byte("r")); err != nil {
			t.Fatal(err)
		}
		// Each Read gets the byte or times out (leaving it for the next).
		if _, err := srv.Read(buf); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	srv.SetDeadline(time.Time{})
	for {
		srv.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := srv.Read(make([]byte, 4096)); err != nil {
			wantTimeout(t, "draining", err)
			break
		}
	}
	srv.SetReadDeadline(time.Time{})
	if _, err := cl.Write([]byte("s")); err != nil {
		t.Fatal(err)
	}
	if n, err := srv.Read(buf); n != 1 || err != nil || buf[0] != 's' {
		t.Fatalf("after the clear: Read %d %v", n, err)
	}
	srv.SetReadDeadline(time.Now().Add(-time.Second))
	cl.Write([]byte("t"))
	_, err := srv.Read(buf)
	wantTimeout(t, "set in the past after the race", err)
}

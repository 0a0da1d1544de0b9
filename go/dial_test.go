package hoop

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/nettest"
)

// pipeOver returns a nettest.MakePipe whose connections come from the
// listen and dial functions given (hoop's or Go's net).
func pipeOver(t *testing.T, listen func() (net.Listener, error), dial func(addr string) (net.Conn, error)) nettest.MakePipe {
	return func() (c1, c2 net.Conn, stop func(), err error) {
		l, err := listen()
		if err != nil {
			return nil, nil, nil, err
		}
		defer l.Close()
		type accepted struct {
			c   net.Conn
			err error
		}
		ch := make(chan accepted, 1)
		go func() {
			c, err := l.Accept()
			ch <- accepted{c, err}
		}()
		c1, err = dial(l.Addr().String())
		if err != nil {
			return nil, nil, nil, err
		}
		a := <-ch
		if a.err != nil {
			c1.Close()
			return nil, nil, nil, a.err
		}
		return c1, a.c, func() { c1.Close(); a.c.Close() }, nil
	}
}

// Conns from Dial and from Listen behave as net.Conns must
// (golang.org/x/net/nettest), against each other and against Go's net, on
// the netpoller path and with the io_uring receive (RingReceive).
func TestConnNettest(t *testing.T) {
	e := newEngine(t)
	for _, ring := range []bool{false, true} {
		name := "netpoller"
		if ring {
			name = "ring"
		}
		t.Run(name, func(t *testing.T) {
			hoopListen := func() (net.Listener, error) {
				lc := ListenConfig{Engine: e, RingReceive: ring}
				return lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
			}
			netListen := func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
			hoopDial := func(addr string) (net.Conn, error) {
				d := Dialer{Engine: e, RingReceive: ring}
				return d.Dial("tcp", addr)
			}
			netDial := func(addr string) (net.Conn, error) { return net.Dial("tcp", addr) }
			t.Run("Dial-Listen", func(t *testing.T) { nettest.TestConn(t, pipeOver(t, hoopListen, hoopDial)) })
			t.Run("Dial-net", func(t *testing.T) { nettest.TestConn(t, pipeOver(t, netListen, hoopDial)) })
			t.Run("net-Listen", func(t *testing.T) { nettest.TestConn(t, pipeOver(t, hoopListen, netDial)) })
		})
	}
}

// Dial's errors: a refused connection wraps ECONNREFUSED in a
// *net.OpError "dial"; a cancelled context is reported as such; unknown
// networks and bad addresses are refused before any socket is made.
func TestDialErrors(t *testing.T) {
	e := newEngine(t)
	d := Dialer{Engine: e}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nobody listens there now
	_, err = d.Dial("tcp", addr)
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "dial" || !errors.Is(err, syscall.ECONNREFUSED) ||
		oe.Addr == nil || oe.Addr.String() != addr {
		t.Fatalf("Dial to a closed port: %#v (%v), want a dial *net.OpError wrapping ECONNREFUSED", err, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.DialContext(ctx, "tcp", addr); !errors.Is(err, context.Canceled) {
		t.Fatalf("DialContext with a cancelled context: %v", err)
	}
	if _, err := d.Dial("udp", addr); err == nil || err.Error() != "dial udp: unknown network udp" {
		t.Fatalf("Dial udp: %v", err)
	}
	if _, err := d.Dial("tcp", "127.0.0.1"); err == nil {
		t.Fatal("Dial without a port: no error")
	}
}

// A client made with Dial talks to a server made with Listen; the default
// engine serves both when none is given, and "localhost" resolves.
func TestDialDefaultEngine(t *testing.T) {
	needURing(t)
	l, err := Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		io.Copy(c, c)
		c.Close()
	}()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	c, err := DialContext(context.Background(), "tcp4", "localhost:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.RemoteAddr().String() != l.Addr().String() {
		t.Fatalf("RemoteAddr %v, want %v", c.RemoteAddr(), l.Addr())
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo %q, %v", buf, err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read after the server closed: %d, %v; want 0, io.EOF", n, err)
	}
}

package hoop

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"
)

// On the default (netpoller) path a message costs the engine nothing: 200
// echoed messages add no submission and no completion to the engine (the
// io_uring receive took one completion per message). Runs on both
// backends.
func TestNetPollNoEnginePerMessage(t *testing.T) {
	e := newEngine(t)
	l := listen(t, e, ListenConfig{})
	srv, cl := pair(t, l)
	if srv.ps.f == nil {
		t.Fatal("the accepted Conn is not on the netpoller path")
	}
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

package hoop

import (
	"context"
	"errors"
	"syscall"
	"testing"
)

func TestBufferGroupRecv(t *testing.T) {
	e := newEngine(t)
	g, err := e.NewBufferGroup(7, 4, 256)
	if e.Backend() == "threads" {
		if !errors.Is(err, syscall.EOPNOTSUPP) {
			t.Fatalf("thread pool: %v, want EOPNOTSUPP", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := e.NewBufferGroup(7, 4, 256); !errors.Is(err, syscall.EEXIST) {
		t.Fatalf("same id twice: %v, want EEXIST", err)
	}
	if _, err := e.NewBufferGroup(8, 3, 256); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("count 3: %v, want EINVAL", err)
	}
	if g.ID() != 7 || g.Available() != 4 {
		t.Fatalf("id %d available %d", g.ID(), g.Available())
	}
	l := listen(t, e, ListenConfig{})
	srv, cl := pair(t, l)
	fd := srv.g.fd
	ctx := context.Background()

	seen := map[int]bool{}
	for i := 0; i < 4; i++ {
		msg := []byte{'m', byte('0' + i)}
		cl.Write(msg)
		n, bid, err := e.RecvBuffer(ctx, fd, g)
		if err != nil || n != 2 || bid < 0 || bid >= 4 || seen[bid] {
			t.Fatalf("recv %d: n %d bid %d err %v", i, n, bid, err)
		}
		seen[bid] = true
		if b := g.Buffer(bid); len(b) != 256 || string(b[:n]) != string(msg) {
			t.Fatalf("buffer %d holds %q", bid, b[:n])
		}
		if got := g.Available(); got != 3-i {
			t.Fatalf("available %d, want %d", got, 3-i)
		}
	}
	// Every buffer is out: the next receive has nothing to pick.
	cl.Write([]byte("x"))
	if _, _, err := e.RecvBuffer(ctx, fd, g); !errors.Is(err, syscall.ENOBUFS) {
		t.Fatalf("all out: %v, want ENOBUFS", err)
	}
	for bid := range seen {
		if err := g.Return(bid); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Return(0); !errors.Is(err, syscall.EALREADY) {
		t.Fatalf("double return: %v, want EALREADY", err)
	}
	if err := g.Return(99); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("bad bid: %v, want EINVAL", err)
	}
	if g.Buffer(99) != nil || g.Available() != 4 {
		t.Fatalf("after returns: available %d", g.Available())
	}
	// The byte left unread arrives once buffers are back.
	n, bid, err := e.RecvBuffer(ctx, fd, g)
	if err != nil || n != 1 || string(g.Buffer(bid)[:1]) != "x" {
		t.Fatalf("after refill: %d %d %v", n, bid, err)
	}
	// The deprecated names answer as the new ones.
	if b := g.GetBuffer(bid); &b[0] != &g.Buffer(bid)[0] || g.AvailableCount() != 3 {
		t.Fatalf("old names: available %d", g.AvailableCount())
	}
	if err := g.ReturnBuffer(bid); err != nil || g.AvailableCount() != 4 {
		t.Fatalf("ReturnBuffer: %v, available %d", err, g.AvailableCount())
	}
	g.Close()
	if g.Available() != 0 || g.Buffer(0) != nil {
		t.Fatal("closed group still answers")
	}
}

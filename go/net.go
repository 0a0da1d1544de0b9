package hoop

/*
#include "hoopgo.h"
*/
import "C"

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// Operation codes of the socket operations (the kernel's io_uring opcodes).
const (
	OpAccept  uint8 = C.HOOP_OP_ACCEPT
	OpConnect uint8 = C.HOOP_OP_CONNECT
	OpSend    uint8 = C.HOOP_OP_SEND
	OpRecv    uint8 = C.HOOP_OP_RECV
)

var (
	defaultOnce sync.Once
	defaultEng  *Engine
	defaultErr  error
)

// DefaultEngine returns the engine shared by Listen and by ListenConfig
// values without an Engine, creating it on first use. It is never closed.
func DefaultEngine() (*Engine, error) {
	defaultOnce.Do(func() { defaultEng, defaultErr = NewEngine() })
	return defaultEng, defaultErr
}

// Listen announces on the local TCP address (network "tcp", "tcp4" or
// "tcp6"), like net.Listen, with the default engine and ListenConfig's
// defaults. Connections accepted from it do their I/O through the engine.
func Listen(network, address string) (*Listener, error) {
	var lc ListenConfig
	return lc.Listen(context.Background(), network, address)
}

// ListenConfig holds the options of a listening socket, like
// net.ListenConfig.
type ListenConfig struct {
	// Engine serves the listener and its connections; nil means
	// DefaultEngine.
	Engine *Engine
	// ReusePort sets SO_REUSEPORT, so several listeners (one per engine,
	// say) can share the port and the kernel spreads connections.
	ReusePort bool
	// FastOpen, when > 0, enables TCP_FASTOPEN with a queue of that many
	// pending fast-open requests.
	FastOpen int
	// Backlog is listen(2)'s backlog; 0 means 4096 (the kernel caps it at
	// net.core.somaxconn).
	Backlog int
	// RingReceive makes the accepted connections receive with io_uring
	// (one multishot receive each into the engine's buffers, see Conn)
	// instead of waiting for readiness in Go's netpoller and calling
	// recv(2) themselves.
	RingReceive bool
}

// Listen creates the listening socket (SO_REUSEADDR is always set, as Go's
// net does) and returns it. ctx is only checked before starting.
func (lc *ListenConfig) Listen(ctx context.Context, network, address string) (*Listener, error) {
	opErr := func(err error) error {
		return &net.OpError{Op: "listen", Net: network, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return nil, opErr(err)
	}
	e := lc.Engine
	if e == nil {
		var err error
		if e, err = DefaultEngine(); err != nil {
			return nil, opErr(err)
		}
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, opErr(net.UnknownNetworkError(network))
	}
	ta, err := net.ResolveTCPAddr(network, address)
	if err != nil {
		return nil, opErr(err)
	}
	sa, family := tcpSockaddr(network, ta)
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, syscall.IPPROTO_TCP)
	if err != nil {
		return nil, opErr(os.NewSyscallError("socket", err))
	}
	fail := func(call string, err error) (*Listener, error) {
		syscall.Close(fd)
		return nil, opErr(os.NewSyscallError(call, err))
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt", err)
	}
	if lc.ReusePort {
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, soReusePort, 1); err != nil {
			return fail("setsockopt", err)
		}
	}
	if family == syscall.AF_INET6 && network == "tcp6" {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1); err != nil {
			return fail("setsockopt", err)
		}
	}
	if lc.FastOpen > 0 {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, tcpFastOpen, lc.FastOpen); err != nil {
			return fail("setsockopt", err)
		}
	}
	if err := syscall.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	backlog := lc.Backlog
	if backlog <= 0 {
		backlog = 4096
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		return fail("listen", err)
	}
	l := &Listener{e: e, net: network, ring: lc.RingReceive}
	l.g.fd = fd
	l.g.done = make(chan struct{})
	l.as.notify = make(chan struct{}, 1)
	l.as.onCQE = l.onAccept
	l.dl.e = e
	l.addr = sockAddr(fd, syscall.Getsockname)
	return l, nil
}

// The socket options syscall does not name on every architecture.
const (
	soReusePort = 0xf  // SO_REUSEPORT
	tcpFastOpen = 0x17 // TCP_FASTOPEN
)

func tcpSockaddr(network string, a *net.TCPAddr) (syscall.Sockaddr, int) {
	if ip4 := a.IP.To4(); network != "tcp6" && (a.IP == nil || ip4 != nil) {
		sa := &syscall.SockaddrInet4{Port: a.Port}
		copy(sa.Addr[:], ip4)
		return sa, syscall.AF_INET
	}
	sa := &syscall.SockaddrInet6{Port: a.Port}
	copy(sa.Addr[:], a.IP.To16())
	return sa, syscall.AF_INET6
}

// sockAddr returns fd's local or peer address (get is syscall.Getsockname
// or syscall.Getpeername) as a *net.TCPAddr, or nil.
func sockAddr(fd int, get func(int) (syscall.Sockaddr, error)) net.Addr {
	sa, err := get(fd)
	if err != nil {
		return nil
	}
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), sa.Addr[:]...)), Port: sa.Port}
	case *syscall.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), sa.Addr[:]...)), Port: sa.Port}
	}
	return nil
}

// fdGuard counts the operations using a socket so that Close can cancel
// them and close the descriptor only once none is left (close(2) does not
// stop an operation in flight).
type fdGuard struct {
	mu     sync.Mutex
	fd     int
	closed bool
	ops    int
	done   chan struct{} // closed when close starts
	cancel func()        // also cancels what runs outside the engine, or nil
	closer func() error  // closes fd and wakes its waiters (the netpoller), or nil
}

func (g *fdGuard) incref() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.ops++
	return true
}

func (g *fdGuard) decref() {
	g.mu.Lock()
	g.ops--
	g.mu.Unlock()
}

func (g *fdGuard) isBusy() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ops > 0
}

func (g *fdGuard) isClosed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// close refuses new operations, cancels those in flight until none is
// left, then closes the descriptor. It fails with net.ErrClosed the second
// time.
func (g *fdGuard) close(e *Engine) error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return net.ErrClosed
	}
	g.closed = true
	if g.done != nil {
		close(g.done)
	}
	g.mu.Unlock()
	if g.closer != nil {
		// Waiters in the netpoller wake with an error; the descriptor
		// is closed once the last of them is out.
		err := g.closer()
		for g.isBusy() {
			time.Sleep(50 * time.Microsecond)
		}
		return err
	}
	for {
		g.mu.Lock()
		left := g.ops
		g.mu.Unlock()
		if left == 0 {
			break
		}
		// An operation may still sit in the submission combiner and
		// reach the kernel after a cancel: repeat until all are gone.
		e.cancelFD(g.fd)
		if g.cancel != nil {
			g.cancel()
		}
		time.Sleep(200 * time.Microsecond)
	}
	return syscall.Close(g.fd)
}

// deadline is one direction's deadline of a Conn or Listener: it cancels
// the operation in flight when the time comes, whether the deadline was set
// before or during the operation.
type deadline struct {
	e     *Engine
	mu    sync.Mutex
	t     time.Time
	timer *time.Timer
	cur   *call // the operation in flight, if any
	fired bool  // the deadline cancelled cur

	changed chan struct{} // closed when t changes (for wait)
}

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	d.t = t
	if d.changed != nil {
		close(d.changed)
		d.changed = nil
	}
	d.armLocked()
	d.mu.Unlock()
}

// wait parks until ready or stop is signalled (false) or the deadline
// passes (true), following changes of the deadline made meanwhile. Nothing
// is cancelled: it is for waits on multishot operations, which stay armed.
func (d *deadline) wait(ready, stop <-chan struct{}) bool {
	for {
		d.mu.Lock()
		t := d.t
		if d.changed == nil {
			d.changed = make(chan struct{})
		}
		changed := d.changed
		d.mu.Unlock()
		if t.IsZero() {
			select {
			case <-ready:
				return false
			case <-stop:
				return false
			case <-changed:
				continue
			}
		}
		left := time.Until(t)
		if left <= 0 {
			return true
		}
		tm := time.NewTimer(left)
		select {
		case <-ready:
			tm.Stop()
			return false
		case <-stop:
			tm.Stop()
			return false
		case <-changed:
			tm.Stop()
		case <-tm.C:
		}
	}
}

// passed reports whether the deadline is set and in the past.
func (d *deadline) passed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.t.IsZero() && !time.Now().Before(d.t)
}

func (d *deadline) armLocked() {
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.cur == nil || d.t.IsZero() || d.fired {
		return
	}
	if left := time.Until(d.t); left > 0 {
		d.timer = time.AfterFunc(left, d.fire)
		return
	}
	d.fired = true
	d.e.cancelCall(d.cur)
}

func (d *deadline) fire() {
	d.mu.Lock()
	if d.cur != nil && !d.fired && !d.t.IsZero() && !time.Now().Before(d.t) {
		d.fired = true
		d.e.cancelCall(d.cur)
	}
	d.mu.Unlock()
}

// run submits c and waits for its final result, letting the deadline
// cancel it. It reports whether the deadline did.
func (d *deadline) run(c *call) (int32, bool) {
	d.e.acquire(context.Background(), 1)
	d.e.submit(c)
	d.mu.Lock()
	d.cur, d.fired = c, false
	d.armLocked()
	d.mu.Unlock()
	res := <-c.ch
	d.mu.Lock()
	d.cur = nil
	fired := d.fired
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.mu.Unlock()
	return res, fired
}

// sockOp runs one socket operation on g's descriptor (already referenced)
// under deadline d and maps its result: bytes or fd, or an error that is
// os.ErrDeadlineExceeded, net.ErrClosed, or a *os.SyscallError.
func sockOp(e *Engine, g *fdGuard, d *deadline, name string, c *call) (int, error) {
	if d.passed() {
		putCall(c)
		return 0, os.ErrDeadlineExceeded
	}
	res, fired := d.run(c)
	failed := c.subFailed
	putCall(c)
	switch {
	case res >= 0 && !failed:
		return int(res), nil
	case failed && res == -C.ESHUTDOWN:
		return 0, net.ErrClosed
	case res == -C.ECANCELED && fired:
		return 0, os.ErrDeadlineExceeded
	case res == -C.ECANCELED && g.isClosed():
		return 0, net.ErrClosed
	}
	return 0, os.NewSyscallError(name, syscall.Errno(-res))
}

// Listener is a TCP listener whose Accept returns Conns served by an
// engine. It implements net.Listener; all methods are safe for concurrent
// use.
//
// On io_uring one multishot accept per listener runs while the listener is
// in use (armed by the first Accept, re-armed by the next Accept after the
// kernel ends it); accepted connections wait in a queue for Accept. On the
// thread pool each Accept is one accept operation.
type Listener struct {
	e    *Engine
	net  string
	ring bool // ListenConfig.RingReceive
	g    fdGuard
	dl   deadline
	addr net.Addr
	as   acceptState
}

// acceptState is a listener's multishot accept and what it delivered.
type acceptState struct {
	mu     sync.Mutex
	fds    []int // accepted, waiting for Accept
	err    error // how the last multishot ended, for the next Accept
	armed  bool  // a multishot accept is in flight
	op     *call // it, or the last one (its result not yet taken)
	single bool  // the backend refused multishot: one accept per call
	notify chan struct{}
	onCQE  func(int32, uint32)
}

// onAccept takes each completion of the multishot accept (with the
// engine's pendMu held: leaf locks only).
func (l *Listener) onAccept(res int32, flags uint32) {
	as := &l.as
	as.mu.Lock()
	if res >= 0 {
		as.fds = append(as.fds, int(res))
	}
	if flags&C.HOOP_CQE_F_MORE == 0 {
		as.armed = false
		switch {
		case res >= 0, res == -C.ECANCELED, res == -C.ECONNABORTED:
		case res == -C.EINVAL || res == -C.EOPNOTSUPP:
			// No multishot accept here: fall back to single ones.
			as.single = true
		default:
			as.err = msErr("accept", res)
		}
		l.e.msDone()
		l.g.decref()
	}
	as.mu.Unlock()
	signal(as.notify)
}

// msErr is the error a multishot operation ended with: net.ErrClosed when
// the engine refused to start it, else a *os.SyscallError.
func msErr(name string, res int32) error {
	if res == -C.ESHUTDOWN {
		return net.ErrClosed
	}
	return os.NewSyscallError(name, syscall.Errno(-res))
}

// signal wakes whoever waits on ch (capacity 1) without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// armAccept starts the multishot accept (the caller holds a reference on
// l.g). It reports false when it cannot: the caller accepts once instead.
func (l *Listener) armAccept() bool {
	as := &l.as
	if !l.e.msAcquire() {
		return false
	}
	if !l.g.incref() {
		l.e.msRelease()
		return false
	}
	op := getCall()
	op.req.op = C.uint8_t(OpAccept)
	op.req.fd = C.int32_t(l.g.fd)
	op.req.flags = C.uint32_t(l.acceptFlags())
	op.req.mshot = 1
	op.ms = as.onCQE
	as.mu.Lock()
	prev := as.op
	as.op, as.armed = op, true
	as.mu.Unlock()
	if prev != nil {
		<-prev.ch
		putCall(prev)
	}
	l.e.submit(op)
	return true
}

// Accept waits for the next connection (the goroutine is parked meanwhile)
// and returns it as a *Conn with TCP_NODELAY set, as Go's net does.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptHoop()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AcceptHoop is Accept returning the concrete type.
func (l *Listener) AcceptHoop() (*Conn, error) {
	if !l.g.incref() {
		return nil, l.opErr(net.ErrClosed)
	}
	defer l.g.decref()
	as := &l.as
	for {
		if l.dl.passed() {
			return nil, l.opErr(os.ErrDeadlineExceeded)
		}
		as.mu.Lock()
		if len(as.fds) > 0 {
			fd := as.fds[0]
			as.fds = as.fds[1:]
			if len(as.fds) > 0 {
				signal(as.notify) // another waiting Accept takes the rest
			}
			as.mu.Unlock()
			return l.newConn(fd), nil
		}
		if err := as.err; err != nil {
			as.err = nil
			as.mu.Unlock()
			return nil, l.opErr(err)
		}
		armed, single := as.armed, as.single
		as.mu.Unlock()
		if !armed && (single || !l.armAccept()) {
			return l.acceptOnce()
		}
		if l.dl.wait(as.notify, l.g.done) {
			return nil, l.opErr(os.ErrDeadlineExceeded)
		}
		if l.g.isClosed() {
			return nil, l.opErr(net.ErrClosed)
		}
	}
}

// acceptOnce accepts with one accept operation (the caller holds a
// reference on l.g).
func (l *Listener) acceptOnce() (*Conn, error) {
	c := getCall()
	c.req.op = C.uint8_t(OpAccept)
	c.req.fd = C.int32_t(l.g.fd)
	c.req.flags = C.uint32_t(l.acceptFlags())
	fd, err := sockOp(l.e, &l.g, &l.dl, "accept", c)
	if err != nil {
		return nil, l.opErr(err)
	}
	return l.newConn(fd), nil
}

// acceptFlags are accept4(2)'s flags for the listener's connections:
// those that wait in the netpoller are made non-blocking by the accept
// itself, which saves two fcntl(2) calls each.
func (l *Listener) acceptFlags() int {
	if l.ring {
		return syscall.SOCK_CLOEXEC
	}
	return syscall.SOCK_CLOEXEC | syscall.SOCK_NONBLOCK
}

// newConn makes the Conn of an accepted socket, with TCP_NODELAY set.
// Its local address is the listener's unless that is a wildcard one.
func (l *Listener) newConn(fd int) *Conn {
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	var laddr net.Addr
	if la, ok := l.addr.(*net.TCPAddr); ok && !la.IP.IsUnspecified() {
		laddr = &net.TCPAddr{IP: la.IP, Port: la.Port, Zone: la.Zone}
	}
	return newConn(l.e, l.net, fd, laddr, l.ring, !l.ring)
}

func (l *Listener) opErr(err error) error {
	return &net.OpError{Op: "accept", Net: l.net, Addr: l.addr, Err: err}
}

// Close stops listening: the multishot accept is cancelled, a blocked
// Accept returns an error wrapping net.ErrClosed, and connections accepted
// but not yet returned by Accept are closed. Connections already returned
// stay open.
func (l *Listener) Close() error {
	if err := l.g.close(l.e); err != nil {
		return &net.OpError{Op: "close", Net: l.net, Addr: l.addr, Err: err}
	}
	as := &l.as
	as.mu.Lock()
	fds, op := as.fds, as.op
	as.fds, as.op = nil, nil
	as.mu.Unlock()
	for _, fd := range fds {
		syscall.Close(fd)
	}
	if op != nil {
		<-op.ch
		putCall(op)
	}
	return nil
}

// Addr returns the listener's local address.
func (l *Listener) Addr() net.Addr { return l.addr }

// SetDeadline sets the time after which Accept fails with an error
// wrapping os.ErrDeadlineExceeded; the zero time means none.
func (l *Listener) SetDeadline(t time.Time) error {
	l.dl.set(t)
	return nil
}

// Conn is a TCP connection. It implements net.Conn. Reads may run
// concurrently with writes; concurrent Reads (or Writes) are serialised,
// as in Go's net. A goroutine blocked in Read or Write is parked, not
// holding a thread.
//
// By default Read and Write call recv(2) and send(2) directly from Go (no
// cgo, no ring) and wait in Go's netpoller when the socket has no
// data or no room, as Go's net does: no ring is involved in a message.
//
// With RingReceive (ListenConfig, Dialer) a Conn receives on io_uring with
// one multishot receive (armed by the first Read) selecting buffers of
// the engine's receive ring, which is driven from Go (netring.go), or
// where that cannot be made, of the engine's buffer group
// (WithEngineRecvBuffers): data waits in those buffers until Read copies
// it out, and each buffer goes back once drained. When the buffers run
// dry the receive ends and is re-armed by a later Read (which receives
// straight into its own p while they stay dry). Write then first tries
// one non-blocking send(2) and sends the rest through the engine. On the
// thread pool each Read is one receive operation.
type Conn struct {
	e        *Engine
	net      string
	g        fdGuard
	rmu, wmu sync.Mutex
	rd, wd   deadline
	laddr    net.Addr
	raddr    net.Addr
	rs       recvState
	ps       pollState // the readiness path (ps.f set), else the engine's
}

// piece is received data waiting in buffer bid of the group, [off, end).
type piece struct {
	bid      uint16
	off, end int32
}

// recvState is a Conn's multishot receive and the data it delivered.
type recvState struct {
	mu      sync.Mutex
	pending []piece
	err     error      // io.EOF or the socket error, once pending is read
	armed   bool       // a multishot receive is in flight
	got     bool       // the current (or last) one delivered data
	dry     bool       // the last one ended with ENOBUFS before any data
	op      *call      // the current or last one (its result not yet taken)
	src     recvSource // where pending's buffers are (set when armed)
	notify  chan struct{}
	onCQE   func(int32, uint32)
	spare   []uint16 // drained buffer ids, reused
	nrUD    uint64   // the receive ring's user data for it (its owner only)
}

// recvSource is what a Conn's multishot receive selects buffers from: the
// engine's receive ring (netRing, driven from Go) or, where there is none,
// the engine's buffer group (groupRecv).
type recvSource interface {
	// lockBufs keeps the buffers mapped until unlockBufs; false once
	// they are gone (the engine was closed).
	lockBufs() bool
	unlockBufs()
	buf(bid uint16) []byte  // buffer bid (with lockBufs)
	giveBack(bids []uint16) // drained buffers back (with lockBufs)
	available() int         // buffers the kernel can pick from
	armRecv(c *Conn) bool   // start c's receive (c.g referenced by it)
	done1(c *Conn)          // c's receive ended (its last completion)
	cancelRecv(c *Conn)     // ask to end c's receive (Close)
}

// recvSource returns the source the Conns' receives select from, or nil:
// one receive operation per Read.
func (e *Engine) recvSource() recvSource {
	if nr := e.netRing(); nr != nil {
		return nr
	}
	if g := e.recvGroup(); g != nil {
		return (*groupRecv)(g)
	}
	return nil
}

// newConn makes the Conn of socket fd; laddr is its local address, or nil
// to ask the socket; nonblock says fd is already non-blocking.
func newConn(e *Engine, network string, fd int, laddr net.Addr, ring, nonblock bool) *Conn {
	c := &Conn{e: e, net: network, laddr: laddr}
	c.g.fd = fd
	c.g.done = make(chan struct{})
	c.rd.e, c.wd.e = e, e
	c.rs.notify = make(chan struct{}, 1)
	c.rs.onCQE = c.onRecv
	c.g.cancel = c.cancelRecv
	if !ring {
		c.initPoll(nonblock) // else the engine's path (fd made blocking)
	}
	c.raddr = sockAddr(fd, syscall.Getpeername)
	if laddr == nil {
		c.laddr = sockAddr(fd, syscall.Getsockname)
	}
	return c
}

func (c *Conn) opErr(op string, err error) error {
	if err == io.EOF {
		return err
	}
	return &net.OpError{Op: op, Net: c.net, Source: c.laddr, Addr: c.raddr, Err: err}
}

// onRecv takes each completion of the multishot receive (with the
// engine's pendMu held: leaf locks only, no cgo).
func (c *Conn) onRecv(res int32, flags uint32) {
	rs := &c.rs
	rs.mu.Lock()
	if flags&C.HOOP_CQE_F_BUFFER != 0 {
		bid := uint16(flags >> C.HOOP_CQE_BUFFER_SHIFT)
		// A buffer picked without data (res <= 0) goes back with the
		// next drained one.
		rs.pending = append(rs.pending, piece{bid: bid, end: max(res, 0)})
		if res > 0 {
			rs.got = true
		}
	}
	if flags&C.HOOP_CQE_F_MORE == 0 {
		rs.armed = false
		switch {
		case res > 0, res == -C.ECANCELED:
			// Ended without an error (or by Close): re-armed on need.
		case res == -C.ENOBUFS:
			rs.dry = !rs.got
		case res == 0:
			rs.err = io.EOF
		default:
			rs.err = msErr("recv", res)
		}
		rs.src.done1(c)
	}
	rs.mu.Unlock()
	signal(rs.notify)
}

// cancelRecv asks the receive's source to end it (fdGuard.close).
func (c *Conn) cancelRecv() {
	c.rs.mu.Lock()
	src, armed := c.rs.src, c.rs.armed
	c.rs.mu.Unlock()
	if src != nil && armed {
		src.cancelRecv(c)
	}
}

// armRecv starts the multishot receive on group g (the caller holds a
// reference on c.g). It reports false when it cannot: the caller receives
// once instead.
func (c *Conn) armRecv(g *BufferGroup) bool {
	rs := &c.rs
	if !c.e.msAcquire() {
		return false
	}
	if !c.g.incref() {
		c.e.msRelease()
		return false
	}
	op := getCall()
	op.req.op = C.uint8_t(OpRecv)
	op.req.fd = C.int32_t(c.g.fd)
	op.req.mshot = 1
	op.req.buf_group = C.uint16_t(g.id)
	op.ms = rs.onCQE
	rs.mu.Lock()
	prev := rs.op
	rs.op, rs.armed, rs.got, rs.src = op, true, false, (*groupRecv)(g)
	rs.mu.Unlock()
	if prev != nil {
		<-prev.ch
		putCall(prev)
	}
	c.e.submit(op)
	return true
}

// Read reads up to len(p) bytes; it returns io.EOF at the end of the
// stream. With the multishot receive it copies what has arrived (from as
// many buffers as fit) and waits only when nothing has; a deadline passing
// meanwhile fails the Read with os.ErrDeadlineExceeded and leaves the
// receive armed, so data arriving later is kept for the next Read.
// Receiving into p itself (the thread pool, a dry group), p belongs to the
// kernel until Read returns.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		if c.g.isClosed() {
			return 0, c.opErr("read", net.ErrClosed)
		}
		return 0, nil
	}
	if c.ps.f != nil {
		return c.readPoll(p) // the os.File guards the descriptor
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if !c.g.incref() {
		return 0, c.opErr("read", net.ErrClosed)
	}
	defer c.g.decref()
	src := c.e.recvSource()
	if src == nil {
		return c.readOnce(p)
	}
	rs := &c.rs
	for {
		if c.rd.passed() {
			return 0, c.opErr("read", os.ErrDeadlineExceeded)
		}
		rs.mu.Lock()
		if len(rs.pending) > 0 {
			n, ok := c.drainLocked(p)
			rs.mu.Unlock()
			if !ok {
				return 0, c.opErr("read", net.ErrClosed)
			}
			if n > 0 {
				return n, nil
			}
			continue // only empty buffers were pending
		}
		if err := rs.err; err != nil {
			rs.mu.Unlock()
			return 0, c.opErr("read", err)
		}
		armed, dry := rs.armed, rs.dry
		rs.dry = false
		rs.mu.Unlock()
		if !armed {
			// Re-arm, unless the group stayed dry: then this Read
			// receives into p, so a reader never waits for buffers.
			if (dry && src.available() == 0) || !src.armRecv(c) {
				return c.readOnce(p)
			}
		}
		if c.rd.wait(rs.notify, c.g.done) {
			return 0, c.opErr("read", os.ErrDeadlineExceeded)
		}
		if c.g.isClosed() {
			return 0, c.opErr("read", net.ErrClosed)
		}
	}
}

// drainLocked copies pending data into p and gives every buffer it
// empties back to the group in one call. ok is false once the group is
// closed (the engine was closed). Caller holds rs.mu.
func (c *Conn) drainLocked(p []byte) (n int, ok bool) {
	rs := &c.rs
	src := rs.src
	if !src.lockBufs() {
		rs.pending = rs.pending[:0]
		return 0, false
	}
	defer src.unlockBufs()
	done := rs.spare[:0]
	i := 0
	for ; i < len(rs.pending); i++ {
		pc := &rs.pending[i]
		if pc.off < pc.end {
			if n == len(p) {
				break
			}
			k := copy(p[n:], src.buf(pc.bid)[pc.off:pc.end])
			n += k
			pc.off += int32(k)
			if pc.off < pc.end {
				break
			}
		}
		done = append(done, pc.bid)
	}
	rs.pending = rs.pending[:copy(rs.pending, rs.pending[i:])]
	src.giveBack(done)
	rs.spare = done[:0]
	return n, true
}

// readOnce receives into p with one receive operation (the caller holds a
// reference on c.g).
func (c *Conn) readOnce(p []byte) (int, error) {
	op := getCall()
	op.req.op = C.uint8_t(OpRecv)
	op.req.fd = C.int32_t(c.g.fd)
	op.req.addr, op.req.len = bufAddr(op, p)
	n, err := sockOp(c.e, &c.g, &c.rd, "recv", op)
	if err != nil {
		return 0, c.opErr("read", err)
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p, continuing after short sends; it returns len(p)
// and nil, or the bytes sent before an error and that error (never a short
// count with a nil error). Like Go's net, it first tries one non-blocking
// send(2), which takes the whole of p whenever the socket buffer has room;
// what does not fit goes through the engine (send operations, the
// goroutine parked meanwhile). p belongs to the kernel until Write
// returns.
func (c *Conn) Write(p []byte) (int, error) {
	if c.ps.f != nil {
		return c.writePoll(p)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.g.incref() {
		return 0, c.opErr("write", net.ErrClosed)
	}
	defer c.g.decref()
	done := 0
	if len(p) > 0 && !c.wd.passed() {
		n, err := sendNow(c.g.fd, p)
		if err != nil {
			return 0, c.opErr("write", err)
		}
		done = n
	}
	for done < len(p) {
		op := getCall()
		op.req.op = C.uint8_t(OpSend)
		op.req.fd = C.int32_t(c.g.fd)
		op.req.flags = C.uint32_t(syscall.MSG_NOSIGNAL)
		op.req.addr, op.req.len = bufAddr(op, p[done:])
		n, err := sockOp(c.e, &c.g, &c.wd, "send", op)
		if err != nil {
			return done, c.opErr("write", err)
		}
		done += n
	}
	return done, nil
}

// sendNow sends what fits of p on fd without waiting: the byte count (0
// when the socket buffer is full) or a *os.SyscallError.
func sendNow(fd int, p []byte) (int, error) {
	n, errno, _ := sockCall(syscall.SYS_SENDTO, uintptr(fd), p, syscall.MSG_DONTWAIT|syscall.MSG_NOSIGNAL)
	if errno != 0 {
		return 0, os.NewSyscallError("send", errno)
	}
	return n, nil
}

// Close cancels the connection's operations in flight, the multishot
// receive included (their callers get an error wrapping net.ErrClosed),
// waits for them to end, closes the socket and gives the buffers holding
// unread data back to the group.
func (c *Conn) Close() error {
	if err := c.g.close(c.e); err != nil {
		return c.opErr("close", err)
	}
	rs := &c.rs
	rs.mu.Lock()
	pending, op, src := rs.pending, rs.op, rs.src
	rs.pending, rs.op = nil, nil
	rs.mu.Unlock()
	if len(pending) > 0 && src.lockBufs() {
		bids := make([]uint16, len(pending))
		for i, pc := range pending {
			bids[i] = pc.bid
		}
		src.giveBack(bids)
		src.unlockBufs()
	}
	if op != nil {
		<-op.ch
		putCall(op)
	}
	return nil
}

// CloseWrite shuts down the sending side (the peer reads end of stream).
func (c *Conn) CloseWrite() error {
	if !c.g.incref() {
		return c.opErr("close", net.ErrClosed)
	}
	defer c.g.decref()
	if err := syscall.Shutdown(c.g.fd, syscall.SHUT_WR); err != nil {
		return c.opErr("close", os.NewSyscallError("shutdown", err))
	}
	return nil
}

// LocalAddr returns the local address.
func (c *Conn) LocalAddr() net.Addr { return c.laddr }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.raddr }

// SetDeadline sets both the read and the write deadline.
func (c *Conn) SetDeadline(t time.Time) error {
	if c.ps.f != nil {
		c.setDeadlinePoll(t, true, true)
		return nil
	}
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

// SetReadDeadline sets the time after which Read fails with an error
// wrapping os.ErrDeadlineExceeded (a Read in flight is cancelled then);
// the zero time means none.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if c.ps.f != nil {
		c.setDeadlinePoll(t, true, false)
		return nil
	}
	c.rd.set(t)
	return nil
}

// SetWriteDeadline is SetReadDeadline for Write; bytes sent before the
// deadline are reported in Write's count.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if c.ps.f != nil {
		c.setDeadlinePoll(t, false, true)
		return nil
	}
	c.wd.set(t)
	return nil
}

// SetNoDelay sets or clears TCP_NODELAY (set by default).
func (c *Conn) SetNoDelay(on bool) error {
	v := 0
	if on {
		v = 1
	}
	return c.setsockopt(syscall.IPPROTO_TCP, syscall.TCP_NODELAY, v)
}

func (c *Conn) setsockopt(level, opt, v int) error {
	if !c.g.incref() {
		return c.opErr("set", net.ErrClosed)
	}
	defer c.g.decref()
	if err := syscall.SetsockoptInt(c.g.fd, level, opt, v); err != nil {
		return c.opErr("set", os.NewSyscallError("setsockopt", err))
	}
	return nil
}

var (
	_ net.Listener = (*Listener)(nil)
	_ net.Conn     = (*Conn)(nil)
)

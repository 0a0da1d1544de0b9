package hoop

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// pollState is a Conn's readiness path: the socket is non-blocking and
// registered with Go's netpoller (through an *os.File), Read and Write
// call recv(2) and send(2) directly and park the goroutine in the
// netpoller only when the socket has nothing to read or no room.
//
// What this path does per call, against net's (poll.FD.Read and Write):
// the same fdMutex, pollDesc and netpoller wait, plus one compare-and-swap
// that gives the call the bound step function below; recvfrom(2) and
// sendto(2) in place of read(2) and write(2), which skip the VFS layer;
// and deadlines that the netpoller is told only when they change.
type pollState struct {
	f  *os.File
	rc syscall.RawConn

	// The step functions are bound once (no closure per call); their
	// arguments and results live here, owned by the Read (Write) that
	// set rbusy (wbusy). A second Read meanwhile uses a closure of its
	// own; the os.File's lock then orders the two, as net's does.
	recvFn, sendFn func(uintptr) bool
	rbusy, wbusy   atomic.Bool
	rp, wp         []byte
	rn, wn         int
	rerr, werr     syscall.Errno

	// dmu orders the deadline setters; rdSet (wdSet) is false when the
	// netpoller's read (write) deadline is known to be none, so that
	// clearing it again, which net/http does several times per request,
	// costs nothing.
	dmu          sync.Mutex
	rdSet, wdSet atomic.Bool
}

// initPoll switches c to the readiness path; false if the socket cannot
// be registered (c then does its I/O through the engine). nonblock says
// the socket is already non-blocking (accepted with SOCK_NONBLOCK).
func (c *Conn) initPoll(nonblock bool) bool {
	fd := c.g.fd
	if !nonblock && syscall.SetNonblock(fd, true) != nil {
		return false
	}
	f := os.NewFile(uintptr(fd), "hoop-tcp")
	rc, err := f.SyscallConn()
	if err != nil || f.SetReadDeadline(noDeadline) != nil { // not in the netpoller
		syscall.SetNonblock(fd, false)
		return false
	}
	ps := &c.ps
	ps.f, ps.rc = f, rc
	ps.recvFn, ps.sendFn = c.recvStep, c.sendStep
	c.g.closer = f.Close
	return true
}

var noDeadline time.Time

// sockCall is one recv(2) or send(2) (trap) of p on fd that does not
// wait (the socket is non-blocking, or flags say MSG_DONTWAIT): the count
// or errno, and false when the socket has no data or no room (EAGAIN).
func sockCall(trap, fd uintptr, p []byte, flags uintptr) (int, syscall.Errno, bool) {
	for {
		// Not a raw system call: should the thread be preempted inside,
		// the scheduler hands its P to another thread, as for net's.
		n, _, e := syscall.Syscall6(trap, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), flags, 0, 0)
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return 0, 0, false
		}
		return int(n), e, true
	}
}

// recvStep is one recv(2) into ps.rp; false (wait) on EAGAIN.
func (c *Conn) recvStep(fd uintptr) bool {
	ps := &c.ps
	var ok bool
	ps.rn, ps.rerr, ok = sockCall(syscall.SYS_RECVFROM, fd, ps.rp, 0)
	return ok
}

// sendAll sends (*p)[*n:] on fd until all is sent or an error: true, or
// false (wait) when the socket has no room.
func sendAll(fd uintptr, p []byte, n *int, errno *syscall.Errno) bool {
	for *n < len(p) {
		k, e, ok := sockCall(syscall.SYS_SENDTO, fd, p[*n:], syscall.MSG_NOSIGNAL)
		if !ok {
			return false
		}
		if e != 0 {
			*errno = e
			return true
		}
		*n += k
	}
	return true
}

// sendStep sends the rest of ps.wp; false (wait) on EAGAIN.
func (c *Conn) sendStep(fd uintptr) bool {
	ps := &c.ps
	return sendAll(fd, ps.wp, &ps.wn, &ps.werr)
}

// pollErr maps the netpoller's errors to net's.
func (c *Conn) pollErr(op string, err error) error {
	switch {
	case err == os.ErrDeadlineExceeded, errors.Is(err, os.ErrDeadlineExceeded):
		err = os.ErrDeadlineExceeded
	case c.g.isClosed() || errors.Is(err, os.ErrClosed):
		err = net.ErrClosed
	}
	return c.opErr(op, err)
}

// readPoll is Read on the readiness path.
func (c *Conn) readPoll(p []byte) (int, error) {
	ps := &c.ps
	var n int
	var errno syscall.Errno
	var err error
	if ps.rbusy.CompareAndSwap(false, true) {
		ps.rp = p
		err = ps.rc.Read(ps.recvFn)
		n, errno = ps.rn, ps.rerr
		ps.rp = nil
		ps.rbusy.Store(false)
	} else { // another Read is in
		err = ps.rc.Read(func(fd uintptr) bool {
			var ok bool
			n, errno, ok = sockCall(syscall.SYS_RECVFROM, fd, p, 0)
			return ok
		})
	}
	switch {
	case err != nil:
		return 0, c.pollErr("read", err)
	case errno != 0:
		return 0, c.opErr("read", os.NewSyscallError("recv", errno))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// writePoll is Write on the readiness path: all of p under the os.File's
// write lock (so concurrent Writes do not interleave), or the bytes sent
// before an error.
func (c *Conn) writePoll(p []byte) (int, error) {
	ps := &c.ps
	var n int
	var errno syscall.Errno
	var err error
	if ps.wbusy.CompareAndSwap(false, true) {
		ps.wp, ps.wn, ps.werr = p, 0, 0
		err = ps.rc.Write(ps.sendFn)
		n, errno = ps.wn, ps.werr
		ps.wp = nil
		ps.wbusy.Store(false)
	} else { // another Write is in
		err = ps.rc.Write(func(fd uintptr) bool { return sendAll(fd, p, &n, &errno) })
	}
	switch {
	case err != nil:
		return n, c.pollErr("write", err)
	case errno != 0:
		return n, c.opErr("write", os.NewSyscallError("send", errno))
	}
	return n, nil
}

// setDeadlinePoll sets the netpoller's read and/or write deadline to t,
// skipping a direction whose deadline is none and stays none.
func (c *Conn) setDeadlinePoll(t time.Time, read, write bool) {
	ps := &c.ps
	set := !t.IsZero()
	read = read && (set || ps.rdSet.Load())
	write = write && (set || ps.wdSet.Load())
	if !read && !write {
		return
	}
	ps.dmu.Lock()
	switch {
	case read && write:
		ps.rdSet.Store(set)
		ps.wdSet.Store(set)
		ps.f.SetDeadline(t)
	case read:
		ps.rdSet.Store(set)
		ps.f.SetReadDeadline(t)
	default:
		ps.wdSet.Store(set)
		ps.f.SetWriteDeadline(t)
	}
	ps.dmu.Unlock()
}

package hoop

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// pollState is a Conn's readiness path: the socket is non-blocking and
// registered with Go's netpoller (through an *os.File), Read and Write
// call recv(2) and send(2) directly and park the goroutine in the
// netpoller only when the socket has nothing to read or no room.
type pollState struct {
	f  *os.File
	rc syscall.RawConn

	// The step functions are bound once (no closure per call); their
	// arguments and results live here, under the Conn's rmu and wmu.
	recvFn, sendFn func(uintptr) bool
	rp, wp         []byte
	rn, wn         int
	rerr, werr     syscall.Errno
}

// initPoll switches c to the readiness path; false if the socket cannot
// be registered (c then does its I/O through the engine).
func (c *Conn) initPoll() bool {
	fd := c.g.fd
	if syscall.SetNonblock(fd, true) != nil {
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

// sendStep is one send(2) of ps.wp; false (wait) on EAGAIN.
func (c *Conn) sendStep(fd uintptr) bool {
	ps := &c.ps
	var ok bool
	ps.wn, ps.werr, ok = sockCall(syscall.SYS_SENDTO, fd, ps.wp, syscall.MSG_NOSIGNAL)
	return ok
}

// pollErr maps the netpoller's errors to net's.
func (c *Conn) pollErr(op string, err error) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = os.ErrDeadlineExceeded
	case c.g.isClosed() || errors.Is(err, os.ErrClosed):
		err = net.ErrClosed
	}
	return c.opErr(op, err)
}

// readPoll is Read on the readiness path (the caller holds a reference).
func (c *Conn) readPoll(p []byte) (int, error) {
	ps := &c.ps
	ps.rp = p
	err := ps.rc.Read(ps.recvFn)
	ps.rp = nil
	if err != nil {
		return 0, c.pollErr("read", err)
	}
	if ps.rerr != 0 {
		return 0, c.opErr("read", os.NewSyscallError("recv", ps.rerr))
	}
	if ps.rn == 0 {
		return 0, io.EOF
	}
	return ps.rn, nil
}

// writePoll is Write on the readiness path (the caller holds a reference).
func (c *Conn) writePoll(p []byte) (int, error) {
	ps := &c.ps
	done := 0
	for done < len(p) {
		ps.wp = p[done:]
		err := ps.rc.Write(ps.sendFn)
		ps.wp = nil
		if err != nil {
			return done, c.pollErr("write", err)
		}
		if ps.werr != 0 {
			return done, c.opErr("write", os.NewSyscallError("send", ps.werr))
		}
		done += ps.wn
	}
	return done, nil
}

package hoop

/*
#include "hoopgo.h"
*/
import "C"

import (
	"os"
	"syscall"
)

// Operation codes for Op.Code (Engine.Submit, Queue.Add); the values are
// the kernel's io_uring opcodes.
const (
	OpNop    uint8 = C.HOOP_OP_NOP
	OpReadv  uint8 = C.HOOP_OP_READV
	OpWritev uint8 = C.HOOP_OP_WRITEV
	OpFsync  uint8 = C.HOOP_OP_FSYNC
	OpRead   uint8 = C.HOOP_OP_READ
	OpWrite  uint8 = C.HOOP_OP_WRITE
)

// FsyncDataSync makes an fsync operation behave as fdatasync(2).
const FsyncDataSync = C.HOOP_FSYNC_DATASYNC

// maxIO bounds one operation's length (the SQE's len is 32 bits; Linux moves
// at most about 2 GiB per call anyway).
const maxIO = 1 << 30

// pollFile wraps a dup of a hoop_queue's readiness eventfd in an *os.File
// registered with Go's netpoller. hoop_queue_wait clears the eventfd; this
// side only waits for it to become readable.
func pollFile(q *C.hoop_queue) (*os.File, error) {
	fd := int(C.hoop_queue_fd(q))
	nfd, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if e != 0 {
		return nil, &OpError{Op: "dup", Err: e}
	}
	if err := syscall.SetNonblock(int(nfd), true); err != nil {
		syscall.Close(int(nfd))
		return nil, &OpError{Op: "setnonblock", Err: err}
	}
	return os.NewFile(nfd, "hoop-queue-eventfd"), nil
}

// waitReadable parks the goroutine in the netpoller until completions are
// waiting in q (the eventfd behind rc is readable). It returns an error once
// the file is closed.
//
// RawRead forgets any readiness the poller recorded before the call, so the
// queue's state is checked inside the callback, after that reset: a
// completion pushed in between is either seen here or raises a new edge.
func waitReadable(rc syscall.RawConn, q *C.hoop_queue) error {
	return rc.Read(func(uintptr) bool {
		return C.hoop_queue_ready(q) > 0
	})
}

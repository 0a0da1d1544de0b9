package hoop

import (
	"errors"
	"syscall"
)

// OpError is the error returned by a failed operation: the operation's name
// and the underlying error, usually a syscall.Errno (from the kernel's
// completion or from hoop's C core) or a context error.
type OpError struct {
	Op  string // the operation, e.g. "read", "openat", "submit"
	Err error  // a syscall.Errno, context.Canceled, ...
}

// Error returns "hoop: <op>: <err>".
func (e *OpError) Error() string { return "hoop: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the underlying error, for errors.Is and errors.As.
func (e *OpError) Unwrap() error { return e.Err }

// ErrClosed is returned (wrapped in an *OpError) by operations on a closed
// Engine, Queue, Ring or File.
var ErrClosed = errors.New("use of closed hoop object")

// invalidError is an invalid argument (EINVAL) with the reason in words.
type invalidError struct{ reason string }

// Error returns the reason and the errno's text.
func (e *invalidError) Error() string { return e.reason + ": " + syscall.EINVAL.Error() }

// Unwrap returns syscall.EINVAL, for errors.Is and errors.As.
func (e *invalidError) Unwrap() error { return syscall.EINVAL }

// errno converts a hoop return value (>= 0, or -errno) to an error.
func errno(op string, res int) error {
	if res >= 0 {
		return nil
	}
	return &OpError{Op: op, Err: syscall.Errno(-res)}
}

// resultErr converts a completion's result (>= 0, or -errno) to an error.
func resultErr(res int32) error {
	if res >= 0 {
		return nil
	}
	return syscall.Errno(-res)
}

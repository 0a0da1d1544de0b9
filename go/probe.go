package hoop

/*
#include "hoopgo.h"
*/
import "C"

import (
	"strings"
	"sync"
	"syscall"
)

// ProbeResult says whether io_uring works in this process and which
// operations the kernel supports.
type ProbeResult struct {
	Available bool  // a ring could be set up
	Err       error // why not, when Available is false (EPERM, ENOSYS, ...)
	Known     int   // opcodes the kernel knows (its last opcode + 1)
	supported [256]bool
}

// Supports reports whether the kernel supports opcode op (Op* or the
// kernel's IORING_OP_* value).
func (p *ProbeResult) Supports(op uint8) bool { return p.supported[op] }

// Ops lists the names of the supported operations ("nop", "readv", ...).
func (p *ProbeResult) Ops() []string {
	var names []string
	for op := 0; op < int(C.HOOP_OP_LAST); op++ {
		if p.supported[op] {
			names = append(names, OpName(uint8(op)))
		}
	}
	return names
}

// String summarises the probe: "io_uring: N ops supported" or the reason
// it is unavailable.
func (p *ProbeResult) String() string {
	if !p.Available {
		return "io_uring unavailable: " + p.Err.Error()
	}
	return "io_uring: " + strings.Join(p.Ops(), " ")
}

// OpName returns the lower-case name of opcode op ("read", "openat"), or
// "" for an unknown opcode.
func OpName(op uint8) string {
	s := C.hoop_op_name(C.uint(op))
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

var (
	probeOnce sync.Once
	probed    *ProbeResult
)

// Probe reports whether io_uring is usable here and which operations the
// kernel supports. The answer is computed once per process (by the C
// core's cached probe ring) and shared; do not modify it.
func Probe() *ProbeResult {
	probeOnce.Do(func() {
		p := &ProbeResult{}
		if r := C.hoop_opcode_supported(C.HOOP_OP_NOP); r < 0 {
			p.Err = &OpError{Op: "probe", Err: syscall.Errno(-r)}
			probed = p
			return
		}
		p.Available = true
		for op := 0; op < 256; op++ {
			if C.hoop_opcode_supported(C.uint(op)) == 1 {
				p.supported[op] = true
				p.Known = op + 1
			}
		}
		probed = p
	})
	return probed
}

// Version returns the C core's version, "major.minor.patch".
func Version() string { return C.GoString(C.hoop_version_string()) }

package hoop

/*
#include "hoopgo.h"
*/
import "C"

import (
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// ProbeResult says whether io_uring works in this process and which
// operations the kernel supports.
type ProbeResult struct {
	// Usable says a ring could be set up here (C's usable, Python's
	// Probe.usable); Err says why not (EPERM, ENOSYS, ...).
	Usable bool
	Err    error
	Known  int // opcodes the kernel knows (its last opcode + 1)
	// Available is Usable.
	//
	// Deprecated: use Usable, the name C and Python use.
	Available bool

	// Tier sums up what the kernel offers: "none", "base", "mid" or "high"
	// (see the C header hoop/probe.h for what each adds).
	Tier string
	// Kernel is the running kernel's release (uname -r).
	Kernel string
	// Reason says, in words, why io_uring is unusable ("" when usable).
	Reason string
	// Backend is what an engine picks by default here, "io_uring" or
	// "threads" (HOOP_BACKEND in the environment overrides it), or "none"
	// when HOOP_BACKEND names no backend (engines then fail).
	Backend string
	// BackendReason says in words why Backend was picked.
	BackendReason string
	// SQPoll reports whether an SQPOLL ring can be set up; BufRing whether
	// provided-buffer rings register.
	SQPoll, BufRing bool
	// MemlockNote is the locked-memory finding in words.
	MemlockNote string

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
	if !p.Usable {
		return "io_uring unavailable: " + p.Err.Error()
	}
	return "io_uring: tier " + p.Tier + ": " + strings.Join(p.Ops(), " ")
}

// runProbe fills the tier, kernel and backend findings from the C core's
// hoop_probe_run.
func (p *ProbeResult) runProbe() {
	var cp C.struct_hoop_probe
	cp.size = C.uint32_t(unsafe.Sizeof(cp))
	if C.hoop_probe_run(&cp) < 0 {
		return
	}
	p.Tier = C.GoString(C.hoop_probe_tier_name(cp.tier))
	p.Kernel = C.GoString(&cp.kernel_release[0])
	p.Reason = C.GoString(&cp.reason[0])
	p.Backend = "io_uring"
	if cp.auto_backend == C.HOOP_BACKEND_THREADS {
		p.Backend = "threads"
	} else if cp.auto_backend < 0 {
		p.Backend = "none"
	}
	p.BackendReason = C.GoString(&cp.auto_reason[0])
	p.SQPoll = cp.sqpoll_permitted == 1
	p.BufRing = cp.buf_ring == 1
	p.MemlockNote = C.GoString(&cp.memlock_note[0])
}

// OpName returns the lower-case name of opcode op ("read", "openat"), or
// "" for an unknown opcode.
func OpName(op uint8) string {
	s := C.hoop_opcode_name(C.uint(op))
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
		p.runProbe()
		if r := C.hoop_opcode_supported(C.HOOP_OP_NOP); r < 0 {
			p.Err = &OpError{Op: "probe", Err: syscall.Errno(-r)}
			probed = p
			return
		}
		p.Usable, p.Available = true, true
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

package hoop

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Reads the page cache can serve are done in the calling goroutine with one
// preadv2(RWF_NOWAIT), a raw system call from Go: that costs what
// os.File.ReadAt costs, where a trip through the ring costs a submission, a
// completion and a hand-off between goroutines. The kernel answers EAGAIN
// instead of waiting for the device; only then does the read go through
// the ring. It is not tried on descriptors opened with O_DIRECT, where
// RWF_NOWAIT does not keep the call from waiting for the device.

// preadNowait reads into p at off (-1: at the file position, advancing it)
// what the page cache holds now: n >= 0 bytes (0 at end of file), or an
// errno (EAGAIN: the data is not cached; EOPNOTSUPP: the file does not
// support RWF_NOWAIT).
//
// Up to rawNowaitMax bytes it is a raw system call (the scheduler is not
// told: about 200 ns less per read than syscall.Syscall6 here), since the
// call does not wait for the device and copies little; larger reads tell
// the scheduler, as os.File.ReadAt does.
func preadNowait(fd int, p []byte, off int64) (int, syscall.Errno) {
	iov := syscall.Iovec{Base: &p[0]}
	iov.SetLen(min(len(p), maxIO))
	for {
		var n uintptr
		var errno syscall.Errno
		if len(p) <= rawNowaitMax {
			n, _, errno = syscall.RawSyscall6(unix.SYS_PREADV2, uintptr(fd),
				uintptr(unsafe.Pointer(&iov)), 1, uintptr(off), 0, unix.RWF_NOWAIT)
		} else {
			n, _, errno = syscall.Syscall6(unix.SYS_PREADV2, uintptr(fd),
				uintptr(unsafe.Pointer(&iov)), 1, uintptr(off), 0, unix.RWF_NOWAIT)
		}
		if errno == syscall.EINTR {
			continue
		}
		return int(n), errno
	}
}

// rawNowaitMax is the largest read preadNowait makes as a raw system call.
const rawNowaitMax = 64 << 10

// nowaitRefused reports whether errno says that RWF_NOWAIT reads cannot
// work on this descriptor at all (not only this time): the file system or
// file type lacks them, the kernel does not know the flag or the call, or
// a seccomp filter refuses the call.
func nowaitRefused(errno syscall.Errno) bool {
	return errno == syscall.EOPNOTSUPP || errno == syscall.EINVAL || errno == syscall.ENOSYS ||
		errno == syscall.EPERM
}

// readFirst tries a read of p at off in the calling goroutine. done false:
// nothing was read and the caller goes through the ring (errno says why,
// for nowaitRefused). done true: n and err are the read's result; a read
// at an offset that found only the start of p cached finishes the rest
// through the ring (one read operation), so a short count still means end
// of file, as from pread(2); at the file position (off -1) the short count
// is returned, as from read(2). It leaves to the ring every case the ring reports itself: a
// cancelled ctx, a closed engine, any error.
func (e *Engine) readFirst(ctx context.Context, fd int, p []byte, off int64) (n int, done bool, errno syscall.Errno, err error) {
	if e.shut.Load() || ctx.Err() != nil {
		return 0, false, 0, nil
	}
	n, errno = preadNowait(fd, p, off)
	if errno != 0 {
		return 0, false, errno, nil
	}
	if n == 0 || n == len(p) || off < 0 {
		// At the stream position (a pipe, a socket, File.Read) a short
		// count is what read(2) gives: waiting for the rest could wait
		// for a writer.
		return n, true, 0, nil
	}
	o := off
	if off >= 0 {
		o = off + int64(n)
	}
	m, err := e.rw(ctx, "read", OpRead, fd, p[n:], o)
	return n + m, true, 0, err
}

// fdModes remembers, per descriptor number, whether an Engine.ReadAt on it
// may try RWF_NOWAIT first (fdNowait) or not (fdRing: opened with O_DIRECT,
// or RWF_NOWAIT refused), so that fcntl(F_GETFL) runs once per descriptor
// and not once per read. A number the engine has not seen is looked up.
// The engine cannot see a descriptor closed and its number reused behind
// its back: reads stay correct then, but an O_DIRECT descriptor taken for
// buffered may block its goroutine's thread while the device reads (and,
// for reads up to rawNowaitMax, the goroutines waiting for that thread's
// processor); Engine.ForgetFD clears the entry.
type fdModes struct {
	mu  sync.Mutex // serialises growth
	tab atomic.Pointer[[]atomic.Uint32]
}

const (
	fdUnknown uint32 = iota
	fdNowait
	fdRing
)

// maxFDMode bounds the table; higher descriptors are looked up each time.
const maxFDMode = 1 << 20

func (m *fdModes) get(fd int) uint32 {
	if t := m.tab.Load(); t != nil && fd >= 0 && fd < len(*t) {
		return (*t)[fd].Load()
	}
	return fdUnknown
}

func (m *fdModes) set(fd int, v uint32) {
	if fd < 0 || fd >= maxFDMode {
		return
	}
	t := m.tab.Load()
	if t == nil || fd >= len(*t) {
		m.mu.Lock()
		t = m.tab.Load()
		if t == nil || fd >= len(*t) {
			size := 64
			for size <= fd {
				size *= 2
			}
			nt := make([]atomic.Uint32, size)
			if t != nil {
				for i := range *t {
					nt[i].Store((*t)[i].Load())
				}
			}
			t = &nt
			m.tab.Store(t)
		}
		m.mu.Unlock()
	}
	(*t)[fd].Store(v)
}

// mode returns whether reads on fd may try RWF_NOWAIT first, looking the
// descriptor's flags up the first time.
func (m *fdModes) mode(fd int) uint32 {
	if v := m.get(fd); v != fdUnknown {
		return v
	}
	fl, _, errno := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFL, 0)
	if errno != 0 {
		return fdRing // not open: the ring reports the error
	}
	v := fdNowait
	if fl&syscall.O_DIRECT != 0 {
		v = fdRing
	}
	m.set(fd, v)
	return v
}

// ForgetFD drops what the engine remembers about descriptor fd (whether
// ReadAt may first try to read it from the page cache in the calling
// goroutine, found with fcntl the first time ReadAt sees fd). Call it when
// fd is closed and its number may come back with O_DIRECT; without it,
// reads stay correct but may block a thread as os.File.ReadAt does.
func (e *Engine) ForgetFD(fd int) {
	if e.fds.get(fd) != fdUnknown {
		e.fds.set(fd, fdUnknown)
	}
}

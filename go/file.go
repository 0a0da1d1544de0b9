package hoop

/*
#include <stdlib.h>
#include "hoopgo.h"
*/
import "C"

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// File is an open file whose reads, writes, syncs, stat and close go
// through an Engine. It implements io.Reader, io.Writer, io.ReaderAt,
// io.WriterAt, io.Seeker, io.Closer, io.ReaderFrom and io.WriterTo, with the
// short-read and short-write rules of those interfaces. ReadAt and WriteAt
// are safe for concurrent use; Read, Write and Seek share the file position
// and are serialised.
//
// Its errors are the ones *os.File returns for the same failure: an
// *fs.PathError whose Op ("open", "read", "write", "seek", "stat", "sync",
// "close") and Path are os's and whose Err is the syscall.Errno (or
// fs.ErrClosed once the file is closed), so os.IsNotExist, errors.Is and
// the text match os. On a closed Engine the PathError's Err is ErrClosed.
type File struct {
	e          *Engine
	name       string
	appendMode bool // opened with O_APPEND: WriteAt is refused, as by os
	direct     bool // opened with O_DIRECT: reads always go through the ring

	// ringOnly is set once the file refused a read with RWF_NOWAIT
	// (EOPNOTSUPP: its file system lacks them): reads go through the ring.
	ringOnly atomic.Bool

	mu     sync.RWMutex // fd's lifetime: read for I/O, write for Close
	fd     int
	closed bool
	posMu  sync.Mutex // Read/Write/Seek
}

// OpenFile opens name through e's ring (the openat operation) with the
// os.O_* flags in flag and the permission bits of perm for a created file,
// like os.OpenFile. O_CLOEXEC is always added. A failure is an
// *fs.PathError{Op: "open", Path: name, Err: syscall.Errno}, as from
// os.OpenFile: os.IsNotExist(err) reports a missing file.
func OpenFile(e *Engine, name string, flag int, perm os.FileMode) (*File, error) {
	if strings.IndexByte(name, 0) >= 0 {
		// C would cut the name at the NUL and open another file.
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.EINVAL}
	}
	path := C.CString(name)
	defer C.free(unsafe.Pointer(path))
	c := getCall()
	c.req.op = C.HOOP_OP_OPENAT
	c.req.fd = C.AT_FDCWD
	c.req.addr = C.uint64_t(uintptr(unsafe.Pointer(path)))
	c.req.flags = C.uint32_t(flag | syscall.O_CLOEXEC)
	c.req.len = C.uint32_t(syscallMode(perm))
	fd, err := e.do(context.Background(), "openat", c)
	putCall(c)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapOp(err)}
	}
	return &File{e: e, name: name, fd: int(fd), appendMode: flag&os.O_APPEND != 0,
		direct: flag&syscall.O_DIRECT != 0}, nil
}

// Open opens name for reading through e, like os.Open.
func Open(e *Engine, name string) (*File, error) {
	return OpenFile(e, name, os.O_RDONLY, 0)
}

// Create creates or truncates name for reading and writing through e, like
// os.Create.
func Create(e *Engine, name string) (*File, error) {
	return OpenFile(e, name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

func syscallMode(m os.FileMode) uint32 {
	o := uint32(m.Perm())
	if m&os.ModeSetuid != 0 {
		o |= syscall.S_ISUID
	}
	if m&os.ModeSetgid != 0 {
		o |= syscall.S_ISGID
	}
	if m&os.ModeSticky != 0 {
		o |= syscall.S_ISVTX
	}
	return o
}

// Name returns the name given to OpenFile.
func (f *File) Name() string { return f.name }

// Fd returns the file descriptor (-1 once closed). It stays owned by f.
func (f *File) Fd() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return -1
	}
	return f.fd
}

// use runs fn with the descriptor held open; it returns os.ErrClosed
// (unwrapped: the caller wraps once, with wrap) when f is closed.
func (f *File) use(fn func(fd int) error) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return os.ErrClosed
	}
	return fn(f.fd)
}

// wrap makes err the error os.File returns: nil, io.EOF and
// io.ErrShortWrite as they are, anything else in one *fs.PathError whose
// Err is the engine's syscall.Errno (not the *OpError around it).
func (f *File) wrap(op string, err error) error {
	if err == nil || err == io.EOF || err == io.ErrShortWrite {
		return err
	}
	return &fs.PathError{Op: op, Path: f.name, Err: unwrapOp(err)}
}

// unwrapOp returns the error inside an *OpError (a syscall.Errno, or
// ErrClosed for a closed engine), or err itself.
func unwrapOp(err error) error {
	if oe, ok := err.(*OpError); ok {
		return oe.Err
	}
	return err
}

// errWriteAtInAppendMode is os.File's error (same text) for WriteAt on a
// file opened with O_APPEND, where pwrite(2) would append instead.
var errWriteAtInAppendMode = errors.New("os: invalid use of WriteAt on file opened with O_APPEND")

// errNegativeOffset is os.File's error for ReadAt and WriteAt.
func (f *File) errNegativeOffset(op string) error {
	return &fs.PathError{Op: op, Path: f.name, Err: errors.New("negative offset")}
}

// loop reads into p (until it is full or end of file) or writes all of p,
// at off, or at the file position when off is -1. A read at the file
// position stops after one successful read, as io.Reader allows.
func (f *File) loop(p []byte, off int64, op string, write bool) (int, error) {
	n := 0
	err := f.use(func(fd int) error {
		for n < len(p) {
			o := off
			if off >= 0 {
				o = off + int64(n)
			}
			var m int
			var err error
			switch {
			case write:
				m, err = f.e.WriteAt(context.Background(), fd, p[n:], o)
			case f.direct || f.ringOnly.Load():
				m, err = f.e.rw(context.Background(), "read", OpRead, fd, p[n:], o)
			default:
				var done bool
				var errno syscall.Errno
				m, done, errno, err = f.e.readFirst(context.Background(), fd, p[n:], o)
				if !done {
					if nowaitRefused(errno) {
						f.ringOnly.Store(true)
					}
					m, err = f.e.rw(context.Background(), "read", OpRead, fd, p[n:], o)
				}
			}
			n += m
			switch {
			case err != nil:
				return err
			case m == 0 && write:
				return io.ErrShortWrite
			case m == 0:
				return io.EOF
			case off < 0 && !write:
				return nil
			}
		}
		return nil
	})
	return n, f.wrap(op, err)
}

// Read reads up to len(p) bytes at the file position and advances it. At
// end of file it returns 0, io.EOF.
func (f *File) Read(p []byte) (int, error) {
	f.posMu.Lock()
	defer f.posMu.Unlock()
	return f.loop(p, -1, "read", false)
}

// ReadAt reads len(p) bytes at offset off. When it returns n < len(p) the
// error says why; at end of file it is io.EOF. What the page cache holds is
// read in the calling goroutine (preadv2 with RWF_NOWAIT, as cheap as
// os.File.ReadAt); only what would wait for the device goes through the
// ring (always, for a file opened with O_DIRECT).
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, f.errNegativeOffset("readat")
	}
	if len(p) == 0 {
		return 0, nil // as os.File, even once closed
	}
	if f.direct || f.ringOnly.Load() || f.e.shut.Load() {
		return f.loop(p, off, "read", false)
	}
	// The common case first, without the loop: all of p in the page cache.
	f.mu.RLock()
	if f.closed {
		f.mu.RUnlock()
		return f.loop(p, off, "read", false) // reports the closed file
	}
	n, errno := preadNowait(f.fd, p, off)
	f.mu.RUnlock()
	switch {
	case errno == 0 && n == len(p):
		return n, nil
	case errno == 0 && n == 0:
		return 0, io.EOF
	case errno == 0:
		m, err := f.loop(p[n:], off+int64(n), "read", false)
		return n + m, err
	case nowaitRefused(errno):
		f.ringOnly.Store(true)
	}
	return f.loop(p, off, "read", false)
}

// Write writes all of p at the file position and advances it; n < len(p)
// comes with a non-nil error.
func (f *File) Write(p []byte) (int, error) {
	f.posMu.Lock()
	defer f.posMu.Unlock()
	return f.loop(p, -1, "write", true)
}

// WriteAt writes all of p at offset off; n < len(p) comes with a non-nil
// error. As os.File.WriteAt, it refuses a file opened with O_APPEND.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	if f.appendMode {
		return 0, errWriteAtInAppendMode
	}
	if off < 0 {
		return 0, f.errNegativeOffset("writeat")
	}
	if len(p) == 0 {
		return 0, nil // as os.File, even once closed
	}
	return f.loop(p, off, "write", true)
}

// Seek sets the file position for the next Read or Write, like os.File.Seek
// (it is lseek(2), which io_uring does not offer).
func (f *File) Seek(offset int64, whence int) (int64, error) {
	f.posMu.Lock()
	defer f.posMu.Unlock()
	var pos int64
	err := f.use(func(fd int) error {
		var err error
		pos, err = syscall.Seek(fd, offset, whence)
		return err
	})
	if err != nil {
		return 0, f.wrap("seek", err)
	}
	return pos, nil
}

// copyBuf is the chunk size of ReadFrom and WriteTo.
const copyBuf = 128 << 10

// ReadFrom writes everything read from r until io.EOF at the file
// position, and returns the number of bytes written.
func (f *File) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, copyBuf)
	var total int64
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			w, werr := f.Write(buf[:n])
			total += int64(w)
			if werr != nil {
				return total, werr
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// WriteTo writes the rest of the file, from the file position, to w and
// returns the number of bytes written.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, copyBuf)
	var total int64
	for {
		n, rerr := f.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
			if m < n {
				return total, io.ErrShortWrite
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// Sync flushes the file's data and metadata to storage (fsync).
func (f *File) Sync() error {
	return f.wrap("sync", f.use(func(fd int) error {
		return f.e.Fsync(context.Background(), fd, 0)
	}))
}

// Stat returns the file's FileInfo, from statx through the ring (or
// fstat(2) where the kernel lacks that operation).
func (f *File) Stat() (os.FileInfo, error) {
	var fi *fileStat
	err := f.use(func(fd int) error {
		var err error
		fi, err = f.statx(fd)
		if err == nil {
			return nil
		}
		var st syscall.Stat_t
		if ferr := syscall.Fstat(fd, &st); ferr != nil {
			return ferr
		}
		fi = &fileStat{size: st.Size, mode: fileMode(st.Mode),
			mtime: time.Unix(st.Mtim.Unix()), sys: &st}
		return nil
	})
	if err != nil {
		return nil, f.wrap("stat", err)
	}
	fi.name = baseName(f.name)
	return fi, nil
}

func (f *File) statx(fd int) (*fileStat, error) {
	buf := (*C.struct_statx)(C.calloc(1, C.sizeof_struct_statx))
	empty := C.CString("")
	defer C.free(unsafe.Pointer(buf))
	defer C.free(unsafe.Pointer(empty))
	c := getCall()
	c.req.op = C.HOOP_OP_STATX
	c.req.fd = C.int32_t(fd)
	c.req.addr = C.uint64_t(uintptr(unsafe.Pointer(empty)))
	c.req.addr2 = C.uint64_t(uintptr(unsafe.Pointer(buf)))
	c.req.flags = C.AT_EMPTY_PATH
	c.req.len = C.STATX_BASIC_STATS
	_, err := f.e.do(context.Background(), "statx", c)
	putCall(c)
	if err != nil {
		return nil, err
	}
	return &fileStat{
		size:  int64(buf.stx_size),
		mode:  fileMode(uint32(buf.stx_mode)),
		mtime: time.Unix(int64(buf.stx_mtime.tv_sec), int64(buf.stx_mtime.tv_nsec)),
	}, nil
}

// Close closes the file through the ring (the close operation). Calling
// it again returns an error wrapping os.ErrClosed.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return f.wrap("close", os.ErrClosed)
	}
	f.closed = true
	c := getCall()
	c.req.op = C.HOOP_OP_CLOSE
	c.req.fd = C.int32_t(f.fd)
	_, err := f.e.do(context.Background(), "close", c)
	putCall(c)
	if err != nil {
		// The engine is gone or refused: close directly.
		if oe, ok := err.(*OpError); ok && oe.Err == ErrClosed {
			err = syscall.Close(f.fd)
		}
	}
	return f.wrap("close", err)
}

// fileStat is the os.FileInfo of File.Stat.
type fileStat struct {
	name  string
	size  int64
	mode  os.FileMode
	mtime time.Time
	sys   any
}

func (s *fileStat) Name() string       { return s.name }
func (s *fileStat) Size() int64        { return s.size }
func (s *fileStat) Mode() os.FileMode  { return s.mode }
func (s *fileStat) ModTime() time.Time { return s.mtime }
func (s *fileStat) IsDir() bool        { return s.mode.IsDir() }
func (s *fileStat) Sys() any           { return s.sys }

func baseName(name string) string {
	i := len(name) - 1
	for i > 0 && name[i] == '/' {
		i--
	}
	name = name[:i+1]
	for j := len(name) - 1; j >= 0; j-- {
		if name[j] == '/' {
			return name[j+1:]
		}
	}
	return name
}

// fileMode converts st_mode bits to an os.FileMode as os.Stat does.
func fileMode(m uint32) os.FileMode {
	mode := os.FileMode(m & 0o777)
	switch m & syscall.S_IFMT {
	case syscall.S_IFBLK:
		mode |= os.ModeDevice
	case syscall.S_IFCHR:
		mode |= os.ModeDevice | os.ModeCharDevice
	case syscall.S_IFDIR:
		mode |= os.ModeDir
	case syscall.S_IFIFO:
		mode |= os.ModeNamedPipe
	case syscall.S_IFLNK:
		mode |= os.ModeSymlink
	case syscall.S_IFSOCK:
		mode |= os.ModeSocket
	}
	if m&syscall.S_ISGID != 0 {
		mode |= os.ModeSetgid
	}
	if m&syscall.S_ISUID != 0 {
		mode |= os.ModeSetuid
	}
	if m&syscall.S_ISVTX != 0 {
		mode |= os.ModeSticky
	}
	return mode
}

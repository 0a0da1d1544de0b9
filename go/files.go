package hoop

/*
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include "hoop.h"
*/
import "C"

import (
	"context"
	"io/fs"
	"strings"
	"syscall"
	"unsafe"
)

// readFilesChunk is how many paths one C call reads; the context is checked
// between calls.
const readFilesChunk = 4096

// ReadFiles reads the whole of each named file, many at once: on io_uring
// each file is opened, read and closed by one linked chain of operations,
// with many files in flight and few system calls in all; on the
// thread-pool backend the same steps run on the pool. It returns, in the
// order of paths, each file's contents and error: errs[i] is nil when
// data[i] holds the whole file, else the *fs.PathError os.ReadFile would
// return (Op "open" or "read", Path paths[i], Err a syscall.Errno, e.g.
// "read" with EISDIR for a directory), and data[i] is nil. One path's
// error never touches the others.
//
// The contents of one call share a few large allocations (each data[i]
// has its capacity cut to its length, so appending to one never writes
// into another): keeping any one slice keeps its allocation alive; copy
// what you keep long out of a large batch.
//
// Each C call reads up to 4096 paths and blocks its OS thread meanwhile;
// ctx is checked between such calls, and paths not yet read when it is
// done get &fs.PathError{Op: "open", Err: ctx.Err()}. On a closed engine
// every path gets ErrClosed in the same way.
func (e *Engine) ReadFiles(ctx context.Context, paths []string) ([][]byte, []error) {
	data := make([][]byte, len(paths))
	errs := make([]error, len(paths))
	for from := 0; from < len(paths); from += readFilesChunk {
		to := from + readFilesChunk
		if to > len(paths) {
			to = len(paths)
		}
		if err := ctx.Err(); err != nil {
			failAll(paths[from:], errs[from:], err)
			break
		}
		if err := e.readFilesChunk(paths[from:to], data[from:to], errs[from:to]); err != nil {
			failAll(paths[from:], errs[from:], err)
			break
		}
	}
	return data, errs
}

// ReadFile reads the named file through the engine and returns its
// contents, with os.ReadFile's semantics: a nil error (not io.EOF) on
// success, an empty non-nil slice for an empty file, and on failure the
// *fs.PathError os.ReadFile would return.
func (e *Engine) ReadFile(name string) ([]byte, error) {
	data, errs := e.ReadFiles(context.Background(), []string{name})
	return data[0], errs[0]
}

func failAll(paths []string, errs []error, err error) {
	for i, p := range paths {
		errs[i] = &fs.PathError{Op: "open", Path: p, Err: err}
	}
}

// readFilesChunk reads one chunk with one cgo call; a non-nil return is an
// error of the whole call (closed engine, out of memory, ...).
func (e *Engine) readFilesChunk(paths []string, data [][]byte, errs []error) error {
	n := len(paths)
	// The paths go to C as one block of NUL-terminated strings; one with
	// a NUL inside is refused here as os.Open refuses it.
	total := 0
	send := make([]int, 0, n) // indexes of the paths sent to C
	for i, p := range paths {
		if strings.IndexByte(p, 0) >= 0 {
			errs[i] = &fs.PathError{Op: "open", Path: p, Err: syscall.EINVAL}
			continue
		}
		total += len(p) + 1
		send = append(send, i)
	}
	if len(send) == 0 {
		return nil
	}
	m := len(send)
	blob := C.malloc(C.size_t(total))
	ptrs := C.malloc(C.size_t(m) * C.size_t(unsafe.Sizeof(uintptr(0))))
	out := C.calloc(C.size_t(m), C.size_t(unsafe.Sizeof(C.struct_hoop_file_data{})))
	defer C.free(blob)
	defer C.free(ptrs)
	defer C.free(out)
	if blob == nil || ptrs == nil || out == nil {
		return syscall.ENOMEM
	}
	b := unsafe.Slice((*byte)(blob), total)
	// The pointer array is C memory from malloc, not zeroed, and its
	// elements are C addresses: it is filled as integers. Filled through a
	// Go slice of pointers, every store would go through the garbage
	// collector's write barrier, which (while marking) looks up the word
	// it overwrites as a heap pointer, and a freed block's leftover word
	// that lies in Go's heap but in no object is a fatal "bad pointer".
	ps := unsafe.Slice((*uintptr)(ptrs), m)
	pos := 0
	for k, i := range send {
		ps[k] = uintptr(unsafe.Pointer(&b[pos]))
		pos += copy(b[pos:], paths[i])
		b[pos] = 0
		pos++
	}

	var mem *C.hoop_files
	e.mu.RLock()
	if e.closed {
		e.mu.RUnlock()
		return ErrClosed
	}
	r := C.hoop_read_files(e.ptr, C.AT_FDCWD, (**C.char)(ptrs), C.size_t(m),
		nil, (*C.struct_hoop_file_data)(out), &mem)
	e.mu.RUnlock()
	if r < 0 {
		if r == -C.ESHUTDOWN {
			return ErrClosed
		}
		return syscall.Errno(-r)
	}
	defer C.hoop_files_free(mem)

	res := unsafe.Slice((*C.struct_hoop_file_data)(out), m)
	size := 0
	for k := range res {
		if res[k].res > 0 {
			size += int(res[k].res)
		}
	}
	// One Go allocation for the whole chunk's contents.
	all := make([]byte, size)
	pos = 0
	for k, i := range send {
		d := &res[k]
		switch {
		case d.res > 0:
			l := int(d.res)
			copy(all[pos:pos+l], unsafe.Slice((*byte)(d.data), l))
			data[i] = all[pos : pos+l : pos+l]
			pos += l
		case d.res == 0:
			data[i] = []byte{}
		default:
			op := "open"
			if d.op == C.HOOP_OP_READ {
				op = "read"
			}
			errs[i] = &fs.PathError{Op: op, Path: paths[i], Err: syscall.Errno(-d.res)}
		}
	}
	return nil
}

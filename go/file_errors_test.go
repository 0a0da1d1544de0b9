package hoop

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// fileAPI is what *os.File and *File share: each case below runs the same
// failing call on both and compares the errors.
type fileAPI interface {
	Read([]byte) (int, error)
	ReadAt([]byte, int64) (int, error)
	Write([]byte) (int, error)
	WriteAt([]byte, int64) (int, error)
	Seek(int64, int) (int64, error)
	Stat() (fs.FileInfo, error)
	Sync() error
	Close() error
	ReadFrom(io.Reader) (int64, error)
	WriteTo(io.Writer) (int64, error)
}

var (
	_ fileAPI = (*os.File)(nil)
	_ fileAPI = (*File)(nil)
)

// errTargets are the errors.Is targets compared between os and hoop.
var errTargets = []error{
	fs.ErrNotExist, fs.ErrExist, fs.ErrPermission, fs.ErrClosed, fs.ErrInvalid,
	io.EOF, io.ErrShortWrite, ErrClosed,
	syscall.ENOENT, syscall.EEXIST, syscall.EISDIR, syscall.ENOTDIR,
	syscall.EBADF, syscall.EINVAL, syscall.ESPIPE, syscall.ENOSPC,
	syscall.ELOOP, syscall.ENAMETOOLONG, syscall.EACCES,
}

// sameError fails t unless got is the error want is: same text, same
// dynamic type (and, for a *fs.PathError, same Op, Path and type of Err),
// same answers from errors.Is and os.IsNotExist/IsExist/IsPermission.
func sameError(t *testing.T, what string, got, want error) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Errorf("%s: hoop error %v, os error %v", what, got, want)
		return
	}
	if got == nil {
		return
	}
	if got.Error() != want.Error() {
		t.Errorf("%s: hoop error text %q, os %q", what, got.Error(), want.Error())
	}
	if reflect.TypeOf(got) != reflect.TypeOf(want) {
		t.Errorf("%s: hoop error type %T, os %T", what, got, want)
	}
	var gp, wp *fs.PathError
	if errors.As(want, &wp) {
		if !errors.As(got, &gp) {
			t.Errorf("%s: hoop error %v is no *fs.PathError", what, got)
		} else if gp.Op != wp.Op || gp.Path != wp.Path ||
			reflect.TypeOf(gp.Err) != reflect.TypeOf(wp.Err) {
			t.Errorf("%s: hoop PathError{%q, %q, %T}, os {%q, %q, %T}", what,
				gp.Op, gp.Path, gp.Err, wp.Op, wp.Path, wp.Err)
		}
	}
	for _, target := range errTargets {
		if g, w := errors.Is(got, target), errors.Is(want, target); g != w {
			t.Errorf("%s: errors.Is(err, %v): hoop %v, os %v", what, target, g, w)
		}
	}
	if g, w := os.IsNotExist(got), os.IsNotExist(want); g != w {
		t.Errorf("%s: os.IsNotExist: hoop %v, os %v", what, g, w)
	}
	if g, w := os.IsExist(got), os.IsExist(want); g != w {
		t.Errorf("%s: os.IsExist: hoop %v, os %v", what, g, w)
	}
	if g, w := os.IsPermission(got), os.IsPermission(want); g != w {
		t.Errorf("%s: os.IsPermission: hoop %v, os %v", what, g, w)
	}
}

// fileErrCase opens path (made by setup in a fresh directory) with flag
// and perm, then (when op is set) runs op, after closing the file when
// closed is set. Without op the open itself is expected to fail.
type fileErrCase struct {
	name   string
	setup  func(t *testing.T, dir string) string
	flag   int
	perm   os.FileMode
	closed bool
	op     func(f fileAPI) (int64, error)
	root   bool // skipped as root (permission checks do not apply)
}

func inDir(name string) func(*testing.T, string) string {
	return func(_ *testing.T, dir string) string { return filepath.Join(dir, name) }
}

func withFile(name string, data string, mode os.FileMode) func(*testing.T, string) string {
	return func(t *testing.T, dir string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

func theDir(_ *testing.T, dir string) string { return dir }

func fixed(p string) func(*testing.T, string) string {
	return func(*testing.T, string) string { return p }
}

func readOp(f fileAPI) (int64, error) {
	n, err := f.Read(make([]byte, 8))
	return int64(n), err
}

func readAtOp(off int64, size int) func(fileAPI) (int64, error) {
	return func(f fileAPI) (int64, error) {
		n, err := f.ReadAt(make([]byte, size), off)
		return int64(n), err
	}
}

func writeOp(f fileAPI) (int64, error) {
	n, err := f.Write([]byte("hoop"))
	return int64(n), err
}

func writeAtOp(off int64, data string) func(fileAPI) (int64, error) {
	return func(f fileAPI) (int64, error) {
		n, err := f.WriteAt([]byte(data), off)
		return int64(n), err
	}
}

func seekOp(off int64, whence int) func(fileAPI) (int64, error) {
	return func(f fileAPI) (int64, error) { return f.Seek(off, whence) }
}

var fileErrCases = []fileErrCase{
	// Open failures.
	{name: "open missing", setup: inDir("missing"), flag: os.O_RDONLY},
	{name: "create in missing dir", setup: inDir("no/such"), flag: os.O_RDWR | os.O_CREATE, perm: 0o644},
	{name: "open under a file", setup: func(t *testing.T, dir string) string {
		return filepath.Join(withFile("f", "x", 0o644)(t, dir), "x")
	}, flag: os.O_RDONLY},
	{name: "open dir for writing", setup: theDir, flag: os.O_WRONLY},
	{name: "O_EXCL on existing", setup: withFile("f", "x", 0o644), flag: os.O_RDWR | os.O_CREATE | os.O_EXCL, perm: 0o644},
	{name: "name with NUL", setup: func(t *testing.T, dir string) string {
		// dir/a exists: a name cut at the NUL would open it.
		withFile("a", "x", 0o644)(t, dir)
		return filepath.Join(dir, "a\x00b")
	}, flag: os.O_RDONLY},
	{name: "symlink loop", setup: func(t *testing.T, dir string) string {
		p := filepath.Join(dir, "loop")
		if err := os.Symlink("loop", p); err != nil {
			t.Fatal(err)
		}
		return p
	}, flag: os.O_RDONLY},
	{name: "name too long", setup: inDir(strings.Repeat("n", 300)), flag: os.O_RDONLY},
	{name: "mode 000", setup: withFile("f", "x", 0), flag: os.O_RDONLY, root: true},

	// Failures of I/O on an open file.
	{name: "Read of a directory", setup: theDir, flag: os.O_RDONLY, op: readOp},
	{name: "ReadAt of a directory", setup: theDir, flag: os.O_RDONLY, op: readAtOp(0, 8)},
	{name: "Read of a write-only file", setup: withFile("f", "data", 0o644), flag: os.O_WRONLY, op: readOp},
	{name: "Write to a read-only file", setup: withFile("f", "data", 0o644), flag: os.O_RDONLY, op: writeOp},
	{name: "WriteAt to a read-only file", setup: withFile("f", "data", 0o644), flag: os.O_RDONLY, op: writeAtOp(1, "x")},
	{name: "Write to /dev/full", setup: fixed("/dev/full"), flag: os.O_WRONLY, op: writeOp},
	{name: "WriteAt to /dev/full", setup: fixed("/dev/full"), flag: os.O_WRONLY, op: writeAtOp(0, "x")},
	{name: "Sync of /dev/null", setup: fixed("/dev/null"), flag: os.O_WRONLY, op: func(f fileAPI) (int64, error) { return 0, f.Sync() }},
	{name: "ReadFrom into a read-only file", setup: withFile("f", "data", 0o644), flag: os.O_RDONLY, op: func(f fileAPI) (int64, error) {
		return f.ReadFrom(strings.NewReader("abc"))
	}},
	{name: "WriteTo from a write-only file", setup: withFile("f", "data", 0o644), flag: os.O_WRONLY, op: func(f fileAPI) (int64, error) {
		return f.WriteTo(io.Discard)
	}},
	{name: "Seek with bad whence", setup: withFile("f", "data", 0o644), flag: os.O_RDONLY, op: seekOp(0, 7)},
	{name: "Seek before the start", setup: withFile("f", "data", 0o644), flag: os.O_RDONLY, op: seekOp(-1, io.SeekStart)},
	{name: "Seek on a FIFO", setup: func(t *testing.T, dir string) string {
		p := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}, flag: os.O_RDWR, op: seekOp(0, io.SeekStart)},
	{name: "ReadAt at a negative offset", setup: withFile("f", "data", 0o644), flag: os.O_RDONLY, op: readAtOp(-1, 8)},
	{name: "WriteAt at a negative offset", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, op: writeAtOp(-1, "x")},
	{name: "WriteAt with O_APPEND", setup: withFile("f", "data", 0o644), flag: os.O_WRONLY | os.O_APPEND, op: writeAtOp(0, "x")},
	{name: "ReadAt past the end", setup: withFile("f", "data", 0o644), flag: os.O_RDONLY, op: readAtOp(2, 8)},
	{name: "Read at the end", setup: withFile("f", "", 0o644), flag: os.O_RDONLY, op: readOp},

	// Every method once the file is closed.
	{name: "closed Read", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: readOp},
	{name: "closed Read of nothing", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: func(f fileAPI) (int64, error) {
		n, err := f.Read(nil)
		return int64(n), err
	}},
	{name: "closed ReadAt", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: readAtOp(0, 4)},
	{name: "closed ReadAt of nothing", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: readAtOp(0, 0)},
	{name: "closed ReadAt at a negative offset", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: readAtOp(-1, 4)},
	{name: "closed Write", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: writeOp},
	{name: "closed Write of nothing", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: func(f fileAPI) (int64, error) {
		n, err := f.Write(nil)
		return int64(n), err
	}},
	{name: "closed WriteAt", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: writeAtOp(0, "x")},
	{name: "closed WriteAt of nothing", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: writeAtOp(0, "")},
	{name: "closed WriteAt with O_APPEND", setup: withFile("f", "data", 0o644), flag: os.O_RDWR | os.O_APPEND, closed: true, op: writeAtOp(0, "x")},
	{name: "closed Seek", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: seekOp(0, io.SeekStart)},
	{name: "closed Stat", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: func(f fileAPI) (int64, error) {
		fi, err := f.Stat()
		if fi != nil {
			return 1, err
		}
		return 0, err
	}},
	{name: "closed Sync", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: func(f fileAPI) (int64, error) { return 0, f.Sync() }},
	{name: "closed Close", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: func(f fileAPI) (int64, error) { return 0, f.Close() }},
	{name: "closed ReadFrom", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: func(f fileAPI) (int64, error) {
		return f.ReadFrom(strings.NewReader("abc"))
	}},
	{name: "closed ReadFrom of nothing", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: func(f fileAPI) (int64, error) {
		return f.ReadFrom(strings.NewReader(""))
	}},
	{name: "closed WriteTo", setup: withFile("f", "data", 0o644), flag: os.O_RDWR, closed: true, op: func(f fileAPI) (int64, error) {
		return f.WriteTo(io.Discard)
	}},
}

// Every failure of a File is the error *os.File gives for the same call:
// text, type, errors.Is and os.Is* all agree.
func TestFileErrorsMatchOS(t *testing.T) {
	e := newEngine(t)
	for _, tc := range fileErrCases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root && os.Geteuid() == 0 {
				t.Skip("running as root: permission bits do not refuse")
			}
			dir := t.TempDir()
			path := tc.setup(t, dir)
			of, oerr := os.OpenFile(path, tc.flag, tc.perm)
			hf, herr := OpenFile(e, path, tc.flag, tc.perm)
			if tc.op == nil {
				if oerr == nil {
					t.Fatalf("os.OpenFile(%q) succeeded: the case is wrong", path)
				}
				if herr == nil {
					hf.Close()
				}
				sameError(t, "OpenFile", herr, oerr)
				return
			}
			if oerr != nil || herr != nil {
				t.Fatalf("open: os %v, hoop %v", oerr, herr)
			}
			defer of.Close()
			defer hf.Close()
			if tc.closed {
				if err := of.Close(); err != nil {
					t.Fatal(err)
				}
				if err := hf.Close(); err != nil {
					t.Fatalf("hoop Close: %v", err)
				}
			}
			on, oerr := tc.op(of)
			hn, herr := tc.op(hf)
			if oerr == nil && !tc.closed {
				t.Fatalf("the os call succeeded: the case is wrong")
			}
			if hn != on {
				t.Errorf("hoop returned %d, os %d", hn, on)
			}
			sameError(t, "op", herr, oerr)
		})
	}
}

// The report of the issue, word for word: ReadAt after Close wraps one
// PathError, and os.IsNotExist is true for a missing file.
func TestFileErrorsReported(t *testing.T) {
	e := newEngine(t)
	name := filepath.Join(t.TempDir(), "f")
	f, err := Create(e, name)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = f.ReadAt(make([]byte, 1), 0)
	if want := "read " + name + ": file already closed"; err == nil || err.Error() != want {
		t.Fatalf("ReadAt after Close: %v, want %q", err, want)
	}
	_, err = Open(e, "/no/such/file")
	if !os.IsNotExist(err) || err.Error() != "open /no/such/file: no such file or directory" {
		t.Fatalf("Open missing: %v; os.IsNotExist %v", err, os.IsNotExist(err))
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Err != syscall.ENOENT {
		t.Fatalf("Open missing: %#v, want PathError with Err ENOENT", err)
	}
}

// On a closed Engine a File's I/O fails with one PathError around
// ErrClosed; Close still closes the descriptor.
func TestFileEngineClosed(t *testing.T) {
	needURing(t)
	e, err := NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "f")
	f, err := Create(e, name)
	if err != nil {
		e.Close()
		t.Fatal(err)
	}
	e.Close()
	before := fdCount(t)
	_, err = f.ReadAt(make([]byte, 1), 0)
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "read" || pe.Path != name || pe.Err != ErrClosed {
		t.Fatalf("ReadAt on a closed engine: %#v (%v)", err, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("Close on a closed engine: %v", err)
	}
	if after := fdCount(t); after != before-1 {
		t.Fatalf("fds %d after Close, %d before", after, before)
	}
}

// Engine-level calls fail with an *OpError around the syscall.Errno.
func TestEngineErrorsAreErrno(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	check := func(what string, err error, want syscall.Errno) {
		t.Helper()
		var oe *OpError
		var en syscall.Errno
		if !errors.As(err, &oe) || !errors.Is(err, want) || !errors.As(err, &en) || en != want {
			t.Errorf("%s: %#v (%v), want *OpError wrapping %v", what, err, err, want)
		}
	}
	_, err := e.ReadAt(ctx, -1, make([]byte, 4), 0)
	check("ReadAt fd -1", err, syscall.EBADF)
	_, err = e.WriteAt(ctx, 1<<20, []byte("x"), 0)
	check("WriteAt unopened fd", err, syscall.EBADF)
	null, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	check("Fsync /dev/null", e.Fsync(ctx, int(null.Fd()), 0), syscall.EINVAL)
	dir, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	_, err = e.ReadAt(ctx, int(dir.Fd()), make([]byte, 4), 0)
	check("ReadAt directory", err, syscall.EISDIR)
	_, err = NewEngine(WithEngineEntries(1<<20, 0))
	check("NewEngine with 1M entries", err, syscall.EINVAL)
}

package hoop

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
)

var (
	_ io.Reader     = (*File)(nil)
	_ io.Writer     = (*File)(nil)
	_ io.ReaderAt   = (*File)(nil)
	_ io.WriterAt   = (*File)(nil)
	_ io.Seeker     = (*File)(nil)
	_ io.Closer     = (*File)(nil)
	_ io.ReaderFrom = (*File)(nil)
	_ io.WriterTo   = (*File)(nil)
)

func TestFileOpenErrors(t *testing.T) {
	e := newEngine(t)
	dir := t.TempDir()
	_, err := OpenFile(e, filepath.Join(dir, "missing"), os.O_RDONLY, 0)
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("open missing: %v, want ErrNotExist", err)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "open" {
		t.Fatalf("open missing: %T %v, want *fs.PathError", err, err)
	}
	name := filepath.Join(dir, "x")
	f, err := OpenFile(e, name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := OpenFile(e, name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("O_EXCL on existing: %v, want ErrExist", err)
	}
	st, _ := os.Stat(name)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode())
	}
}

func TestFileIO(t *testing.T) {
	e := newEngine(t)
	before := fdCount(t)
	name := filepath.Join(t.TempDir(), "f")
	f, err := Create(e, name)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name() != name || f.Fd() < 0 {
		t.Fatalf("Name %q Fd %d", f.Name(), f.Fd())
	}
	data := pattern(300000, 2)
	n, err := f.Write(data)
	if err != nil || n != len(data) {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil || fi.Size() != int64(len(data)) || fi.Name() != "f" || fi.IsDir() || fi.Mode().Perm() != 0o666&^umask() {
		t.Fatalf("Stat = %v %v (mode %v)", fi, err, fi.Mode())
	}
	if pos, err := f.Seek(0, io.SeekCurrent); err != nil || pos != int64(len(data)) {
		t.Fatalf("position after Write = %d, %v", pos, err)
	}
	// ReadAt: full reads, then io.EOF with the short count at the end.
	buf := make([]byte, 1000)
	if n, err := f.ReadAt(buf, 5000); n != 1000 || err != nil || !bytes.Equal(buf, data[5000:6000]) {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	if n, err := f.ReadAt(buf, int64(len(data))-10); n != 10 || err != io.EOF {
		t.Fatalf("ReadAt at end = %d, %v; want 10, io.EOF", n, err)
	}
	if n, err := f.ReadAt(buf, int64(len(data))+10); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt past end = %d, %v; want 0, io.EOF", n, err)
	}
	// Read from the start up to io.EOF.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(all, data) {
		t.Fatalf("ReadAll: %d bytes, %v", len(all), err)
	}
	if n, err := f.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read at end = %d, %v; want 0, io.EOF", n, err)
	}
	// iotest checks the io.Reader, io.ReaderAt and io.Seeker contracts in
	// detail (on a smaller file: it reads byte by byte).
	small := filepath.Join(filepath.Dir(name), "small")
	os.WriteFile(small, data[:5000], 0o644)
	sf, err := Open(e, small)
	if err != nil {
		t.Fatal(err)
	}
	if err := iotest.TestReader(sf, data[:5000]); err != nil {
		t.Fatalf("iotest.TestReader: %v", err)
	}
	sf.Close()
	// WriteAt in the middle, then check with os.
	if n, err := f.WriteAt([]byte("HOOP"), 10); n != 4 || err != nil {
		t.Fatalf("WriteAt = %d, %v", n, err)
	}
	if _, err := f.ReadAt(make([]byte, 1), -1); err == nil {
		t.Fatal("ReadAt at negative offset succeeded")
	}
	// WriteTo and ReadFrom.
	f.Seek(8, io.SeekStart)
	var sb bytes.Buffer
	if n, err := f.WriteTo(&sb); n != int64(len(data)-8) || err != nil || !bytes.HasPrefix(sb.Bytes(), []byte("\x00\x00HOOP")[:0]) {
		t.Fatalf("WriteTo = %d, %v", n, err)
	}
	if string(sb.Bytes()[2:6]) != "HOOP" {
		t.Fatalf("WriteTo bytes %q", sb.Bytes()[:8])
	}
	f.Seek(0, io.SeekStart)
	if n, err := f.ReadFrom(strings.NewReader("from a reader")); n != 13 || err != nil {
		t.Fatalf("ReadFrom = %d, %v", n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := f.Read(buf); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	if f.Fd() != -1 {
		t.Fatal("Fd after Close")
	}
	got, _ := os.ReadFile(name)
	want := append([]byte("from a reader"), data[13:]...)
	copy(want[10:], "HOOP")
	want = append(want[:0:0], want...)
	copy(want, "from a reader")
	if !bytes.Equal(got, want) {
		t.Fatal("file contents differ")
	}
	if after := fdCount(t); after != before {
		t.Fatalf("fds %d after, %d before", after, before)
	}
}

func umask() os.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return os.FileMode(m)
}

// Write to a full pipe reader side closed gives an error, never a silent
// short write; io.Copy through ReadFrom/WriteTo moves everything.
func TestFileCopyAndErrors(t *testing.T) {
	e := newEngine(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	data := pattern(1<<20+123, 4)
	os.WriteFile(src, data, 0o644)
	in, err := Open(e, src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := Create(e, filepath.Join(dir, "dst"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(out, in)
	if err != nil || n != int64(len(data)) {
		t.Fatalf("io.Copy = %d, %v", n, err)
	}
	out.Close()
	got, _ := os.ReadFile(filepath.Join(dir, "dst"))
	if !bytes.Equal(got, data) {
		t.Fatal("copy differs")
	}
	// Writing to a read-only file fails with EBADF.
	if n, err := in.Write([]byte("x")); n != 0 || !errors.Is(err, syscall.EBADF) {
		t.Fatalf("Write on read-only = %d, %v", n, err)
	}
	// A directory: reading fails with EISDIR, Stat says dir.
	d, err := Open(e, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Read(make([]byte, 4)); !errors.Is(err, syscall.EISDIR) {
		t.Fatalf("Read dir: %v", err)
	}
	if fi, err := d.Stat(); err != nil || !fi.IsDir() {
		t.Fatalf("Stat dir: %v %v", fi, err)
	}
}

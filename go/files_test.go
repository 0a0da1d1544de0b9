package hoop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// sameAsOS checks ReadFiles' outcome for path against os.ReadFile's: the
// same bytes, or an *fs.PathError with the same Op, Path and Errno.
func sameAsOS(t *testing.T, path string, data []byte, err error) {
	t.Helper()
	want, werr := os.ReadFile(path)
	if werr != nil {
		var pe, wpe *fs.PathError
		if !errors.As(err, &pe) || !errors.As(werr, &wpe) {
			t.Fatalf("%q: error %#v, os.ReadFile %#v", path, err, werr)
		}
		if pe.Op != wpe.Op || pe.Path != wpe.Path || pe.Err != wpe.Err {
			t.Fatalf("%q: error %v, os.ReadFile %v", path, err, werr)
		}
		if _, ok := pe.Err.(syscall.Errno); !ok {
			t.Fatalf("%q: Err is %T, not syscall.Errno", path, pe.Err)
		}
		if data != nil {
			t.Fatalf("%q: data with an error", path)
		}
		return
	}
	if err != nil {
		t.Fatalf("%q: %v, os.ReadFile read %d bytes", path, err, len(want))
	}
	if data == nil || !bytes.Equal(data, want) {
		t.Fatalf("%q: %d bytes (nil %v), want %d", path, len(data), data == nil, len(want))
	}
	if cap(data) != len(data) {
		t.Fatalf("%q: cap %d, len %d", path, cap(data), len(data))
	}
}

func readFilesTree(t *testing.T) (string, []string) {
	dir := t.TempDir()
	files := map[string][]byte{
		"empty":            {},
		"small":            pattern(100, 1),
		"page":             pattern(4096, 2),
		"big":              pattern(300*1024, 3),
		"caf\xe9\xff":      pattern(777, 4), // not UTF-8
		"exactly64k":       pattern(64*1024, 5),
		"exactly64k_plus1": pattern(64*1024+1, 6),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, n := range []string{"empty", "small", "missing", "page", "sub", "big",
		"small/x", "caf\xe9\xff", "exactly64k", "exactly64k_plus1"} {
		paths = append(paths, filepath.Join(dir, n))
	}
	paths = append(paths, "", dir+"/nul\x00name")
	return dir, paths
}

func TestReadFiles(t *testing.T) {
	e := newEngine(t)
	_, paths := readFilesTree(t)
	before := fdCount(t)
	data, errs := e.ReadFiles(context.Background(), paths)
	if len(data) != len(paths) || len(errs) != len(paths) {
		t.Fatalf("lengths %d %d, want %d", len(data), len(errs), len(paths))
	}
	for i, p := range paths {
		sameAsOS(t, p, data[i], errs[i])
	}
	// The directory fails in its read, as with os.ReadFile.
	var pe *fs.PathError
	if !errors.As(errs[4], &pe) || pe.Op != "read" || pe.Err != syscall.EISDIR {
		t.Fatalf("directory: %v", errs[4])
	}
	if !errors.Is(errs[2], fs.ErrNotExist) {
		t.Fatalf("missing: %v", errs[2])
	}
	// Appending to one result never writes into the next.
	_ = append(data[1], 0xff)
	if !bytes.Equal(data[3], pattern(4096, 2)) {
		t.Fatal("append to one result changed another")
	}
	if got := fdCount(t); got != before {
		t.Fatalf("%d descriptors open after, %d before", got, before)
	}
	if d, es := e.ReadFiles(context.Background(), nil); len(d) != 0 || len(es) != 0 {
		t.Fatal("no paths: results")
	}
}

func TestReadFile(t *testing.T) {
	e := newEngine(t)
	_, paths := readFilesTree(t)
	for _, p := range paths {
		data, err := e.ReadFile(p)
		sameAsOS(t, p, data, err)
	}
}

func TestReadFilesPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	e := newEngine(t)
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	data, err := e.ReadFile(p)
	sameAsOS(t, p, data, err)
	if !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("%v", err)
	}
}

// 10,000 paths (some missing) under a descriptor limit of 64.
func TestReadFilesManyLowLimit(t *testing.T) {
	e := newEngine(t)
	dir := t.TempDir()
	for i := 0; i < 500; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprint(i)), pattern(i*37%9000, byte(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	paths := make([]string, 10000)
	for i := range paths {
		if i%9 == 0 {
			paths[i] = filepath.Join(dir, "none")
		} else {
			paths[i] = filepath.Join(dir, fmt.Sprint(i%500))
		}
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	before := fdCount(t)
	lim := old
	lim.Cur = 64
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	data, errs := e.ReadFiles(context.Background(), paths)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	if got := fdCount(t); got != before {
		t.Fatalf("%d descriptors open after, %d before", got, before)
	}
	for i := range paths {
		if i%9 == 0 {
			if !errors.Is(errs[i], fs.ErrNotExist) {
				t.Fatalf("%d: %v", i, errs[i])
			}
			continue
		}
		k := i % 500
		if errs[i] != nil || !bytes.Equal(data[i], pattern(k*37%9000, byte(k))) {
			t.Fatalf("%d: %v, %d bytes", i, errs[i], len(data[i]))
		}
	}
}

func TestReadFilesContextAndClosed(t *testing.T) {
	e := newEngine(t)
	_, paths := readFilesTree(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	data, errs := e.ReadFiles(ctx, paths[:3])
	for i := range errs {
		var pe *fs.PathError
		if data[i] != nil || !errors.As(errs[i], &pe) || pe.Op != "open" ||
			pe.Path != paths[i] || !errors.Is(errs[i], context.Canceled) {
			t.Fatalf("%d: %v", i, errs[i])
		}
	}
	e.Close()
	_, err := e.ReadFile(paths[1])
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("closed engine: %v", err)
	}
}

// Many goroutines at once on one engine (one of them gets the direct
// descriptors, the others ordinary ones): each its exact results.
func TestReadFilesConcurrent(t *testing.T) {
	e := newEngine(t)
	_, paths := readFilesTree(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 20; r++ {
				data, errs := e.ReadFiles(context.Background(), paths)
				for i, p := range paths {
					want, werr := os.ReadFile(p)
					if (werr == nil) != (errs[i] == nil) || !bytes.Equal(data[i], want) {
						t.Errorf("%q: %v vs %v", p, errs[i], werr)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// readFilesBench makes n cached files of 4 KiB.
func readFilesBench(b *testing.B, n int) []string {
	dir := b.TempDir()
	paths := make([]string, n)
	data := pattern(4096, 9)
	for i := range paths {
		paths[i] = filepath.Join(dir, fmt.Sprint(i))
		if err := os.WriteFile(paths[i], data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return paths
}

// 5,000 cached 4 KiB files per op: Engine.ReadFiles against a loop of
// os.ReadFile, and against 64 goroutines each reading a share with
// os.ReadFile. ns/file is the figure to compare.
func BenchmarkReadFiles5000(b *testing.B) {
	paths := readFilesBench(b, 5000)
	perFile := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(paths)), "ns/file")
	}
	b.Run("hoop", func(b *testing.B) {
		e := newEngine(b)
		for i := 0; i < b.N; i++ {
			_, errs := e.ReadFiles(context.Background(), paths)
			if errs[0] != nil {
				b.Fatal(errs[0])
			}
		}
		perFile(b)
	})
	b.Run("os", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, p := range paths {
				if _, err := os.ReadFile(p); err != nil {
					b.Fatal(err)
				}
			}
		}
		perFile(b)
	})
	b.Run("os64", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var wg sync.WaitGroup
			for g := 0; g < 64; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					for k := g; k < len(paths); k += 64 {
						if _, err := os.ReadFile(paths[k]); err != nil {
							b.Error(err)
							return
						}
					}
				}(g)
			}
			wg.Wait()
		}
		perFile(b)
	})
}

func ExampleEngine_ReadFiles() {
	e, err := NewEngine()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "a"), []byte("hello"), 0o644)
	data, errs := e.ReadFiles(context.Background(), []string{
		filepath.Join(dir, "a"), filepath.Join(dir, "missing")})
	fmt.Printf("%s %v\n", data[0], errs[0])
	fmt.Println(errors.Is(errs[1], fs.ErrNotExist))
	// Output:
	// hello <nil>
	// true
}

// The C array of path pointers readFilesChunk fills comes from malloc, not
// zeroed: a freed block's old words are in it. Stored through a Go slice
// of pointers, each element's old word went through the garbage
// collector's write barrier while it marked, and an old word that looked
// like a Go heap address of no object (here: past the end of a live large
// object, in its span's last page) crashed the process with "found bad
// pointer in Go heap". Collections run back to back meanwhile, so most
// stores happen while the barrier is on.
func TestReadFilesStaleCMemory(t *testing.T) {
	e := newEngine(t)
	_, tree := readFilesTree(t)
	paths := make([]string, 0, 32)
	for len(paths) < cap(paths) {
		paths = append(paths, tree[1]) // "small"
	}
	// A large object's span ends a page boundary past it: an address
	// there is inside the heap but in no object.
	big := make([]byte, 8<<20+4096)
	bad := uintptr(unsafe.Pointer(&big[0])) + uintptr(len(big)) + 64

	// A live heap of many pointers makes each mark phase long.
	keep := make([]*[4]int, 1<<18)
	for i := range keep {
		keep[i] = new([4]int)
	}
	stop := make(chan struct{})
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	defer func() {
		close(stop)
		<-gcDone
	}()

	runtime.LockOSThread() // the malloc below and the call's on one thread
	defer runtime.UnlockOSThread()
	deadline := time.Now().Add(2 * time.Second)
	for n := 0; time.Now().Before(deadline); n++ {
		cFreedWithWord(len(paths)*int(unsafe.Sizeof(uintptr(0))), bad)
		data, errs := e.ReadFiles(context.Background(), paths)
		for i := range paths {
			if errs[i] != nil || !bytes.Equal(data[i], pattern(100, 1)) {
				t.Fatalf("round %d, %d: %v, %d bytes", n, i, errs[i], len(data[i]))
			}
		}
	}
	runtime.KeepAlive(big)
	runtime.KeepAlive(keep)
}

// The README's Go example: goroutines sharing one engine, a file with the io
// interfaces, and errors that work with errors.Is.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	hoop "github.com/hoop-io/hoop/go"
)

func main() {
	eng, err := hoop.NewEngine()
	if err != nil {
		fmt.Println("engine:", err)
		os.Exit(1)
	}
	defer eng.Close()

	path := filepath.Join(os.TempDir(), "hoop-example.bin")
	data := make([]byte, 64*1024)
	for i := range data {
		data[i] = byte(i)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		panic(err)
	}
	defer os.Remove(path)

	// Sixteen goroutines read their own 4 KiB through the shared engine.
	f, err := hoop.Open(eng, path)
	if err != nil {
		panic(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			buf := make([]byte, 4096)
			n, err := f.ReadAt(buf, int64(g)*4096) // io.ReaderAt
			if err != nil || buf[1] != data[g*4096+1] {
				panic(fmt.Sprint("read ", g, ": ", err))
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	fmt.Println("16 goroutines read", total, "bytes")

	// The file is also an io.Reader, so the standard library works with it.
	f.Seek(0, io.SeekStart)
	n, _ := io.Copy(io.Discard, f)
	fmt.Println("io.Copy read", n, "bytes")
	f.Close()

	// Context-aware single operations on plain fds.
	fd, _ := os.Open(path)
	buf := make([]byte, 8)
	n2, err := eng.ReadAt(context.Background(), int(fd.Fd()), buf, 256)
	fmt.Println("ReadAt:", n2, buf, err)
	fd.Close()

	_, err = hoop.Open(eng, "/no/such/file")
	fmt.Println("missing file is fs.ErrNotExist:", errors.Is(err, fs.ErrNotExist))
	fmt.Println("backend:", eng.Backend())
}

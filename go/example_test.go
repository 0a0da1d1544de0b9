package hoop_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	hoop "github.com/hoop-io/hoop/go"
)

// tempName returns a path in a fresh temporary directory.
func tempName(name string) (string, func()) {
	dir, err := os.MkdirTemp("", "hoop-example")
	if err != nil {
		panic(err)
	}
	return filepath.Join(dir, name), func() { os.RemoveAll(dir) }
}

// Goroutines share one Engine; each ReadAt parks the goroutine, not a
// thread, until its completion arrives.
func ExampleEngine_ReadAt() {
	name, cleanup := tempName("greeting")
	defer cleanup()
	os.WriteFile(name, []byte("hello from io_uring"), 0o644)
	f, _ := os.Open(name)
	defer f.Close()

	e, err := hoop.NewEngine()
	if err != nil {
		fmt.Println("io_uring unavailable:", err)
		return
	}
	defer e.Close()

	var wg sync.WaitGroup
	words := make([]string, 3)
	for i, off := range []int64{0, 6, 11} {
		wg.Add(1)
		go func(i int, off int64) {
			defer wg.Done()
			buf := make([]byte, 4)
			n, err := e.ReadAt(context.Background(), int(f.Fd()), buf, off)
			if err != nil {
				panic(err)
			}
			words[i] = string(buf[:n])
		}(i, off)
	}
	wg.Wait()
	fmt.Println(words)
	// Output: [hell from io_u]
}

// Submit a batch with one cgo call, then wait for all of its results.
func ExampleEngine_Submit() {
	e, err := hoop.NewEngine()
	if err != nil {
		fmt.Println("io_uring unavailable:", err)
		return
	}
	defer e.Close()
	b, err := e.Submit([]hoop.Op{{Code: hoop.OpNop, UserData: 1}, {Code: hoop.OpNop, UserData: 2}})
	if err != nil {
		panic(err)
	}
	res, err := e.Wait(context.Background(), b)
	fmt.Println(res, err)
	// Output: [{1 0} {2 0}] <nil>
}

// A File opened through the engine works with the io package.
func ExampleOpenFile() {
	name, cleanup := tempName("notes.txt")
	defer cleanup()
	e, err := hoop.NewEngine()
	if err != nil {
		fmt.Println("io_uring unavailable:", err)
		return
	}
	defer e.Close()

	f, err := hoop.OpenFile(e, name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	io.WriteString(f, "one\ntwo\n")
	f.Seek(0, io.SeekStart)
	all, _ := io.ReadAll(f)
	fmt.Printf("%q\n", all)

	_, err = hoop.Open(e, name+".missing")
	fmt.Println(errors.Is(err, fs.ErrNotExist))
	// Output:
	// "one\ntwo\n"
	// true
}

// The gVisor-style Queue: add requests, wait for completions.
func ExampleQueue() {
	name, cleanup := tempName("q")
	defer cleanup()
	os.WriteFile(name, []byte("abcdefgh"), 0o644)
	f, _ := os.Open(name)
	defer f.Close()

	e, err := hoop.NewEngine()
	if err != nil {
		fmt.Println("io_uring unavailable:", err)
		return
	}
	defer e.Close()
	q, _ := e.NewQueue(8)
	defer q.Destroy()

	a, b := make([]byte, 4), make([]byte, 4)
	q.Add(hoop.Read(1, int32(f.Fd()), 0, a))
	q.Add(hoop.Read(2, int32(f.Fd()), 4, b))
	cs, _ := q.Wait(make([]hoop.Completion, 8), 2)
	fmt.Println(len(cs), string(a), string(b))
	// Output: 2 abcd efgh
}

// The single-owner Ring: get an SQE, prepare it, submit, reap.
func ExampleRing() {
	r, err := hoop.New(8)
	if err != nil {
		fmt.Println("io_uring unavailable:", err)
		return
	}
	defer r.Close()
	sqe := r.GetSQE()
	sqe.PrepareNop()
	sqe.SetUserData(42)
	r.SubmitAndWait(1)
	cqe, _ := r.WaitCQE()
	r.SeenCQE(cqe)
	fmt.Println(cqe.UserData, cqe.Res)
	// Output: 42 0
}

// Probe says whether io_uring works here and what it supports.
func ExampleProbe() {
	p := hoop.Probe()
	if !p.Usable {
		fmt.Println("io_uring unavailable:", p.Err)
		return
	}
	fmt.Println(p.Supports(hoop.OpRead), hoop.OpName(hoop.OpRead))
	// Output: true read
}

// An HTTP server from net/http over hoop's listener: accepts, reads and
// writes go through the engine.
func ExampleListen() {
	eng, err := hoop.NewEngine()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer eng.Close()
	lc := hoop.ListenConfig{Engine: eng, ReusePort: true}
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s", r.URL.Path)
	})}
	go srv.Serve(l)
	defer srv.Close()

	resp, err := http.Get("http://" + l.Addr().String() + "/hoop")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 hello from /hoop
}

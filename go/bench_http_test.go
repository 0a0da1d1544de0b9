package hoop

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// net/http "hello" served over hoop's Listener and over net.Listen, 64
// keep-alive connections from a load generator in another process (this
// test binary re-run as TestHTTPLoadChild: a minimal HTTP/1.1 client, one
// request in flight per connection), so the client's CPU is not the
// server's. Reports requests per second as the client timed them (from
// its first request to its last response) and the server process's CPU
// time per request.
func BenchmarkHTTP(b *testing.B) {
	hello := []byte("hello")
	for _, kind := range socketKinds() {
		b.Run(kind, func(b *testing.B) {
			l := benchListener(b, kind)
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.Write(hello)
			})}
			go srv.Serve(l)
			defer srv.Close()
			cmd := exec.Command(os.Args[0], "-test.run", "^TestHTTPLoadChild$", "-test.count", "1", "-test.v")
			cmd.Env = append(os.Environ(), fmt.Sprintf("HOOP_HTTP_LOAD=%s %d %d", l.Addr(), 64, b.N))
			b.ResetTimer()
			stop := measureCPU(b)
			out, err := cmd.CombinedOutput()
			stop()
			b.StopTimer()
			if err != nil {
				b.Fatalf("load generator: %v\n%s", err, out)
			}
			_, after, ok := strings.Cut(string(out), "HOOP_HTTP_NS=")
			ns, perr := strconv.ParseInt(strings.Fields(after + " ")[0], 10, 64)
			if !ok || perr != nil || ns <= 0 {
				b.Fatalf("load generator output:\n%s", out)
			}
			b.ReportMetric(float64(b.N)/(float64(ns)/1e9), "req/s")
		})
	}
}

// TestHTTPLoadChild is BenchmarkHTTP's load generator, run in its own
// process: HOOP_HTTP_LOAD="addr conns requests".
func TestHTTPLoadChild(t *testing.T) {
	spec := os.Getenv("HOOP_HTTP_LOAD")
	if spec == "" {
		t.Skip("run by BenchmarkHTTP")
	}
	var addr string
	var conns, total int
	if _, err := fmt.Sscan(spec, &addr, &conns, &total); err != nil {
		t.Fatal(err)
	}
	cs := dialN(t, addr, conns)
	req := []byte("GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for _, c := range cs {
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			r := bufio.NewReader(c)
			for next.Add(1) <= int64(total) {
				if _, err := c.Write(req); err != nil {
					failed.Store(err)
					return
				}
				if err := readResponse(r); err != nil {
					failed.Store(err)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	ns := time.Since(start).Nanoseconds()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("HOOP_HTTP_NS=%d\n", ns)
}

// readResponse reads one HTTP/1.1 response with a Content-Length body.
func readResponse(r *bufio.Reader) error {
	length := -1
	for first := true; ; first = false {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if first {
			if !strings.HasPrefix(string(line), "HTTP/1.1 200") {
				return fmt.Errorf("status %q", line)
			}
			continue
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := strings.Cut(string(line), ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if length < 0 {
		return fmt.Errorf("no Content-Length")
	}
	_, err := r.Discard(length)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// What net/http does to a connection's deadlines between requests when no
// timeout is configured: clear the read and the write deadline, which were
// not set. hoop's Conn tells the netpoller only of changes; net's conn goes
// through poll.FD each time.
func BenchmarkDeadlineClear(b *testing.B) {
	for _, kind := range []string{"hoop", "net"} {
		b.Run(kind, func(b *testing.B) {
			l := benchListener(b, kind)
			defer l.Close()
			accepted := make(chan net.Conn, 1)
			go func() {
				c, _ := l.Accept()
				accepted <- c
			}()
			cl := dialN(b, l.Addr().String(), 1)[0]
			defer cl.Close()
			c := <-accepted
			if c == nil {
				b.Fatal("Accept failed")
			}
			defer c.Close()
			b.ResetTimer()
			defer measureCPU(b)()
			for range b.N {
				c.SetReadDeadline(time.Time{})
				c.SetWriteDeadline(time.Time{})
			}
		})
	}
}

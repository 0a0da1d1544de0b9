package hoop

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// Shared test vectors for the two SQE encoders. SQE.Prepare* fill the SQE
// in Go (no cgo call per operation); the C core fills it with hoop_prep_*.
// Each vector prepares one SQE both ways with the same arguments and
// compares all 64 bytes, so the Go preps cannot drift from core/prep.c.

// cRef is the C side of a vector: which hoop_prep_* (ref*) and its
// arguments, as cPrepRef takes them.
type cRef struct {
	which int
	fd    int
	addr  uint64
	n     uint32
	off   uint64
	flags int
}

// prepVector prepares one SQE in Go (prep) and names the C call that must
// write the same bytes (ref, given the Go SQE for the addresses of memory
// the Go prep allocated itself, whose content check then verifies).
type prepVector struct {
	method string // the SQE method under test
	name   string
	prep   func(q *SQE) error
	ref    func(g *[8]uint64) []cRef
	check  func(t *testing.T, g *[8]uint64)
}

// The SQE's fields (include/hoop/uapi.h struct hoop_sqe): name, offset,
// size, for the report of a mismatch.
var sqeFields = []struct {
	name      string
	off, size int
}{
	{"opcode", 0, 1}, {"flags", 1, 1}, {"ioprio", 2, 2}, {"fd", 4, 4},
	{"off", 8, 8}, {"addr", 16, 8}, {"len", 24, 4}, {"op_flags", 28, 4},
	{"user_data", 32, 8}, {"buf_index", 40, 2}, {"personality", 42, 2},
	{"file_index", 44, 4}, {"addr3", 48, 8}, {"pad2", 56, 8},
}

func sqeAddr(g *[8]uint64) uint64 { return g[2] }

func addrOf(p []byte) uint64 {
	if len(p) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&p[0])))
}

func one(r cRef) func(*[8]uint64) []cRef { return func(*[8]uint64) []cRef { return []cRef{r} } }

func prepVectors() []prepVector {
	buf := make([]byte, 4096)
	small := []byte("hello")
	off := int64(1) << 40
	v1, v2, v3 := make([]byte, 10), make([]byte, 0), make([]byte, 3)
	vecs := [][]byte{v1, v2, v3}
	var vs []prepVector
	add := func(method, name string, prep func(q *SQE) error, ref func(*[8]uint64) []cRef, check func(*testing.T, *[8]uint64)) {
		vs = append(vs, prepVector{method, name, prep, ref, check})
	}
	noErr := func(f func(q *SQE)) func(q *SQE) error { return func(q *SQE) error { f(q); return nil } }

	add("PrepareNop", "", noErr(func(q *SQE) { q.PrepareNop() }), one(cRef{which: refNop}), nil)

	for _, c := range []struct {
		fd  int
		p   []byte
		off int64
	}{{3, buf, 0}, {7, small, off}, {0, nil, -1}, {-1, buf[:1], 12345}, {1 << 30, buf, -2}} {
		c := c
		name := fmt.Sprintf("fd=%d/len=%d/off=%d", c.fd, len(c.p), c.off)
		add("PrepareRead", name, noErr(func(q *SQE) { q.PrepareRead(c.fd, c.p, c.off) }),
			one(cRef{which: refRead, fd: c.fd, addr: addrOf(c.p), n: uint32(len(c.p)), off: uint64(c.off)}), nil)
		add("PrepareWrite", name, noErr(func(q *SQE) { q.PrepareWrite(c.fd, c.p, c.off) }),
			one(cRef{which: refWrite, fd: c.fd, addr: addrOf(c.p), n: uint32(len(c.p)), off: uint64(c.off)}), nil)
	}

	iovCheck := func(bufs [][]byte) func(*testing.T, *[8]uint64) {
		return func(t *testing.T, g *[8]uint64) {
			if len(bufs) == 0 {
				if sqeAddr(g) != 0 {
					t.Errorf("no buffers: addr %#x, want 0", sqeAddr(g))
				}
				return
			}
			got := make([]byte, len(bufs)*int(unsafe.Sizeof(syscall.Iovec{})))
			cPeek(sqeAddr(g), got)
			for i, b := range bufs {
				base := binary.LittleEndian.Uint64(got[16*i:])
				n := binary.LittleEndian.Uint64(got[16*i+8:])
				if base != addrOf(b) || n != uint64(len(b)) {
					t.Errorf("iovec %d = {%#x, %d}, want {%#x, %d}", i, base, n, addrOf(b), len(b))
				}
			}
		}
	}
	for _, c := range []struct {
		fd   int
		bufs [][]byte
		off  int64
	}{{5, vecs, 4096}, {9, nil, -1}, {2, vecs[:1], off}} {
		c := c
		name := fmt.Sprintf("fd=%d/n=%d/off=%d", c.fd, len(c.bufs), c.off)
		ref := func(which int) func(g *[8]uint64) []cRef {
			return func(g *[8]uint64) []cRef {
				return []cRef{{which: which, fd: c.fd, addr: sqeAddr(g), n: uint32(len(c.bufs)), off: uint64(c.off)}}
			}
		}
		add("PrepareReadv", name, noErr(func(q *SQE) { q.PrepareReadv(c.fd, c.bufs, c.off) }), ref(refReadv), iovCheck(c.bufs))
		add("PrepareWritev", name, noErr(func(q *SQE) { q.PrepareWritev(c.fd, c.bufs, c.off) }), ref(refWritev), iovCheck(c.bufs))
	}

	for _, fl := range []uint32{0, FsyncDataSync} {
		fl := fl
		add("PrepareFsync", fmt.Sprintf("flags=%d", fl), noErr(func(q *SQE) { q.PrepareFsync(4, fl) }),
			one(cRef{which: refFsync, fd: 4, flags: int(fl)}), nil)
	}

	for _, c := range []struct {
		d     time.Duration
		count uint32
	}{{1500 * time.Millisecond, 0}, {0, 3}, {time.Nanosecond, 1<<32 - 1}, {-2 * time.Second, 0}} {
		c := c
		add("PrepareTimeout", fmt.Sprintf("d=%v/count=%d", c.d, c.count),
			noErr(func(q *SQE) { q.PrepareTimeout(c.d, c.count) }),
			func(g *[8]uint64) []cRef {
				return []cRef{{which: refTimeout, addr: sqeAddr(g), off: uint64(c.count)}}
			},
			func(t *testing.T, g *[8]uint64) {
				var ts [16]byte
				cPeek(sqeAddr(g), ts[:])
				sec := int64(binary.LittleEndian.Uint64(ts[:]))
				nsec := int64(binary.LittleEndian.Uint64(ts[8:]))
				if sec != int64(c.d/time.Second) || nsec != int64(c.d%time.Second) {
					t.Errorf("timespec {%d, %d}, want %v", sec, nsec, c.d)
				}
			})
	}

	for _, fl := range []int{0, syscall.SOCK_NONBLOCK | syscall.SOCK_CLOEXEC} {
		fl := fl
		add("PrepareAccept", fmt.Sprintf("flags=%#x", fl), noErr(func(q *SQE) { q.PrepareAccept(6, fl) }),
			one(cRef{which: refAccept, fd: 6, flags: fl}), nil)
	}

	for _, c := range []struct {
		sa   syscall.Sockaddr
		want []byte // the kernel's struct sockaddr
	}{
		{&syscall.SockaddrInet4{Port: 8080, Addr: [4]byte{127, 0, 0, 1}},
			[]byte{syscall.AF_INET, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}},
		{&syscall.SockaddrInet6{Port: 443, ZoneId: 2, Addr: [16]byte{15: 1}},
			[]byte{syscall.AF_INET6, 0, 0x01, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0}},
		{&syscall.SockaddrUnix{Name: "/tmp/s"}, append([]byte{syscall.AF_UNIX, 0}, "/tmp/s\x00"...)},
	} {
		c := c
		add("PrepareConnect", fmt.Sprintf("%T", c.sa), func(q *SQE) error { return q.PrepareConnect(11, c.sa) },
			func(g *[8]uint64) []cRef {
				return []cRef{{which: refConnect, fd: 11, addr: sqeAddr(g), n: uint32(len(c.want))}}
			},
			func(t *testing.T, g *[8]uint64) {
				got := make([]byte, len(c.want))
				cPeek(sqeAddr(g), got)
				if !bytes.Equal(got, c.want) {
					t.Errorf("sockaddr % x, want % x", got, c.want)
				}
			})
	}

	for _, c := range []struct {
		p     []byte
		flags int
	}{{small, 0}, {buf, syscall.MSG_NOSIGNAL | syscall.MSG_DONTWAIT}, {nil, syscall.MSG_WAITALL}, {buf[:7], -1}} {
		c := c
		name := fmt.Sprintf("len=%d/flags=%#x", len(c.p), c.flags)
		add("PrepareSend", name, noErr(func(q *SQE) { q.PrepareSend(8, c.p, c.flags) }),
			one(cRef{which: refSend, fd: 8, addr: addrOf(c.p), n: uint32(len(c.p)), flags: c.flags}), nil)
		add("PrepareRecv", name, noErr(func(q *SQE) { q.PrepareRecv(8, c.p, c.flags) }),
			one(cRef{which: refRecv, fd: 8, addr: addrOf(c.p), n: uint32(len(c.p)), flags: c.flags}), nil)
	}

	for _, fd := range []int{0, 12, -1} {
		fd := fd
		add("PrepareClose", fmt.Sprintf("fd=%d", fd), noErr(func(q *SQE) { q.PrepareClose(fd) }),
			one(cRef{which: refClose, fd: fd}), nil)
	}

	for _, c := range []struct {
		dfd   int
		path  string
		flags int
		mode  uint32
	}{{AtFdCwd, "/etc/hostname", syscall.O_RDONLY | syscall.O_CLOEXEC, 0},
		{3, "a/b", syscall.O_WRONLY | syscall.O_CREAT | syscall.O_TRUNC, 0o644}, {AtFdCwd, "", 0, 0o7777}} {
		c := c
		add("PrepareOpenat", fmt.Sprintf("dfd=%d/%q", c.dfd, c.path),
			noErr(func(q *SQE) { q.PrepareOpenat(c.dfd, c.path, c.flags, c.mode) }),
			func(g *[8]uint64) []cRef {
				return []cRef{{which: refOpenat, fd: c.dfd, addr: sqeAddr(g), n: c.mode, flags: c.flags}}
			},
			func(t *testing.T, g *[8]uint64) {
				got := make([]byte, len(c.path)+1)
				cPeek(sqeAddr(g), got)
				if string(got) != c.path+"\x00" {
					t.Errorf("path %q, want %q NUL-terminated", got, c.path)
				}
			})
	}

	for _, c := range []struct {
		ud    uint64
		flags int
	}{{42, 0}, {1<<64 - 1, 1}, {0, 1 << 3}} {
		c := c
		add("PrepareCancel", fmt.Sprintf("ud=%#x/flags=%#x", c.ud, c.flags),
			noErr(func(q *SQE) { q.PrepareCancel(c.ud, c.flags) }),
			one(cRef{which: refCancel, addr: c.ud, flags: c.flags}), nil)
	}

	// The setters, after a prep (hoop_sqe_set_data, hoop_sqe_set_flags).
	for _, ud := range []uint64{0, 7, 1<<64 - 1} {
		ud := ud
		add("SetUserData", fmt.Sprintf("%#x", ud), noErr(func(q *SQE) { q.PrepareRead(3, small, 0); q.SetUserData(ud) }),
			func(*[8]uint64) []cRef {
				return []cRef{{which: refRead, fd: 3, addr: addrOf(small), n: uint32(len(small))}, {which: refSetData, addr: ud}}
			}, nil)
	}
	for _, fl := range []uint8{0, SQEIOLink | SQEAsync, SQEFixedFile | SQEIODrain | SQEIOHardlink | SQECQESkipSucc, 0xff} {
		fl := fl
		add("SetFlags", fmt.Sprintf("%#x", fl), noErr(func(q *SQE) { q.PrepareNop(); q.SetFlags(fl) }),
			func(*[8]uint64) []cRef { return []cRef{{which: refNop}, {which: refSetFlags, flags: int(fl)}} }, nil)
	}
	return vs
}

// TestPrepVectors: every SQE.Prepare* (and SetUserData, SetFlags) writes
// the same 64 bytes as the C function of the same operation, given the
// same arguments, whatever the ring slot held before.
func TestPrepVectors(t *testing.T) {
	vs := prepVectors()
	r := newRing(t, 128)
	if len(vs) > 128 {
		t.Fatalf("%d vectors for a 128-entry ring", len(vs))
	}
	for _, v := range vs {
		q := r.GetSQE()
		if q == nil {
			t.Fatal("GetSQE: submission queue full")
		}
		g := (*[8]uint64)(unsafe.Pointer(q.s))
		for i := range g {
			g[i] = 0xa5a5a5a5a5a5a5a5 // a stale slot
		}
		if err := v.prep(q); err != nil {
			t.Fatalf("%s %s: %v", v.method, v.name, err)
		}
		var c [8]uint64
		for i := range c {
			c[i] = 0x5a5a5a5a5a5a5a5a
		}
		for _, ref := range v.ref(g) {
			cPrepRef(ref.which, &c, ref.fd, ref.addr, ref.n, ref.off, ref.flags)
		}
		if diff := sqeDiff(g, &c); diff != "" {
			t.Errorf("%s %s: Go and C SQEs differ:%s", v.method, v.name, diff)
		}
		if v.check != nil {
			v.check(t, g)
		}
		// Never run the vector (its fds are made up): the slot becomes a
		// NOP, submitted with the others below.
		q.PrepareNop()
	}
	n, err := r.SubmitAndWait(uint32(len(vs)))
	if err != nil || n != len(vs) {
		t.Fatalf("SubmitAndWait = %d, %v; want %d", n, err, len(vs))
	}
	for range vs {
		c, err := r.WaitCQE()
		if err != nil || c.Res != 0 {
			t.Fatalf("NOP completion %+v, %v", c, err)
		}
		r.SeenCQE(c)
	}
}

// sqeDiff names the fields where the Go SQE g and the C SQE c differ.
func sqeDiff(g, c *[8]uint64) string {
	gb := unsafe.Slice((*byte)(unsafe.Pointer(g)), 64)
	cb := unsafe.Slice((*byte)(unsafe.Pointer(c)), 64)
	var sb strings.Builder
	for _, f := range sqeFields {
		if !bytes.Equal(gb[f.off:f.off+f.size], cb[f.off:f.off+f.size]) {
			fmt.Fprintf(&sb, "\n\t%s: Go % x, C % x", f.name, gb[f.off:f.off+f.size], cb[f.off:f.off+f.size])
		}
	}
	return sb.String()
}

// TestPrepVectorsCoverEveryMethod: a new SQE method without vectors fails
// here, so the two encoders cannot drift through an untested prep.
func TestPrepVectorsCoverEveryMethod(t *testing.T) {
	covered := map[string]bool{}
	for _, v := range prepVectors() {
		covered[v.method] = true
	}
	typ := reflect.TypeOf(&SQE{})
	for i := 0; i < typ.NumMethod(); i++ {
		m := typ.Method(i).Name
		if !covered[m] {
			t.Errorf("SQE.%s has no vector in prepVectors (compare it with its hoop_prep_*)", m)
		}
		delete(covered, m)
	}
	for m := range covered {
		t.Errorf("prepVectors names SQE.%s, which does not exist", m)
	}
}

package hoop

/*
#include "hoopgo.h"

// The C encoder of each SQE.Prepare* method, selected by which: the
// reference the Go preps are compared with in prep_vectors_test.go.
static void hoopgo_prep_ref(int which, struct hoop_sqe *sqe, int fd,
                            uint64_t addr, uint32_t len, uint64_t off,
                            int flags)
{
	void *p = (void *)(uintptr_t)addr;
	switch (which) {
	case 0: hoop_prep_nop(sqe); break;
	case 1: hoop_prep_read(sqe, fd, p, len, off); break;
	case 2: hoop_prep_write(sqe, fd, p, len, off); break;
	case 3: hoop_prep_readv(sqe, fd, p, len, off); break;
	case 4: hoop_prep_writev(sqe, fd, p, len, off); break;
	case 5: hoop_prep_fsync(sqe, fd, (unsigned)flags); break;
	case 6: hoop_prep_timeout(sqe, p, (unsigned)off, (unsigned)flags); break;
	case 7: hoop_prep_accept(sqe, fd, p, (socklen_t *)(uintptr_t)off, flags); break;
	case 8: hoop_prep_connect(sqe, fd, p, (socklen_t)len); break;
	case 9: hoop_prep_send(sqe, fd, p, len, flags); break;
	case 10: hoop_prep_recv(sqe, fd, p, len, flags); break;
	case 11: hoop_prep_close(sqe, fd); break;
	case 12: hoop_prep_openat(sqe, fd, p, flags, (mode_t)len); break;
	case 13: hoop_prep_cancel(sqe, addr, flags); break;
	case 14: hoop_sqe_set_data(sqe, addr); break;
	case 15: hoop_sqe_set_flags(sqe, (unsigned)flags); break;
	}
}

// Copies n bytes at address addr: what a prepared SQE points to.
static void hoopgo_peek(uint64_t addr, void *dst, size_t n)
{
	memcpy(dst, (const void *)(uintptr_t)addr, n);
}
*/
import "C"

import "unsafe"

// The C encoders cPrepRef calls: the hoop_prep_* function of each
// SQE.Prepare* method, and the two SQE field setters.
const (
	refNop = iota
	refRead
	refWrite
	refReadv
	refWritev
	refFsync
	refTimeout
	refAccept
	refConnect
	refSend
	refRecv
	refClose
	refOpenat
	refCancel
	refSetData
	refSetFlags
)

// cPrepRef runs the C encoder which on the 64 bytes at sqe with the given
// arguments (pointers as addresses; for refTimeout off is the count, for
// refAccept off is the socklen_t pointer, for refOpenat len is the mode).
// Only for the tests (test files cannot use cgo): the shared test vectors
// of prep_vectors_test.go check that every SQE.Prepare*, which fills the
// SQE in Go, writes the same 64 bytes as its hoop_prep_* function.
func cPrepRef(which int, sqe *[8]uint64, fd int, addr uint64, n uint32, off uint64, flags int) {
	C.hoopgo_prep_ref(C.int(which), (*C.struct_hoop_sqe)(unsafe.Pointer(sqe)), C.int(fd),
		C.uint64_t(addr), C.uint32_t(n), C.uint64_t(off), C.int(flags))
}

// cPeek copies len(dst) bytes from address addr (memory a prepared SQE
// points to, pinned until the ring is closed) into dst. Only for the tests.
func cPeek(addr uint64, dst []byte) {
	if len(dst) > 0 {
		C.hoopgo_peek(C.uint64_t(addr), unsafe.Pointer(&dst[0]), C.size_t(len(dst)))
	}
}

/*
 * core/asan_check.c - the AddressSanitizer buffer check (see asan_check.h).
 * Only sanitizer builds compile the body.
 */
#include "asan_check.h"

#ifdef HOOP_ASAN_CHECK
#include "ring_internal.h"

#include <sanitizer/asan_interface.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hoop/register.h"

/*
 * ASan calls an address poisoned for two different reasons: it belongs to a
 * heap block, stack frame or global that is freed, out of scope or out of
 * bounds (a bug the kernel would turn into silent corruption), or it is
 * outside the memory ASan tracks at all (a wild pointer: the kernel fails
 * the operation with -EFAULT, which tests of bad input rely on). Only the
 * first kind is reported.
 */
static int is_tracked(const void *p)
{
	char name[8];
	void *region;
	size_t size;
	const char *kind = __asan_locate_address((void *)p, name, sizeof(name),
	                                         &region, &size);
	return kind && (strcmp(kind, "heap") == 0 || strcmp(kind, "stack") == 0 ||
	                strcmp(kind, "global") == 0);
}

__attribute__((noinline)) static void report(const struct hoop_sqe *sqe,
                                             const char *what, uint64_t addr,
                                             uint64_t len, const void *bad,
                                             int is_write)
{
	fprintf(stderr,
	        "hoop ASan buffer check: a %s SQE (user_data 0x%llx) is being "
	        "submitted with its %s [0x%llx, +%llu) not addressable at %p: "
	        "the kernel would %s freed or out-of-bounds memory. The "
	        "submitting call is in the stack below.\n",
	        hoop_opcode_name(sqe->opcode), (unsigned long long)sqe->user_data,
	        what, (unsigned long long)addr, (unsigned long long)len, bad,
	        is_write ? "write into" : "read from");
	/* pc and bp of this frame: ASan unwinds from here through the
	 * submitting call, then describes the address (where it was freed). */
	__asan_report_error(__builtin_return_address(0),
	                    __builtin_frame_address(0), (void *)&sqe,
	                    (void *)bad, is_write, 1);
	__builtin_trap(); /* not reached unless halt_on_error=0 */
}

static void check(const struct hoop_sqe *sqe, const char *what, uint64_t addr,
                  uint64_t len, int is_write)
{
	if (!addr || !len)
		return;
	void *bad = __asan_region_is_poisoned((void *)(uintptr_t)addr, len);
	if (bad && is_tracked(bad))
		report(sqe, what, addr, len, bad, is_write);
}

/*
 * Copy n bytes of the submitter's memory at `src`, or fail if any of it is
 * not mapped. The kernel reads these structures itself and reports -EFAULT
 * for a wild pointer, so this check must not fault on one either (found by
 * tests/fuzz: a raw SQE's msghdr pointer 0x40). process_vm_readv on our own
 * pid is a copy that fails with EFAULT instead of SIGSEGV.
 */
static int safe_copy(void *dst, uint64_t src, size_t n)
{
	struct iovec l = {dst, n}, r = {(void *)(uintptr_t)src, n};
	return process_vm_readv(getpid(), &l, 1, &r, 1, 0) == (ssize_t)n ? 0 : -1;
}

/* An iovec array and the buffers it names; the array itself is read. */
static void check_iov(const struct hoop_sqe *sqe, uint64_t addr, uint64_t nr,
                      int is_write)
{
	uint64_t bytes = nr * sizeof(struct iovec);
	if (!addr || !nr || nr > 1024)
		return; /* the kernel refuses more than UIO_MAXIOV: -EINVAL */
	void *bad = __asan_region_is_poisoned((void *)(uintptr_t)addr, bytes);
	if (bad) {
		if (is_tracked(bad))
			report(sqe, "iovec array", addr, bytes, bad, 0);
		return; /* wild: -EFAULT, and not ours to read */
	}
	for (uint64_t i = 0; i < nr; i++) {
		struct iovec v;
		if (safe_copy(&v, addr + i * sizeof(v), sizeof(v)) < 0)
			return; /* unmapped: the kernel says -EFAULT */
		check(sqe, "iovec buffer", (uint64_t)(uintptr_t)v.iov_base,
		      v.iov_len, is_write);
	}
}

static void check_msg(const struct hoop_sqe *sqe, int is_write)
{
	struct msghdr m;
	if (!sqe->addr)
		return;
	void *bad = __asan_region_is_poisoned((void *)(uintptr_t)sqe->addr,
	                                      sizeof(m));
	if (bad) {
		if (is_tracked(bad))
			report(sqe, "msghdr", sqe->addr, sizeof(m), bad, 0);
		return;
	}
	if (safe_copy(&m, sqe->addr, sizeof(m)) < 0)
		return;
	check(sqe, "msg_name", (uint64_t)(uintptr_t)m.msg_name, m.msg_namelen,
	      is_write);
	check(sqe, "msg_control", (uint64_t)(uintptr_t)m.msg_control,
	      m.msg_controllen, is_write);
	if (!(sqe->flags & HOOP_SQE_BUFFER_SELECT))
		check_iov(sqe, (uint64_t)(uintptr_t)m.msg_iov, m.msg_iovlen,
		          is_write);
}

static void check_sqe(const struct hoop_sqe *sqe)
{
	/* Buffer-select operations name a buffer group, not a buffer. */
	int bsel = (sqe->flags & HOOP_SQE_BUFFER_SELECT) != 0;
	switch (sqe->opcode) {
	case HOOP_OP_READ:
	case HOOP_OP_RECV:
		if (!bsel)
			check(sqe, "buffer", sqe->addr, sqe->len, 1);
		break;
	case HOOP_OP_READ_FIXED:
		check(sqe, "buffer", sqe->addr, sqe->len, 1);
		break;
	case HOOP_OP_WRITE:
	case HOOP_OP_WRITE_FIXED:
	case HOOP_OP_SEND:
	case HOOP_OP_SEND_ZC:
		check(sqe, "buffer", sqe->addr, sqe->len, 0);
		break;
	case HOOP_OP_READV:
		if (!bsel)
			check_iov(sqe, sqe->addr, sqe->len, 1);
		break;
	case HOOP_OP_WRITEV:
		check_iov(sqe, sqe->addr, sqe->len, 0);
		break;
	case HOOP_OP_READV_FIXED:
		check_iov(sqe, sqe->addr, sqe->len, 1);
		break;
	case HOOP_OP_WRITEV_FIXED:
		check_iov(sqe, sqe->addr, sqe->len, 0);
		break;
	case HOOP_OP_RECVMSG:
		check_msg(sqe, 1);
		break;
	case HOOP_OP_SENDMSG:
	case HOOP_OP_SENDMSG_ZC:
		check_msg(sqe, 0);
		break;
	case HOOP_OP_TIMEOUT:
	case HOOP_OP_LINK_TIMEOUT:
		/* The kernel reads the timespec when it takes the SQE. */
		check(sqe, "timespec", sqe->addr, sizeof(struct hoop_timespec), 0);
		break;
	default:
		break;
	}
}

void hoop__asan_check_sqes(const struct hoop_ring *r, unsigned head, unsigned tail)
{
	for (unsigned i = head; i != tail; i++)
		check_sqe(&r->sqes[(i & r->sq_mask) << r->sqe_shift]);
}

void hoop__asan_check_sqe(const struct hoop_sqe *sqe) { check_sqe(sqe); }
#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int hoop_asan_check_unused;
#endif

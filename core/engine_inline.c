/*
 * core/engine_inline.c - the engine's inline fast path: reads and writes the
 * page cache can serve at once, done in the submitting thread (engine.c
 * delivers their results).
 */
#include "asan_check.h"
#include "engine_internal.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/*
 * A read or write that the page cache can serve at once completes in the
 * submitting thread: preadv2/pwritev2 with RWF_NOWAIT either moves every
 * byte without blocking or fails (EAGAIN: it would have to wait for the
 * disk, a lock or writeback). Only then is the op's result its byte count,
 * the same number the ring would report. Anything else (EAGAIN, an error,
 * a short count at EOF, ESPIPE from a pipe or socket, whose offset io_uring
 * ignores) leaves the op to the ring or the pool as if never tried; a
 * partial transfer is harmless to redo, since the offset is explicit and
 * appends (O_APPEND files, RWF_APPEND ops) are excluded.
 *
 * Candidates: READ, WRITE, READV, WRITEV alone (not in a link chain), with
 * no SQE flags (no registered file, no buffer select, no drain), no
 * personality or ioprio, no RWF_APPEND, and an explicit offset (-1, the
 * file position, is left to the ring). F_GETFL excludes O_DIRECT (the call would wait for the
 * device in this thread) and O_APPEND.
 *
 * F_GETFL is a system call of its own, a third of a cached 4 KiB pread's
 * cost. For READ and READV, each thread remembers the flags of the last
 * few descriptors it read and asks again every FL_CACHE_READS reads of
 * one (fl_for_read). The verdict can go stale only through the
 * application: a descriptor switched to O_DIRECT with F_SETFL, or closed
 * and its number reused for an O_DIRECT file, may still be read inline a
 * few times (up to FL_CACHE_READS, per thread): the same result, but the
 * submitting thread waits for the device. Writes ask every time: a stale
 * O_APPEND would make a retried short write append twice.
 */
static inline __attribute__((always_inline)) bool
inline_candidate(const struct hoop_op *op)
{
	if (op->sqe_flags || op->personality || op->ioprio || op->off == UINT64_MAX)
		return false;
	/* RWF_APPEND as O_APPEND: a short write would be appended again
	 * whole by the ring's retry. */
	if (op->op_flags & RWF_APPEND)
		return false;
	return op->opcode == HOOP_OP_READ || op->opcode == HOOP_OP_WRITE ||
	       op->opcode == HOOP_OP_READV || op->opcode == HOOP_OP_WRITEV;
}

#ifdef HOOP_ASAN_CHECK
/*
 * Sanitizer builds: the same buffer check hoop__ring_flush_sq runs on every
 * SQE it publishes, for an op done inline (which never becomes an SQE):
 * the op, laid out like an SQE.
 */
static void asan_check_op(const struct hoop_op *op)
{
	struct hoop_sqe sqe;
	memcpy(&sqe, op, sizeof(sqe));
	HOOP_ASAN_CHECK_SQE(&sqe);
}
#else
#define asan_check_op(op) ((void)0)
#endif

/* The op's result if it completed inline, else -1 (nothing happened that
 * the ring's attempt would not repeat identically). */
static inline __attribute__((always_inline)) int32_t
try_inline(const struct hoop_op *op, int fl)
{
	if (fl < 0 || (fl & (O_DIRECT | O_APPEND)))
		return -1;
	asan_check_op(op);
	struct iovec one;
	const struct iovec *iov = &one;
	int nr = 1;
	size_t want = op->len;
	if (op->opcode == HOOP_OP_READ || op->opcode == HOOP_OP_WRITE) {
		one.iov_base = (void *)(uintptr_t)op->addr;
		one.iov_len = op->len;
		if (want > INT32_MAX)
			return -1;
	} else {
		/* The caller's iovec array: not read here before the kernel
		 * has read it (an unmapped one must give -EFAULT, from the
		 * ring, not SIGSEGV). */
		iov = (const struct iovec *)(uintptr_t)op->addr;
		nr = (int)op->len;
		if (!iov || nr < 1 || nr > 1024)
			return -1;
	}
	/*
	 * The system call itself, not libc's preadv2/pwritev2: those are
	 * cancellation points, which costs more user-space instructions than
	 * the rest of a cached read's path; with RWF_NOWAIT the call never
	 * blocks, so it need not be one. The offset goes as the kernel's
	 * low and high words (the high one is ignored on 64-bit).
	 */
	int rwf = (int)op->op_flags | RWF_NOWAIT;
	long lo = (long)op->off, hi = (long)(op->off >> 16 >> 16);
	long r = syscall((op->opcode == HOOP_OP_READ || op->opcode == HOOP_OP_READV)
	                         ? SYS_preadv2
	                         : SYS_pwritev2,
	                 (long)op->fd, iov, (long)nr, lo, hi, (long)rwf);
	if (r < 0)
		return -1; /* EFAULT included: the ring reports it */
	if (iov != &one) {
		/* The kernel has just copied the whole array: it is mapped
		 * (only the caller could unmap it, during its own submit). */
		want = 0;
		for (int i = 0; i < nr; i++)
			want += iov[i].iov_len;
	}
	return ((size_t)r == want && want <= INT32_MAX) ? (int32_t)r : -1;
}

#define FL_CACHE_SIZE 8u   /* descriptors remembered per thread */
#define FL_CACHE_READS 32u /* reads between two F_GETFL of one */

struct fl_entry {
	int fd;        /* the descriptor (valid while left > 0) */
	int fl;        /* its F_GETFL */
	unsigned left; /* reads that may still use fl; 0: empty */
};

static _Thread_local struct fl_entry fl_cache[FL_CACHE_SIZE];

/* F_GETFL of fd for a read, from this thread's cache when fresh. */
static inline __attribute__((always_inline)) int fl_for_read(int fd)
{
	struct fl_entry *c = &fl_cache[(unsigned)fd % FL_CACHE_SIZE];
	if (c->left && c->fd == fd) {
		c->left--;
		return c->fl;
	}
	int fl = fcntl(fd, F_GETFL);
	c->fd = fd;
	c->fl = fl;
	c->left = fl < 0 ? 0 : FL_CACHE_READS - 1;
	return fl;
}

static bool op_is_read(const struct hoop_op *op)
{
	return op->opcode == HOOP_OP_READ || op->opcode == HOOP_OP_READV;
}

int32_t hoop__inline_one(const struct hoop_op *op)
{
	if (!inline_candidate(op))
		return -1;
	int fl = op_is_read(op) ? fl_for_read(op->fd) : fcntl(op->fd, F_GETFL);
	return try_inline(op, fl);
}

/*
 * Try the inline path on each candidate of a call: res[i] gets the result
 * of op i if it completed, else -1. Writes only in a call of one op: in a
 * longer call, the rest could still fail as a whole (the call then reports
 * an error and must have had no effect; a read done for nothing is
 * harmless, a write is not). Returns how many completed.
 */
unsigned hoop__inline_try(const struct hoop_op *ops, unsigned n, int32_t *res)
{
	unsigned k = 0;
	bool prev_linked = false;
	int fd = -1, fl = -1; /* F_GETFL once per run of ops on one fd */
	for (unsigned i = 0; i < n; i++) {
		const struct hoop_op *op = &ops[i];
		bool cand = !prev_linked && inline_candidate(op) &&
		            (n == 1 || op_is_read(op));
		prev_linked = (op->sqe_flags &
		               (HOOP_SQE_IO_LINK | HOOP_SQE_IO_HARDLINK)) != 0;
		if (cand && (fd != op->fd || fl < 0)) {
			fd = op->fd;
			/* A write is a candidate only alone in its call: it
			 * always gets a fresh F_GETFL. */
			fl = op_is_read(op) ? fl_for_read(fd) : fcntl(fd, F_GETFL);
		}
		res[i] = cand ? try_inline(op, fl) : -1;
		k += res[i] >= 0;
	}
	return k;
}

/* cell_fl_for_read's miss: ask, and remember in way k. */
__attribute__((noinline)) static int cell_fl_fetch(struct hoop_cell *c,
                                                   unsigned k, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	c->fl_fd[k] = fd;
	c->fl[k] = fl;
	c->fl_left[k] = fl < 0 ? 0 : FL_CACHE_READS - 1;
	return fl;
}

/*
 * A read's F_GETFL from cell c, which remembers the last descriptor of each
 * parity for FL_CACHE_READS reads (fl_for_read's rule, per cell instead of
 * per thread: no thread-local lookup). Only the cell's BUSY owner is here.
 */
static inline __attribute__((always_inline)) int
cell_fl_for_read(struct hoop_cell *c, int fd)
{
	unsigned k = (unsigned)fd % CELL_FL_WAYS;
	if (c->fl_left[k] && c->fl_fd[k] == fd) {
		c->fl_left[k]--;
		return c->fl[k];
	}
	return cell_fl_fetch(c, k, fd);
}

/*
 * preadv2(fd, iov, 1, off, RWF_NOWAIT | rwf) as a system call of its own:
 * the result, or -errno. On x86-64 the instruction itself (libc's
 * syscall() costs a call and six register moves more per read).
 */
static inline __attribute__((always_inline)) long
raw_preadv2(int fd, const struct iovec *iov, uint64_t off, int rwf)
{
#if defined(__x86_64__)
	register long r10 __asm__("r10") = (long)off;
	register long r8 __asm__("r8") = 0; /* the offset's high word */
	register long r9 __asm__("r9") = (long)rwf;
	long ret;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "0"((long)SYS_preadv2), "D"((long)fd), "S"(iov),
	                   "d"(1L), "r"(r10), "r"(r8), "r"(r9)
	                 : "rcx", "r11", "memory");
	return ret;
#else
	long r = syscall(SYS_preadv2, (long)fd, iov, 1L, (long)off,
	                 (long)(off >> 16 >> 16), (long)rwf);
	return r < 0 ? -1 : r;
#endif
}

/* Take the calling thread's cell: false if it is in use. */
static inline __attribute__((always_inline)) bool
cell_take(hoop_engine *e, struct hoop_cell **cp, uint64_t *wp)
{
	struct hoop_cell *c = &e->cells[hoop__cell_pick()];
	uint64_t w = atomic_load_explicit(&c->word, memory_order_relaxed);
	/*
	 * Taking the cell also counts the call for destroy (it waits while a
	 * cell is BUSY), from before the engine is looked at to the end:
	 * seq_cst, against destroy's store of closing then its look at the
	 * cells (the callers' count rule). Acquire: the last owner's reads
	 * of the fields come before our writes.
	 */
	if ((w & CELL_STATE_MASK) != CELL_FREE ||
	    !atomic_compare_exchange_strong_explicit(&c->word, &w, w | CELL_BUSY,
	                                             memory_order_seq_cst,
	                                             memory_order_relaxed))
		return false;
	*cp = c;
	*wp = w;
	return true;
}

/* Leave op's result res in cell c (BUSY since word w): its token. */
static inline __attribute__((always_inline)) uint64_t
cell_hold(struct hoop_cell *c, uint64_t w, int32_t res, const struct hoop_op *op)
{
	c->res = res;
	c->user_data = op->user_data;
	/* Counted before the result is visible (as every delivery): metrics
	 * read after the wait include it. */
	atomic_store_explicit(
	        &c->inline_ops,
	        atomic_load_explicit(&c->inline_ops, memory_order_relaxed) + 1,
	        memory_order_relaxed);
	w += CELL_GEN_ONE;
	/* Release: the result is complete for whoever sees HELD. */
	atomic_store_explicit(&c->word, w | CELL_HELD, memory_order_release);
	return w;
}

/*
 * Not done inline in cell c (BUSY since word w): err, or the slot path's
 * answer without a second attempt; the cell stays taken (the call counted
 * for destroy) until then.
 */
__attribute__((noinline, cold)) static int
cell_not_inline(hoop_engine *e, struct hoop_cell *c, uint64_t w,
                const struct hoop_op *op, uint64_t *token, unsigned flags, int err)
{
	if (err == 0)
		err = hoop__engine_submit_one(e, op, token, flags, true);
	atomic_store_explicit(&c->word, w, memory_order_release);
	return err;
}

/* The other candidates (WRITE, READV, WRITEV and unusual READs). */
__attribute__((noinline)) static int submit1_other(hoop_engine *e,
                                                   const struct hoop_op *op,
                                                   uint64_t *token, unsigned flags)
{
	struct hoop_cell *c;
	uint64_t w;
	if (!inline_candidate(op) || !cell_take(e, &c, &w))
		return hoop__engine_submit_one(e, op, token, flags, false);
	int err = hoop__engine_check_inline(e);
	if (err < 0)
		return cell_not_inline(e, c, w, op, token, flags, err);
	int32_t res = try_inline(op, op_is_read(op) ? cell_fl_for_read(c, op->fd)
	                                            : fcntl(op->fd, F_GETFL));
	if (res < 0)
		return cell_not_inline(e, c, w, op, token, flags, 0);
	*token = cell_hold(c, w, res, op);
	return 1;
}

/* A plain READ: no SQE flags, ioprio or personality, an explicit offset,
 * no RWF_APPEND, a length the result can carry (inline_candidate's rule
 * for this case, the first three in one compare where it can). */
static inline __attribute__((always_inline)) bool plain_read(const struct hoop_op *op)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t head; /* opcode, sqe_flags, ioprio */
	memcpy(&head, op, sizeof(head));
	if (head != HOOP_OP_READ)
		return false;
#else
	if (op->opcode != HOOP_OP_READ || op->sqe_flags || op->ioprio)
		return false;
#endif
	return !op->personality && op->off != UINT64_MAX &&
	       !(op->op_flags & RWF_APPEND) && op->len <= INT32_MAX;
}

int hoop__inline_submit1(hoop_engine *e, const struct hoop_op *op,
                         uint64_t *token, unsigned flags)
{
	struct hoop_cell *c;
	uint64_t w;
	if (!plain_read(op)) {
		/* Not a read or write: the slot path at once (through
		 * submit1_other a one-op NOP round trip cost 60 instructions
		 * more). */
		if (!inline_candidate(op))
			return hoop__engine_submit_one(e, op, token, flags, false);
		return submit1_other(e, op, token, flags);
	}
	if (!cell_take(e, &c, &w))
		return hoop__engine_submit_one(e, op, token, flags, false);
	int err = hoop__engine_check_inline(e);
	if (err < 0)
		return cell_not_inline(e, c, w, op, token, flags, err);
	int fd = op->fd;
	int fl = cell_fl_for_read(c, fd);
	if (fl < 0 || (fl & (O_DIRECT | O_APPEND)))
		return cell_not_inline(e, c, w, op, token, flags, 0);
	asan_check_op(op);
	struct iovec one = {(void *)(uintptr_t)op->addr, op->len};
	long r = raw_preadv2(fd, &one, op->off, (int)op->op_flags | RWF_NOWAIT);
	if (r != (long)op->len)
		return cell_not_inline(e, c, w, op, token, flags, 0);
	*token = cell_hold(c, w, (int32_t)r, op);
	return 1;
}

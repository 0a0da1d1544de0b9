/*
 * core/files.c - hoop_read_files: many whole files read through an engine.
 *
 * Each file in flight owns a "slot": a direct-descriptor index (when the
 * call could register a file table on the engine's ring) or an ordinary
 * descriptor, and a slab of four size_guess of the result memory into
 * which the first read goes in place (the result is then where it was
 * read, and the slab moves on; less than a guess left, the slot takes a
 * new slab). Its steps are engine operations collected on one hoop_queue:
 *
 *   direct:   [openat(slot) > read(buf) >> read(tail)] then [close(slot)]
 *   ordinary: [openat] then [read(buf) >> read(tail)] then [close(fd)]
 *   FIFO the calling thread opened: [poll(POLLIN) >> read >> read] then
 *             [close(fd)]
 *
 * (">" IO_LINK, ">>" IO_HARDLINK: a short or failed read, such as EISDIR,
 * must not cancel the next.) Both reads use the file position (offset
 * -1), so the tail read continues where the first stopped: it returns 0
 * when the first read reached the end, which is the usual case, and the
 * file is done once closed. When it returns data the file is larger than
 * the guess (or grew): what was read moves to a "long" buffer that grows,
 * and the same descriptor is read on, one read per round until a read
 * returns 0, then closed. Every result is the product of one open and one
 * pass of reads, as a read loop's is, and no byte of a stream (a FIFO, a
 * character device) is read twice or lost.
 *
 * With 32 paths or more on an io_uring engine, the same operations go to
 * a ring the call makes for itself and drives from the calling thread
 * (rf_ring_open, ring_put, ring_wait): one enter per round submits and
 * waits, and no other thread takes part. The thread-pool backend serves
 * the same operations (no direct descriptors there). Nothing here touches the engine's internals beyond
 * reading its ring, SQ size and pool mask to choose the mode.
 */
#include "engine_internal.h"
#include "hoop/files.h"
#include "hoop/prep.h"
#include "hoop/register.h"
#include "hoop/ring.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#define RF_DEFAULT_OPEN 64u
#define RF_DEFAULT_GUESS (64u * 1024u)
#define RF_DEFAULT_MEMORY (16ull << 20)
#define RF_MAX_READ (1u << 30)   /* one read's length (op len is 32 bits) */
#define RF_MAX_GUESS (16u << 20) /* larger files are read on in long mode */
#define RF_TAIL 8u
#define RF_CHUNK (1u << 20) /* results are packed into blocks this large */
#define RF_OPS 4u           /* most operations a slot has outstanding */
#define RF_RING_MIN 32u     /* fewer paths: the engine's ring (no setup) */
#define RF_FAST_SLACK 2u    /* misses the calling thread's pass forgives */

_Static_assert(sizeof(struct hoop_file_data) == 24, "fixed layout");
_Static_assert(sizeof(hoop_read_files_params) == 48, "fixed size");

/* Completion kinds, the low bits of an op's user_data. */
enum { K_OPEN = 0, K_READ1 = 1, K_READ2 = 2, K_CLOSE = 3, K_POLL = 4, K_N };
#define K_BITS 3u

enum rf_phase {
	PH_FREE = 0,
	PH_OPEN,      /* ordinary: the open alone */
	PH_SHORT,     /* the chain with the two reads */
	PH_LONG_READ, /* long mode: one read */
	PH_CLOSE,     /* the close alone, then the outcome */
};

struct rf_slot {
	size_t path;
	int fd; /* ordinary descriptor, -1 with direct ones */
	uint8_t phase;
	bool is_open; /* a descriptor (or direct slot) is installed */
	bool plain;   /* fd came from the calling thread's pass: an ordinary
	                 descriptor even in a call with direct ones */
	unsigned pending;
	int32_t res[K_N]; /* by kind */
	int32_t err;      /* the file's error, 0 if none */
	char *slab;       /* where the next first read goes: results are read */
	size_t slab_left; /* in place, into the slot's part of a block */
	char *lbuf;       /* long mode: the result being built */
	size_t llen, lcap;
	char tail[RF_TAIL];
};

/* A path for the ring, with the descriptor the calling thread opened, or -1. */
struct rf_todo {
	size_t path;
	int fd;
};

struct rf_block {
	void *p;
	size_t mapped; /* bytes mapped with mmap, 0: from malloc */
};

struct hoop_files {
	struct rf_block *blocks;
	size_t nblocks, cap;
	char *cur; /* free space in the newest packing block */
	size_t left;
};

struct rf_call {
	hoop_engine *e;
	hoop_queue *q;
	hoop_ring *ring;   /* a private ring this call drives, or NULL */
	unsigned ring_out; /* its operations submitted, not completed */
	int dirfd;
	bool direct;
	bool pool;      /* the engine is the thread pool */
	uint64_t *toks; /* pool: tokens submitted, not yet collected */
	unsigned ntoks;
	unsigned ncpu; /* pool: jobs per round */
	uint8_t *step; /* ops[i] starts a step */
	const char *const *paths;
	struct hoop_file_data *out;
	hoop_files *mem;
	struct rf_slot *slots;
	unsigned nslots, active, limit;
	unsigned *free_stack, nfree;
	size_t *retry, nretry; /* paths put back after EMFILE / ENFILE */
	size_t n;              /* paths */
	struct rf_todo *todo;  /* the paths left to the ring, those with a
	                         descriptor first */
	size_t ntodo, nheld;
	unsigned hold_max; /* descriptors the pass may hand on */
	size_t next;       /* next of todo[] never started */
	size_t done;
	size_t ndata; /* files with contents */
	uint32_t guess;
	size_t slab; /* bytes a slot takes for its first reads */
	int fatal;   /* an engine error: stop submitting */
	/* This round's operations, submitted together: one enter, and the
	 * engine thread is not woken for what completes inside it. */
	struct hoop_op *ops;
	unsigned nops, ops_cap;
};

/*
 * Freed result blocks kept for the next call: a block fresh from mmap costs
 * a page clear and a memory-cgroup charge per 4 KiB, as much as reading a
 * small file, and a batch of small files fills many. At most RF_CACHE
 * blocks (RF_CACHE MiB) are kept for the life of the process. The lock is
 * only ever tried: a busy cache (or one a fork left locked) is skipped.
 */
#define RF_CACHE 32u
static atomic_flag cache_lock = ATOMIC_FLAG_INIT;
static void *cache[RF_CACHE];
static unsigned ncache;

static void *chunk_get(void)
{
	void *p = NULL;
	if (!atomic_flag_test_and_set_explicit(&cache_lock, memory_order_acquire)) {
		if (ncache)
			p = cache[--ncache];
		atomic_flag_clear_explicit(&cache_lock, memory_order_release);
	}
	if (p)
		return p;
	p = mmap(NULL, RF_CHUNK, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void chunk_put(void *p)
{
	if (!atomic_flag_test_and_set_explicit(&cache_lock, memory_order_acquire)) {
		bool kept = ncache < RF_CACHE;
		if (kept)
			cache[ncache++] = p;
		atomic_flag_clear_explicit(&cache_lock, memory_order_release);
		if (kept)
			return;
	}
	munmap(p, RF_CHUNK);
}

void hoop_files_free(hoop_files *mem)
{
	if (!mem)
		return;
	for (size_t i = 0; i < mem->nblocks; i++) {
		if (mem->blocks[i].mapped)
			chunk_put(mem->blocks[i].p);
		else
			free(mem->blocks[i].p);
	}
	free(mem->blocks);
	free(mem);
}

/* Take ownership of block `p` (freed by hoop_files_free). */
static int mem_keep(hoop_files *mem, void *p, size_t mapped)
{
	if (mem->nblocks == mem->cap) {
		size_t ncap = mem->cap ? mem->cap * 2 : 16;
		struct rf_block *nb = realloc(mem->blocks, ncap * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		mem->blocks = nb;
		mem->cap = ncap;
	}
	mem->blocks[mem->nblocks].p = p;
	mem->blocks[mem->nblocks].mapped = mapped;
	mem->nblocks++;
	return 0;
}

/* Room for len bytes of results: small ones packed, large ones alone. */
static char *mem_alloc(hoop_files *mem, size_t len)
{
	if (len > RF_CHUNK / 4) {
		char *p = malloc(len);
		if (p && mem_keep(mem, p, 0) < 0) {
			free(p);
			return NULL;
		}
		return p;
	}
	if (mem->left < len) {
		/*
		 * Mapped with its pages in place: the copies below would
		 * otherwise take a page fault every 4 KiB, which costs about
		 * as much as the copy of a small file itself.
		 */
		char *p = chunk_get();
		if (!p)
			return NULL;
		if (mem_keep(mem, p, RF_CHUNK) < 0) {
			chunk_put(p);
			return NULL;
		}
		mem->cur = p;
		mem->left = RF_CHUNK;
	}
	char *p = mem->cur;
	mem->cur += len;
	mem->left -= len;
	return p;
}

static uint64_t ud(const struct rf_call *c, const struct rf_slot *s, int kind)
{
	return ((uint64_t)(s - c->slots) << K_BITS) | (uint64_t)kind;
}

static void op_open(const struct rf_call *c, const struct rf_slot *s,
                    struct hoop_op *op)
{
	memset(op, 0, sizeof(*op));
	op->opcode = HOOP_OP_OPENAT;
	op->fd = c->dirfd;
	op->addr = (uint64_t)(uintptr_t)c->paths[s->path];
	if (c->direct) {
		/* The kernel refuses O_CLOEXEC with a direct slot (there is no
		 * descriptor to inherit). */
		op->op_flags = O_RDONLY;
		op->file_index = (int32_t)(s - c->slots) + 1;
	} else {
		op->op_flags = O_RDONLY | O_CLOEXEC;
	}
	op->user_data = ud(c, s, K_OPEN);
}

static void op_read(const struct rf_call *c, const struct rf_slot *s,
                    struct hoop_op *op, void *buf, uint32_t len, int kind)
{
	memset(op, 0, sizeof(*op));
	op->opcode = HOOP_OP_READ;
	if (c->direct && !s->plain) {
		op->fd = (int32_t)(s - c->slots);
		op->sqe_flags = HOOP_SQE_FIXED_FILE;
	} else {
		op->fd = s->fd;
	}
	op->addr = (uint64_t)(uintptr_t)buf;
	op->len = len;
	op->off = UINT64_MAX; /* the file position: consecutive reads follow on */
	op->user_data = ud(c, s, kind);
}

static void op_close(const struct rf_call *c, const struct rf_slot *s,
                     struct hoop_op *op)
{
	memset(op, 0, sizeof(*op));
	op->opcode = HOOP_OP_CLOSE;
	if (c->direct && !s->plain)
		op->file_index = (int32_t)(s - c->slots) + 1; /* fd must be 0 */
	else
		op->fd = s->fd;
	op->user_data = ud(c, s, K_CLOSE);
}

/*
 * The round's operations as SQEs of the private ring (submitted by the
 * next ring_wait, in one enter with the wait). The SQ holds every
 * operation the slots can have outstanding, so there is always room.
 */
static int ring_put(struct rf_call *c)
{
	for (unsigned i = 0; i < c->nops; i++) {
		const struct hoop_op *op = &c->ops[i];
		struct hoop_sqe *q = hoop_ring_get_sqe(c->ring);
		if (!q) /* not expected (see above): make room */
			while (hoop_ring_submit(c->ring) == -EINTR)
				;
		if (!q && !(q = hoop_ring_get_sqe(c->ring)))
			return -EBUSY;
		if (op->opcode == HOOP_OP_OPENAT)
			hoop_prep_openat_direct(q, op->fd,
			                        (const char *)(uintptr_t)op->addr,
			                        (int)op->op_flags, 0,
			                        (unsigned)op->file_index - 1);
		else if (op->opcode == HOOP_OP_READ)
			hoop_prep_read(q, op->fd, (void *)(uintptr_t)op->addr,
			               op->len, op->off);
		else if (op->opcode == HOOP_OP_POLL_ADD)
			hoop_prep_poll_add(q, op->fd, POLLIN); /* the only one */
		else if (op->file_index)
			hoop_prep_close_direct(q, (unsigned)op->file_index - 1);
		else
			hoop_prep_close(q, op->fd);
		q->flags = op->sqe_flags;
		q->user_data = op->user_data;
		c->ring_out++;
	}
	c->nops = 0;
	return 0;
}

/*
 * How many completions to wait for. One would return after the first of a
 * round's chains is done, while the kernel still runs the others' later
 * steps: an enter for a few files each. Half of what is in flight gives
 * rounds of many files, and still keeps half of them in flight while a
 * slow one (a cold read) is waited for.
 */
static unsigned rf_wait_nr(const struct rf_call *c)
{
	unsigned want = c->ring_out / 2;
	return want ? want : 1;
}

/*
 * Submit what ring_put queued and wait for at least one completion, in
 * one enter; then take every completion there is. Returns how many were
 * put in cq[], or -errno.
 */
static int ring_wait(struct rf_call *c, struct hoop_completion *cq, unsigned max)
{
	int r;
	do
		r = hoop_ring_submit_and_wait(c->ring, rf_wait_nr(c));
	while (r == -EINTR);
	/* EBUSY, EAGAIN: the kernel wants completions taken first; the
	 * next call submits what is left. */
	if (r < 0 && r != -EBUSY && r != -EAGAIN)
		return r;
	struct hoop_cqe *cqe;
	unsigned n = 0;
	while (n < max && hoop_ring_peek_cqe(c->ring, &cqe) == 0) {
		cq[n].user_data = cqe->user_data;
		cq[n].token = 0;
		cq[n].res = cqe->res;
		cq[n].flags = cqe->flags;
		hoop_ring_cqe_seen(c->ring, cqe);
		n++;
	}
	c->ring_out -= n;
	return (int)n;
}

/* Submit the round's operations (whole chains) in one call. */
static int flush_ops(struct rf_call *c)
{
	if (!c->nops)
		return 0;
	if (c->pool) {
		/*
		 * The pool runs each unlinked op, or each chain, as a job of
		 * its own, and starts a worker for every job waiting: dozens
		 * of threads on a few CPUs, and a wake-up per step. Hard-linked
		 * into one chain, the round is one job (no step's failure stops
		 * the next), and its results are collected together: by waiting
		 * on its last token, which wakes this thread once, where a queue
		 * would wake it for every result (see collect_pool).
		 */
		for (unsigned i = 0; i + 1 < c->nops; i++)
			c->ops[i].sqe_flags |= HOOP_SQE_IO_LINK |
			                       HOOP_SQE_IO_HARDLINK;
	}
	int r = 0;
	if (c->ring)
		return ring_put(c);
	if (c->pool) {
		/* One job per CPU, cut between steps (a step's ops stay in
		 * order in one job). */
		unsigned from = 0;
		for (unsigned k = 1; k <= c->ncpu && from < c->nops; k++) {
			unsigned to = c->nops;
			if (k < c->ncpu) {
				unsigned want = c->nops * k / c->ncpu;
				to = from;
				while (to < c->nops && (to < want || !c->step[to]))
					to++;
			}
			if (to == from)
				continue;
			r = hoop_engine_submit(c->e, c->ops + from, to - from,
			                       c->toks + c->ntoks, 0);
			if (r < 0)
				break;
			c->ntoks += (unsigned)r;
			from = to;
		}
	} else {
		r = hoop_queue_add(c->q, c->ops, c->nops, NULL, 0);
	}
	c->nops = 0;
	return r < 0 ? r : 0;
}

/*
 * Add a step's ops to the round. A failed flush of earlier ops is an
 * engine error: the call ends, waiting for what is in flight first.
 */
static int add(struct rf_call *c, struct rf_slot *s, const struct hoop_op *ops,
               unsigned n, enum rf_phase phase)
{
	if (c->nops + n > c->ops_cap) {
		int r = flush_ops(c);
		if (r < 0)
			return r;
	}
	memcpy(&c->ops[c->nops], ops, n * sizeof(*ops));
	memset(&c->step[c->nops], 0, n);
	c->step[c->nops] = 1; /* a step starts here */
	c->nops += n;
	s->phase = (uint8_t)phase;
	s->pending = n;
	for (unsigned i = 0; i < K_N; i++)
		s->res[i] = -ECANCELED;
	return 0;
}

/*
 * The first step of a file: [open >] read(slab) >> read(tail), with a
 * poll for POLLIN first (>>) for a FIFO the calling thread's pass opened
 * without waiting for a writer. The close is a step of its own, once the
 * reads are seen (see advance): a file longer than the guess is read on
 * from the same descriptor, since a FIFO's or a device's bytes, once
 * read, are not there for another open.
 */
static int submit_short(struct rf_call *c, struct rf_slot *s)
{
	struct hoop_op ops[3];
	unsigned n = 0;
	bool direct = c->direct && !s->plain;
	if (direct) {
		/* Its failure cancels the reads. */
		op_open(c, s, &ops[n]);
		ops[n++].sqe_flags = HOOP_SQE_IO_LINK;
	} else if (s->plain) {
		/*
		 * Opened with O_NONBLOCK and no writer yet, a FIFO's reader
		 * sees no POLLHUP until a writer has come (pipe_poll, the
		 * open's note of the writers' count): the poll waits for a
		 * writer's data or its leaving, as a blocking open and read
		 * would. Whatever its outcome, the reads follow.
		 */
		struct hoop_sqe sqe;
		hoop_prep_poll_add(&sqe, s->fd, POLLIN);
		hoop_op_from_sqe(&ops[n], &sqe);
		ops[n].user_data = ud(c, s, K_POLL);
		ops[n++].sqe_flags = HOOP_SQE_IO_LINK | HOOP_SQE_IO_HARDLINK;
	}
	op_read(c, s, &ops[n++], s->slab, c->guess, K_READ1);
	op_read(c, s, &ops[n++], s->tail, RF_TAIL, K_READ2);
	/* A read's failure or short count must not cancel the next. */
	ops[n - 2].sqe_flags |= HOOP_SQE_IO_LINK | HOOP_SQE_IO_HARDLINK;
	int r = add(c, s, ops, n, PH_SHORT);
	if (r == 0 && !direct)
		s->res[K_OPEN] = 0; /* opened in PH_OPEN, or by the pass */
	return r;
}

static int submit_one(struct rf_call *c, struct rf_slot *s, int kind,
                      enum rf_phase phase)
{
	struct hoop_op op;
	if (kind == K_OPEN) {
		op_open(c, s, &op);
	} else if (kind == K_CLOSE) {
		op_close(c, s, &op);
	} else {
		size_t room = s->lcap - s->llen;
		op_read(c, s, &op, s->lbuf + s->llen,
		        (uint32_t)(room < RF_MAX_READ ? room : RF_MAX_READ), kind);
	}
	return add(c, s, &op, 1, phase);
}

static void slot_free(struct rf_call *c, struct rf_slot *s)
{
	free(s->lbuf);
	s->lbuf = NULL;
	s->llen = s->lcap = 0;
	s->phase = PH_FREE;
	s->fd = -1;
	s->plain = false;
	s->err = 0;
	c->free_stack[c->nfree++] = (unsigned)(s - c->slots);
	c->active--;
}

/* The file's outcome is known: record it and free the slot. */
static void finish(struct rf_call *c, struct rf_slot *s, int32_t err,
                   uint8_t err_op, const char *data, size_t len)
{
	struct hoop_file_data *o = &c->out[s->path];
	o->data = NULL;
	o->op = err < 0 ? err_op : 0;
	o->resv = 0;
	if (err < 0) {
		o->res = err;
	} else if (len == 0) {
		o->res = 0;
	} else if (data == s->slab) {
		/* Read in place: the slot's slab moves past it (aligned). */
		size_t used = (len + 15) & ~(size_t)15;
		o->data = data;
		o->res = (int64_t)len;
		s->slab += used;
		s->slab_left = used < s->slab_left ? s->slab_left - used : 0;
		c->ndata++;
	} else {
		/* The long buffer becomes the result as it is. */
		if (mem_keep(c->mem, s->lbuf, 0) < 0) {
			o->res = -ENOMEM;
		} else {
			o->data = s->lbuf;
			o->res = (int64_t)len;
			c->ndata++;
			s->lbuf = NULL;
		}
	}
	c->done++;
	slot_free(c, s);
}

/*
 * A failed open. Out of descriptors while others are open: put the path
 * back, and keep fewer files open from now on; they will free some.
 */
static void open_failed(struct rf_call *c, struct rf_slot *s, int32_t res)
{
	if ((res == -EMFILE || res == -ENFILE) && c->active > 1) {
		c->retry[c->nretry++] = s->path;
		c->limit = c->active - 1;
		slot_free(c, s);
		return;
	}
	finish(c, s, res, HOOP_OP_OPENAT, NULL, 0);
}

/* Grow the long buffer so that a read has room; 0 or -ENOMEM. */
static int long_room(struct rf_slot *s)
{
	if (s->llen < s->lcap)
		return 0;
	size_t ncap = s->lcap * 2;
	char *nb = realloc(s->lbuf, ncap);
	if (!nb)
		return -ENOMEM;
	s->lbuf = nb;
	s->lcap = ncap;
	return 0;
}

/* Every completion of the slot's step is in: take the next step. */
static int advance(struct rf_call *c, struct rf_slot *s)
{
	int32_t *res = s->res;
	switch (s->phase) {
	case PH_OPEN:
		if (res[K_OPEN] < 0) {
			open_failed(c, s, res[K_OPEN]);
			return 0;
		}
		s->fd = res[K_OPEN];
		s->is_open = true;
		return submit_short(c, s);
	case PH_SHORT:
		if (res[K_OPEN] < 0) {
			open_failed(c, s, res[K_OPEN]);
			return 0;
		}
		if (res[K_READ1] < 0) {
			s->err = res[K_READ1];
		} else if (res[K_READ2] < 0) {
			s->err = res[K_READ2];
		} else if (res[K_READ2] == 0) {
			s->llen = (size_t)res[K_READ1]; /* in the slab */
		} else {
			/* More than the guess: read on from this descriptor,
			 * with what was read so far, and room for as much
			 * again. */
			size_t r1 = (size_t)res[K_READ1],
			       r2 = (size_t)res[K_READ2];
			s->lcap = (r1 + r2) * 2;
			s->lbuf = malloc(s->lcap);
			if (s->lbuf) {
				memcpy(s->lbuf, s->slab, r1);
				memcpy(s->lbuf + r1, s->tail, r2);
				s->llen = r1 + r2;
				return submit_one(c, s, K_READ1, PH_LONG_READ);
			}
			s->err = -ENOMEM;
		}
		return submit_one(c, s, K_CLOSE, PH_CLOSE);
	case PH_LONG_READ:
		if (res[K_READ1] > 0) {
			s->llen += (size_t)res[K_READ1];
			if (long_room(s) == 0)
				return submit_one(c, s, K_READ1, PH_LONG_READ);
			s->err = -ENOMEM;
		} else if (res[K_READ1] < 0) {
			s->err = res[K_READ1];
		}
		return submit_one(c, s, K_CLOSE, PH_CLOSE);
	case PH_CLOSE:
		if (s->err < 0)
			finish(c, s, s->err,
			       s->err == -ENOMEM ? 0 : HOOP_OP_READ, NULL, 0);
		else
			finish(c, s, 0, 0, s->lbuf ? s->lbuf : s->slab, s->llen);
		return 0;
	}
	return 0;
}

static void on_completion(struct rf_call *c, const struct hoop_completion *cq)
{
	struct rf_slot *s = &c->slots[cq->user_data >> K_BITS];
	int kind = (int)(cq->user_data & ((1u << K_BITS) - 1));
	s->res[kind] = cq->res;
	if (kind == K_CLOSE && cq->res != -ECANCELED)
		s->is_open = false; /* close(2) frees the descriptor even on error */
	if (kind == K_OPEN && cq->res >= 0 && (!c->direct || s->plain))
		s->fd = cq->res; /* known at once, for the clean-up on errors */
	if (kind == K_OPEN && cq->res >= 0)
		s->is_open = true;
	if (--s->pending)
		return;
	if (c->fatal)
		return;
	int r = advance(c, s);
	if (r < 0)
		c->fatal = r;
}

/*
 * The pool's results: wait for the newest operation (the last of the
 * round's chain), then take every other one already done. Returns how
 * many were put in cq[], or -errno.
 */
static int collect_pool(struct rf_call *c, struct hoop_completion *cq)
{
	if (!c->ntoks)
		return 0;
	int r = hoop_engine_wait(c->e, c->toks[c->ntoks - 1], &cq[0], -1);
	if (r < 0)
		return r;
	int n = 1;
	unsigned keep = 0;
	for (unsigned i = 0; i + 1 < c->ntoks; i++) {
		r = hoop_engine_wait(c->e, c->toks[i], &cq[n], 0);
		if (r == 0)
			n++;
		else if (r == -ETIME)
			c->toks[keep++] = c->toks[i];
		else
			return r;
	}
	c->ntoks = keep;
	return n;
}

/* Wait for completions, wherever the call's operations went. */
static int collect(struct rf_call *c, struct hoop_completion *cq, unsigned max)
{
	if (c->ring)
		return ring_wait(c, cq, max);
	if (c->pool)
		return collect_pool(c, cq);
	return hoop_queue_wait(c->q, cq, max, 1, -1);
}

/*
 * A ring for one call, used by this thread alone: single issuer with
 * deferred task work where the kernel has them (6.1+; older ones get a
 * plain ring), and a sparse file table of `nslots`. NULL when any of it
 * fails (a seccomp filter, no sparse tables, ...): the engine then serves
 * the call.
 */
static hoop_ring *rf_ring_open(unsigned entries, unsigned nslots)
{
	static const uint32_t tries[] = {
	        HOOP_SETUP_SINGLE_ISSUER | HOOP_SETUP_DEFER_TASKRUN,
	        HOOP_SETUP_COOP_TASKRUN,
	        0,
	};
	hoop_ring *ring = NULL;
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		hoop_ring_params rp;
		memset(&rp, 0, sizeof(rp));
		rp.flags = tries[i];
		int r = hoop_ring_create(&ring, entries, &rp);
		if (r == 0)
			break;
		ring = NULL;
		if (r != -EINVAL)
			return NULL;
	}
	if (ring && hoop_ring_register_files_sparse(ring, nslots) < 0) {
		hoop_ring_destroy(ring);
		ring = NULL;
	}
	return ring;
}

/* Start files while slots, the open limit and paths allow. */
static int fill(struct rf_call *c)
{
	while (c->nfree && c->active < c->limit &&
	       (c->nretry || c->next < c->ntodo)) {
		bool retried = c->nretry > 0;
		int held = retried ? -1 : c->todo[c->next].fd;
		size_t path = retried ? c->retry[--c->nretry]
		                      : c->todo[c->next++].path;
		struct rf_slot *s = &c->slots[c->free_stack[--c->nfree]];
		c->active++;
		s->path = path;
		s->fd = held;
		s->plain = held >= 0;
		s->is_open = held >= 0;
		s->err = 0;
		if (s->slab_left < c->guess) {
			/* A new slab; the old one's tail (less than a guess) stays
			 * unused. */
			s->slab = mem_alloc(c->mem, c->slab);
			s->slab_left = s->slab ? c->slab : 0;
			if (!s->slab) {
				finish(c, s, -ENOMEM, 0, NULL, 0);
				continue;
			}
		}
		int r = c->direct || s->plain ? submit_short(c, s)
		                              : submit_one(c, s, K_OPEN, PH_OPEN);
		if (r < 0) {
			/* Nothing of it was submitted: undo (the descriptor
			 * stays with todo[], closed at the end). */
			if (retried)
				c->retry[c->nretry++] = path;
			else
				c->next--;
			s->is_open = false;
			slot_free(c, s);
			return r;
		}
	}
	return 0;
}

/*
 * The calling thread's pass: path i read with system calls of its own,
 * for a file whose contents are all in the page cache. Opened with
 * O_NONBLOCK (a FIFO's open must not wait for a writer; it does not
 * change reads of regular files), read with preadv2(RWF_NOWAIT) from
 * offset 0 straight into the result memory, and a second such read at
 * the end it found must return 0, as the ring's tail read must. Returns
 * true when out[i] holds the outcome. false leaves no trace (the
 * descriptor is closed, the memory given back) and the path to the ring,
 * which starts it again from its open: a read that would block (not
 * cached), a file larger than the guess, a read the file refuses (a
 * FIFO: ESPIPE, procfs: EOPNOTSUPP, a directory: EISDIR) and an open that
 * would wait or lacks a descriptor (EAGAIN, EMFILE, ...). An open that
 * fails otherwise (ENOENT, EACCES, ...) is the path's outcome here, as
 * the ring's openat would report it.
 */
static bool fast_one(struct rf_call *c, size_t i)
{
	struct hoop_file_data *o = &c->out[i];
	int fd = openat(c->dirfd, c->paths[i],
	                O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		int en = errno;
		if (en == EAGAIN || en == EWOULDBLOCK || en == EINTR ||
		    en == EMFILE || en == ENFILE || en == ENXIO || en == ENOMEM)
			return false;
		o->data = NULL;
		o->res = -en;
		o->op = HOOP_OP_OPENAT;
		o->resv = 0;
		return true;
	}
	hoop_files *mem = c->mem;
	char *buf = NULL;
	if (mem->left >= c->guess) {
		buf = mem->cur;
	} else if ((buf = mem_alloc(mem, c->guess)) != NULL) {
		mem->cur -= c->guess; /* the newest allocation: given back */
		mem->left += c->guess;
	}
	bool done = false;
	char tail[RF_TAIL];
	struct iovec iov[2] = {{buf, c->guess}, {tail, sizeof(tail)}};
	ssize_t r = buf ? preadv2(fd, iov, 2, 0, RWF_NOWAIT) : -1;
	if (r >= 0 && (size_t)r <= c->guess) {
		/* Short of the guess: the end, or a page not cached. */
		iov[0].iov_base = tail;
		iov[0].iov_len = sizeof(tail);
		done = r == 0 || preadv2(fd, iov, 1, r, RWF_NOWAIT) == 0;
	}
	if (!done && buf && r < 0 && errno == ESPIPE &&
	    c->nheld < c->hold_max && fcntl(fd, F_SETFL, 0) == 0) {
		/* A FIFO (or a device without offsets): opened once, by
		 * this open, and read by the ring, which waits for a
		 * writer (submit_short's poll) and for its data. */
		c->todo[c->ntodo] = c->todo[c->nheld];
		c->todo[c->nheld].path = i;
		c->todo[c->nheld].fd = fd;
		c->nheld++;
		c->ntodo++;
		return true;
	}
	close(fd);
	if (!done)
		return false;
	o->data = NULL;
	o->res = r;
	o->op = 0;
	o->resv = 0;
	if (r > 0) {
		size_t used = ((size_t)r + 15) & ~(size_t)15;
		o->data = buf;
		mem->cur += used;
		mem->left -= used < mem->left ? used : mem->left;
		c->ndata++;
	}
	return true;
}

/*
 * The calling thread's pass over every path, adaptive: once more than an
 * eighth of the files tried (and RF_FAST_SLACK) went to the ring, the
 * tree is taken for cold and the remaining paths go to the ring untried.
 * Fills c->todo with the paths left to the ring.
 */
static void fast_pass(struct rf_call *c)
{
	size_t tried = 0, missed = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (missed > tried / 8 + RF_FAST_SLACK ||
		    c->guess > RF_CHUNK / 4 || !c->e->inline_rw) {
			c->todo[c->ntodo].path = i;
			c->todo[c->ntodo++].fd = -1;
			continue;
		}
		tried++;
		size_t held = c->nheld;
		if (!fast_one(c, i)) {
			missed++;
			c->todo[c->ntodo].path = i;
			c->todo[c->ntodo++].fd = -1;
		} else if (c->nheld > held) {
			missed++;
		}
	}
}

static unsigned rlimit_files(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return UINT32_MAX;
	return rl.rlim_cur > UINT32_MAX ? UINT32_MAX : (unsigned)rl.rlim_cur;
}

static void call_free(struct rf_call *c)
{
	if (c->slots)
		for (unsigned i = 0; i < c->nslots; i++)
			free(c->slots[i].lbuf);
	free(c->slots);
	free(c->free_stack);
	free(c->retry);
	free(c->ops);
	free(c->toks);
	free(c->step);
	/* Descriptors handed on to paths that were never started. */
	for (size_t i = c->next; c->todo && i < c->nheld; i++)
		close(c->todo[i].fd);
	free(c->todo);
	hoop_files_free(c->mem);
}

int hoop_read_files(hoop_engine *e, int dirfd, const char *const *paths,
                    size_t n, const hoop_read_files_params *params,
                    struct hoop_file_data *out, hoop_files **mem)
{
	hoop_read_files_params p;
	if (params)
		p = *params;
	else
		memset(&p, 0, sizeof(p));
	if (!e || (n && (!paths || !out || !mem)))
		return -EINVAL;
	if (p.flags & ~HOOP_READ_FILES_NO_DIRECT)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(p.resv) / sizeof(p.resv[0]); i++)
		if (p.resv[i])
			return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!paths[i])
			return -EINVAL;
	if (mem)
		*mem = NULL;
	int err = hoop__engine_check(e);
	if (err < 0)
		return err;
	unsigned maxin = hoop_engine_max_inflight(e);
	if (maxin < RF_OPS || e->sq_limit < RF_OPS)
		return -EINVAL;
	if (n == 0)
		return 0;

	uint32_t guess = p.size_guess ? p.size_guess : RF_DEFAULT_GUESS;
	if (guess > RF_MAX_GUESS)
		guess = RF_MAX_GUESS;
	uint64_t memory = p.max_memory ? p.max_memory : RF_DEFAULT_MEMORY;
	/* Each slot reads small files in place into a slab of four guesses. */
	size_t slab = ((size_t)guess * 4 + 15) & ~(size_t)15;

	uint64_t nslots = p.max_open ? p.max_open : RF_DEFAULT_OPEN;
	if (nslots > n)
		nslots = n;
	if (nslots > memory / slab)
		nslots = memory / slab;
	if (nslots > maxin / RF_OPS)
		nslots = maxin / RF_OPS;
	/* A registered file table may not exceed RLIMIT_NOFILE, and with
	 * ordinary descriptors more would only meet EMFILE. */
	if (nslots > rlimit_files())
		nslots = rlimit_files();
	if (nslots == 0)
		nslots = 1;

	struct rf_call c;
	memset(&c, 0, sizeof(c));
	c.e = e;
	c.dirfd = dirfd;
	c.pool = e->ring == NULL;
	c.paths = paths;
	c.out = out;
	c.n = n;
	c.guess = guess;
	c.slab = slab;
	c.mem = calloc(1, sizeof(*c.mem));
	c.todo = malloc(n * sizeof(*c.todo));
	c.hold_max = (unsigned)nslots;
	struct hoop_completion *cq = NULL;
	if (!c.mem || !c.todo) {
		err = -ENOMEM;
		goto out_free;
	}
	fast_pass(&c);
	if (c.ntodo == 0)
		goto out_done;

	if (nslots > c.ntodo)
		nslots = c.ntodo;

	c.nslots = (unsigned)nslots;
	c.limit = c.nslots;
	c.slots = calloc(c.nslots, sizeof(*c.slots));
	c.free_stack = malloc(c.nslots * sizeof(*c.free_stack));
	c.retry = malloc(c.nslots * sizeof(*c.retry));
	unsigned qcap = c.nslots * RF_OPS;
	cq = malloc(qcap * sizeof(*cq));
	c.ops_cap = qcap < e->sq_limit ? qcap : e->sq_limit;
	c.ops = malloc(c.ops_cap * sizeof(*c.ops));
	c.toks = malloc(qcap * sizeof(*c.toks));
	c.step = malloc(c.ops_cap);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	c.ncpu = cpus < 1 ? 1 : cpus > 16 ? 16 : (unsigned)cpus;
	if (!c.slots || !c.free_stack || !c.retry || !cq || !c.ops || !c.toks ||
	    !c.step) {
		err = -ENOMEM;
		goto out_free;
	}
	for (unsigned i = 0; i < c.nslots; i++) {
		c.slots[i].fd = -1;
		c.free_stack[i] = c.nslots - 1 - i;
	}
	c.nfree = c.nslots;
	/*
	 * Direct descriptors need a file table on a ring, and openat, read
	 * and close served by the ring (not the pool). With enough paths the
	 * call drives a ring of its own from this thread (see rf_ring_open):
	 * one enter submits a round and waits, the chains' later steps run in
	 * that enter, and no other thread is woken. Otherwise the table goes
	 * on the engine's ring for this call; a concurrent call finds it
	 * taken (EBUSY) and uses ordinary descriptors, as do kernels without
	 * sparse tables.
	 */
	uint64_t need = (1ull << HOOP_OP_OPENAT) | (1ull << HOOP_OP_READ) |
	                (1ull << HOOP_OP_CLOSE);
	bool may_direct = !(p.flags & HOOP_READ_FILES_NO_DIRECT) && e->ring &&
	                  !(e->pool_opmask & need);
	if (may_direct && c.ntodo >= RF_RING_MIN) {
		c.ring = rf_ring_open(qcap, c.nslots);
		c.direct = c.ring != NULL;
	}
	if (!c.ring) {
		err = hoop_queue_create(&c.q, e, qcap);
		if (err < 0)
			goto out_free;
		if (may_direct)
			c.direct = hoop_ring_register_files_sparse(e->ring,
			                                           c.nslots) == 0;
	}

	while (c.done < c.ntodo && !c.fatal) {
		int r = fill(&c);
		if (r == 0)
			r = flush_ops(&c);
		if (r < 0) {
			c.fatal = r;
			break;
		}
		r = collect(&c, cq, qcap);
		if (r < 0) {
			c.fatal = r;
			break;
		}
		for (int i = 0; i < r; i++)
			on_completion(&c, &cq[i]);
	}
	if (c.fatal) {
		/* Collect what is still in flight (its buffers are ours). */
		c.nops = 0; /* queued for the private ring, never submitted */
		while (c.ring   ? c.ring_out > 0
		       : c.pool ? c.ntoks > 0
		                : hoop_queue_outstanding(c.q) > 0) {
			int r = collect(&c, cq, qcap);
			if (r < 0)
				break;
			for (int i = 0; i < r; i++)
				on_completion(&c, &cq[i]);
		}
	}
	if (c.ring)
		hoop_ring_destroy(c.ring); /* closes any direct slot left */
	else
		hoop_queue_destroy(c.q); /* waits for anything left */
	for (unsigned i = 0; i < c.nslots; i++)
		if ((!c.direct || c.slots[i].plain) && c.slots[i].is_open &&
		    c.slots[i].fd >= 0)
			close(c.slots[i].fd);
	if (!c.ring && c.direct)
		hoop_ring_unregister_files(e->ring); /* empties any slot left */
	if (c.fatal) {
		err = c.fatal;
		goto out_free;
	}
out_done:
	if (c.ndata) {
		*mem = c.mem;
		c.mem = NULL;
	}
	err = 0;
out_free:
	free(cq);
	call_free(&c);
	return err;
}

/*
 * core/ring.c - hoop_ring: setup, mapping, submission and completion for a
 * ring owned by one thread.
 */
#include "clock.h"
#include "ring_internal.h"
#include "sys.h"
#include "asan_check.h" /* reliability suite: ASan buffer check */

#include "hoop/inline.h"
#include "hoop/register.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__)
int hoop__fence_word;
#endif

/* hoop/inline.h reads the ring's first fields: they must match its view. */
#define HOOP_VIEW_SAME(f)                                                      \
	_Static_assert(offsetof(struct hoop_ring, f) ==                        \
	                       offsetof(struct hoop_ring_view, f),             \
	               "hoop_ring_view." #f)
HOOP_VIEW_SAME(sq_khead);
HOOP_VIEW_SAME(sq_ktail);
HOOP_VIEW_SAME(sq_kflags);
HOOP_VIEW_SAME(sq_kdropped);
HOOP_VIEW_SAME(sq_array);
HOOP_VIEW_SAME(sqes);
HOOP_VIEW_SAME(sqe_head);
HOOP_VIEW_SAME(sqe_tail);
HOOP_VIEW_SAME(sq_mask);
HOOP_VIEW_SAME(sq_entries);
HOOP_VIEW_SAME(sqe_shift);
HOOP_VIEW_SAME(cq_khead);
HOOP_VIEW_SAME(cq_ktail);
HOOP_VIEW_SAME(cq_kflags);
HOOP_VIEW_SAME(cq_koverflow);
HOOP_VIEW_SAME(cqes);
HOOP_VIEW_SAME(cq_mask);
HOOP_VIEW_SAME(cq_entries);
HOOP_VIEW_SAME(cqe_shift);
HOOP_VIEW_SAME(cq_mixed);

/* The kernel's limits on ring sizes (IORING_MAX_ENTRIES, MAX_CQ_ENTRIES). */
#define HOOP_MAX_SQ_ENTRIES 32768u
#define HOOP_MAX_CQ_ENTRIES 65536u

/* Setup flags this build knows; anything else is refused before the syscall. */
#define HOOP_SETUP_KNOWN 0x000fffffu

/*
 * After close, the memlock charge of a ring is released asynchronously, so
 * a setup right after many destroys can fail with ENOMEM although the limit
 * would allow it. Retry a few times with short pauses before shrinking.
 */
#define HOOP_ENOMEM_RETRIES 4

static unsigned round_pow2(unsigned v)
{
	unsigned r = 1;
	while (r < v)
		r <<= 1;
	return r;
}

static void ring_unmap(hoop_ring *r)
{
	if (r->int_flags & HOOP_INT_CALLER_MEM) {
		r->sqes_ptr = r->cq_ring_ptr = r->sq_ring_ptr = NULL;
		return;
	}
	if (r->sqes_ptr && r->sqes_ptr != MAP_FAILED)
		munmap(r->sqes_ptr, r->sqes_sz);
	if (r->cq_ring_ptr && r->cq_ring_ptr != MAP_FAILED &&
	    r->cq_ring_ptr != r->sq_ring_ptr)
		munmap(r->cq_ring_ptr, r->cq_ring_sz);
	if (r->sq_ring_ptr && r->sq_ring_ptr != MAP_FAILED)
		munmap(r->sq_ring_ptr, r->sq_ring_sz);
	r->sqes_ptr = r->cq_ring_ptr = r->sq_ring_ptr = NULL;
}

static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	return (n + pg - 1) & ~(pg - 1);
}

/* Memory hoop_ring_create_mem hands to the setup running in this thread:
 * alloc_app_mem carves the rings from it instead of mapping. */
static _Thread_local struct {
	unsigned char *mem;
	size_t size;
} caller_mem;

/*
 * With NO_MMAP the application supplies the ring memory. The kernel lays out
 * its ring header, then the CQEs, then the SQ index array; a page for the
 * header is more than enough. We allocate before knowing the kernel's exact
 * sizes, so compute them the way the kernel will: the two areas' sizes
 * (page multiples) for `entries` and `p`.
 */
static void app_mem_sizes(unsigned entries, const struct hoop_sys_params *p,
                          size_t *ring_sz, size_t *sqes_sz)
{
	unsigned sq = round_pow2(entries), cq;
	if (sq > HOOP_MAX_SQ_ENTRIES)
		sq = HOOP_MAX_SQ_ENTRIES;
	if (p->flags & HOOP_SETUP_CQSIZE) {
		cq = round_pow2(p->cq_entries);
		if (cq > HOOP_MAX_CQ_ENTRIES)
			cq = HOOP_MAX_CQ_ENTRIES;
	} else {
		cq = 2 * sq;
	}
	size_t cqe_sz = (p->flags & HOOP_SETUP_CQE32) ? 32 : 16;
	size_t sqe_sz = (p->flags & HOOP_SETUP_SQE128) ? 128 : 64;
	*ring_sz = page_round(4096 + cq * cqe_sz + sq * sizeof(unsigned));
	*sqes_sz = page_round(sq * sqe_sz);
}

/* Anonymous shared memory for the NO_MMAP rings, sizes already set. */
static int map_app_mem(hoop_ring *r)
{
	r->sq_ring_ptr = mmap(NULL, r->sq_ring_sz, PROT_READ | PROT_WRITE,
	                      MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (r->sq_ring_ptr == MAP_FAILED) {
		r->sq_ring_ptr = NULL;
		return -ENOMEM;
	}
	r->sqes_ptr = mmap(NULL, r->sqes_sz, PROT_READ | PROT_WRITE,
	                   MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (r->sqes_ptr == MAP_FAILED) {
		r->sqes_ptr = NULL;
		ring_unmap(r);
		return -ENOMEM;
	}
	return 0;
}

/* The NO_MMAP rings: in the caller's memory (hoop_ring_create_mem) or in
 * memory we map. */
static int alloc_app_mem(hoop_ring *r, unsigned entries, struct hoop_sys_params *p)
{
	app_mem_sizes(entries, p, &r->sq_ring_sz, &r->sqes_sz);
	if (caller_mem.mem) {
		if (r->sq_ring_sz + r->sqes_sz > caller_mem.size)
			return -ENOMEM;
		r->sq_ring_ptr = caller_mem.mem;
		r->sqes_ptr = caller_mem.mem + r->sq_ring_sz;
		r->int_flags |= HOOP_INT_CALLER_MEM;
	} else {
		r->int_flags &= ~HOOP_INT_CALLER_MEM;
		int e = map_app_mem(r);
		if (e < 0)
			return e;
	}
	r->cq_ring_ptr = r->sq_ring_ptr;
	r->cq_ring_sz = r->sq_ring_sz;
	p->cq_off.user_addr = (uint64_t)(uintptr_t)r->sq_ring_ptr;
	p->sq_off.user_addr = (uint64_t)(uintptr_t)r->sqes_ptr;
	return 0;
}

static int ring_map(hoop_ring *r, int fd, const struct hoop_sys_params *p)
{
	size_t cqe_sz = (p->flags & HOOP_SETUP_CQE32) ? 32 : 16;
	size_t sqe_sz = (p->flags & HOOP_SETUP_SQE128) ? 128 : 64;

	if (!(r->int_flags & HOOP_INT_APP_MEM)) {
		r->sq_ring_sz = p->sq_off.array + p->sq_entries * sizeof(unsigned);
		if (p->flags & HOOP_SETUP_NO_SQARRAY)
			r->sq_ring_sz = p->sq_off.array; /* array is absent */
		r->cq_ring_sz = p->cq_off.cqes + p->cq_entries * cqe_sz;
		/* With SINGLE_MMAP both rings live in one mapping. */
		if (p->features & HOOP_FEAT_SINGLE_MMAP) {
			if (r->cq_ring_sz > r->sq_ring_sz)
				r->sq_ring_sz = r->cq_ring_sz;
			r->cq_ring_sz = r->sq_ring_sz;
		}
		r->sq_ring_ptr = mmap(NULL, r->sq_ring_sz, PROT_READ | PROT_WRITE,
		                      MAP_SHARED | MAP_POPULATE, fd,
		                      HOOP_SYS_OFF_SQ_RING);
		if (r->sq_ring_ptr == MAP_FAILED) {
			r->sq_ring_ptr = NULL;
			return -errno;
		}
		if (p->features & HOOP_FEAT_SINGLE_MMAP) {
			r->cq_ring_ptr = r->sq_ring_ptr;
		} else {
			r->cq_ring_ptr = mmap(NULL, r->cq_ring_sz,
			                      PROT_READ | PROT_WRITE,
			                      MAP_SHARED | MAP_POPULATE, fd,
			                      HOOP_SYS_OFF_CQ_RING);
			if (r->cq_ring_ptr == MAP_FAILED) {
				int e = -errno;
				r->cq_ring_ptr = NULL;
				ring_unmap(r);
				return e;
			}
		}
		r->sqes_sz = p->sq_entries * sqe_sz;
		r->sqes_ptr = mmap(NULL, r->sqes_sz, PROT_READ | PROT_WRITE,
		                   MAP_SHARED | MAP_POPULATE, fd,
		                   HOOP_SYS_OFF_SQES);
		if (r->sqes_ptr == MAP_FAILED) {
			int e = -errno;
			r->sqes_ptr = NULL;
			ring_unmap(r);
			return e;
		}
	}

	char *sq = r->sq_ring_ptr, *cq = r->cq_ring_ptr;
	r->sq_khead = (unsigned *)(sq + p->sq_off.head);
	r->sq_ktail = (unsigned *)(sq + p->sq_off.tail);
	r->sq_kflags = (unsigned *)(sq + p->sq_off.flags);
	r->sq_kdropped = (unsigned *)(sq + p->sq_off.dropped);
	r->sq_array = (p->flags & HOOP_SETUP_NO_SQARRAY)
	                      ? NULL
	                      : (unsigned *)(sq + p->sq_off.array);
	r->sqes = r->sqes_ptr;
	r->sq_mask = *(unsigned *)(sq + p->sq_off.ring_mask);
	r->sq_entries = *(unsigned *)(sq + p->sq_off.ring_entries);

	r->cq_khead = (unsigned *)(cq + p->cq_off.head);
	r->cq_ktail = (unsigned *)(cq + p->cq_off.tail);
	r->cq_koverflow = (unsigned *)(cq + p->cq_off.overflow);
	r->cq_kflags = p->cq_off.flags ? (unsigned *)(cq + p->cq_off.flags) : NULL;
	r->cqes = (struct hoop_cqe *)(cq + p->cq_off.cqes);
	r->cq_mask = *(unsigned *)(cq + p->cq_off.ring_mask);
	r->cq_entries = *(unsigned *)(cq + p->cq_off.ring_entries);

	r->sqe_shift = (p->flags & HOOP_SETUP_SQE128) ? 1 : 0;
	r->cqe_shift = (p->flags & HOOP_SETUP_CQE32) ? 1 : 0;
	r->cq_mixed = (p->flags & HOOP_SETUP_CQE_MIXED) ? 1 : 0;

	/*
	 * Fill the SQ index array once with the identity mapping: SQE i is
	 * always published through slot i, so submission only moves the tail.
	 */
	if (r->sq_array)
		for (unsigned i = 0; i < r->sq_entries; i++)
			r->sq_array[i] = i;
	return 0;
}

static void pause_ms(long ms)
{
	struct timespec ts = {0, ms * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One setup attempt: syscall plus mapping; on failure nothing is left. */
static int ring_setup_once(hoop_ring *r, unsigned entries,
                           struct hoop_sys_params *p)
{
	int fd, e;
	memset(&p->sq_off, 0, sizeof(p->sq_off));
	memset(&p->cq_off, 0, sizeof(p->cq_off));
	if (p->flags & HOOP_SETUP_NO_MMAP) {
		e = alloc_app_mem(r, entries, p);
		if (e < 0)
			return e;
		r->int_flags |= HOOP_INT_APP_MEM;
	}
	fd = hoop__sys_setup(entries, p);
	if (fd < 0) {
		ring_unmap(r);
		r->int_flags &= ~HOOP_INT_APP_MEM;
		return fd;
	}
	if (p->flags & HOOP_SETUP_REGISTERED_FD_ONLY) {
		/* The kernel returned a registered index, not an fd. */
		r->ring_fd = -1;
		r->enter_fd = fd;
		r->int_flags |= HOOP_INT_REG_RING | HOOP_INT_REG_RING_ONLY;
	} else {
		r->ring_fd = r->enter_fd = fd;
	}
	e = ring_map(r, fd, p);
	if (e < 0) {
		if (r->ring_fd >= 0)
			close(r->ring_fd);
		ring_unmap(r);
		r->int_flags = 0;
		return e;
	}
	r->setup_flags = p->flags;
	r->features = p->features;
	return 0;
}

int hoop_ring_create(hoop_ring **out, unsigned entries,
                     const hoop_ring_params *params)
{
	hoop_ring_params defaults;
	struct hoop_sys_params p;
	bool added_no_sqarray = false;
	int e;

	if (!params) {
		memset(&defaults, 0, sizeof(defaults));
		params = &defaults;
	}
	if (!out || entries == 0)
		return -EINVAL;
	if (params->resv)
		return -EINVAL; /* reserved: must be 0 (common.h) */
	if (params->hoop_flags &
	    ~(HOOP_RING_REGISTER_RING_FD | HOOP_RING_KEEP_SQARRAY))
		return -EINVAL;
	if (params->flags & ~HOOP_SETUP_KNOWN)
		return -EINVAL;
	if (entries > HOOP_MAX_SQ_ENTRIES && !(params->flags & HOOP_SETUP_CLAMP))
		return -EINVAL;
	if ((params->flags & HOOP_SETUP_CQSIZE) && params->cq_entries == 0)
		return -EINVAL;
	if ((params->flags & HOOP_SETUP_REGISTERED_FD_ONLY) &&
	    !(params->flags & HOOP_SETUP_NO_MMAP))
		return -EINVAL;

	hoop_ring *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;

	memset(&p, 0, sizeof(p));
	p.flags = params->flags;
	p.cq_entries = params->cq_entries;
	p.sq_thread_cpu = params->sq_thread_cpu;
	p.sq_thread_idle = params->sq_thread_idle;
	p.wq_fd = (uint32_t)params->wq_fd;
	if (!(params->hoop_flags & HOOP_RING_KEEP_SQARRAY) &&
	    !(p.flags & HOOP_SETUP_NO_SQARRAY)) {
		p.flags |= HOOP_SETUP_NO_SQARRAY;
		added_no_sqarray = true;
	}

	unsigned floor = params->min_entries ? params->min_entries : entries;
	if (floor > entries)
		floor = entries;
	int nomem_tries = 0;
	for (;;) {
		uint32_t flags = p.flags;
		e = ring_setup_once(r, entries, &p);
		p.flags = flags; /* the kernel does not change it, but be sure */
		if (e == -EINVAL && added_no_sqarray) {
			/* Kernels before 6.6 do not know NO_SQARRAY. */
			p.flags &= ~HOOP_SETUP_NO_SQARRAY;
			added_no_sqarray = false;
			continue;
		}
		if (e == -ENOMEM) {
			if (nomem_tries++ < HOOP_ENOMEM_RETRIES) {
				pause_ms(1 << nomem_tries);
				continue;
			}
			if (entries > floor) {
				entries /= 2;
				if (entries < floor)
					entries = floor;
				nomem_tries = HOOP_ENOMEM_RETRIES; /* shrink now */
				continue;
			}
		}
		break;
	}
	if (e < 0) {
		free(r);
		return e;
	}

	if (params->hoop_flags & HOOP_RING_REGISTER_RING_FD) {
		e = hoop_ring_register_ring_fd(r);
		if (e < 0) {
			hoop_ring_destroy(r);
			return e;
		}
	}
	*out = r;
	return 0;
}

void hoop_ring_destroy(hoop_ring *r)
{
	if (!r)
		return;
	if ((r->int_flags & HOOP_INT_REG_RING) &&
	    !(r->int_flags & HOOP_INT_REG_RING_ONLY))
		hoop_ring_unregister_ring_fd(r);
	ring_unmap(r);
	if (r->ring_fd >= 0)
		close(r->ring_fd);
	else if (r->int_flags & HOOP_INT_REG_RING_ONLY) {
		/* The only reference is the registered index: drop it. */
		struct hoop_sys_rsrc_update up = {.offset = (uint32_t)r->enter_fd};
		hoop__sys_register(r->enter_fd,
		                   HOOP_UNREGISTER_RING_FDS |
		                           HOOP_REGISTER_USE_REGISTERED_RING,
		                   &up, 1);
	}
	free(r);
}

int hoop_ring_fd(const hoop_ring *r) { return r->ring_fd; }
uint32_t hoop_ring_setup_flags(const hoop_ring *r) { return r->setup_flags; }
uint32_t hoop_ring_features(const hoop_ring *r) { return r->features; }
unsigned hoop_ring_sq_entries(const hoop_ring *r) { return r->sq_entries; }
unsigned hoop_ring_cq_entries(const hoop_ring *r) { return r->cq_entries; }

int hoop_ring_enter(hoop_ring *r, unsigned to_submit, unsigned min_complete,
                    unsigned flags, const void *arg, size_t argsz)
{
	if (r->int_flags & HOOP_INT_REG_RING)
		flags |= HOOP_ENTER_REGISTERED_RING;
	if (r->int_flags & HOOP_INT_NO_IOWAIT)
		flags |= HOOP_ENTER_NO_IOWAIT; /* hoop_ring_set_iowait */
	return hoop__sys_enter(r->enter_fd, to_submit, min_complete, flags, arg,
	                       argsz);
}

int hoop_ring_register(hoop_ring *r, unsigned opcode, const void *arg,
                       unsigned nr_args)
{
	/* io_uring_register takes the registered index only from 6.3
	 * (REG_REG_RING); before it, the fd is still open: use it. */
	if ((r->int_flags & HOOP_INT_REG_RING) &&
	    (r->ring_fd < 0 || (r->features & HOOP_FEAT_REG_REG_RING)))
		return hoop__sys_register(r->enter_fd,
		                          opcode | HOOP_REGISTER_USE_REGISTERED_RING,
		                          arg, nr_args);
	return hoop__sys_register(r->ring_fd, opcode, arg, nr_args);
}

/* ---- submission ---- */

struct hoop_sqe *hoop_ring_get_sqe(hoop_ring *r)
{
	return hoop_ring_get_sqe_inline(r);
}

struct hoop_sqe *hoop_ring_get_sqe128(hoop_ring *r)
{
	if (r->sqe_shift)
		return hoop_ring_get_sqe_inline(r);
	if (!(r->setup_flags & HOOP_SETUP_SQE_MIXED))
		return NULL;
	unsigned head = __atomic_load_n(r->sq_khead, __ATOMIC_ACQUIRE);
	unsigned tail = r->sqe_tail;
	/* A 128-byte entry must not start in the last slot: pad it. */
	unsigned pad = (tail & r->sq_mask) == r->sq_mask;
	if (tail - head + pad + 2 > r->sq_entries)
		return NULL;
	if (pad) {
		struct hoop_sqe *nop = &r->sqes[tail & r->sq_mask];
		hoop_prep_nop_inline(nop);
		nop->flags = HOOP_SQE_CQE_SKIP_SUCCESS;
		tail++;
	}
	r->sqe_tail = tail + 2;
	return &r->sqes[tail & r->sq_mask];
}

unsigned hoop__ring_flush_sq(hoop_ring *r)
{
	unsigned tail = r->sqe_tail;
	if (r->sqe_head != tail) {
		/* ASan builds only: report a buffer that is already freed at
		 * the call that submits it (core/asan_check.c). */
		HOOP_ASAN_CHECK_SQES(r, r->sqe_head, tail);
		r->sqe_head = tail;
		/* Release: every SQE up to tail is fully written before the
		 * kernel (or the SQPOLL thread) can see the new tail. */
		hoop_store_release(r->sq_ktail, tail);
	}
	return tail - hoop_load_relaxed(r->sq_khead);
}

/*
 * Whether io_uring_enter is needed to get `submitted` SQEs consumed; adds
 * SQ_WAKEUP to *flags when the SQPOLL thread is asleep.
 */
static bool sq_needs_enter(hoop_ring *r, unsigned submitted, unsigned *flags)
{
	if (!submitted)
		return false;
	if (!(r->setup_flags & HOOP_SETUP_SQPOLL))
		return true;
	/*
	 * The SQPOLL thread sets NEED_WAKEUP and then re-checks the tail
	 * before sleeping. Our tail store must be ordered before our flag load
	 * (store-load ordering needs a full fence), or both sides could miss
	 * each other and the request would sit until something else wakes it.
	 */
	hoop_full_fence();
	if (hoop_load_relaxed(r->sq_kflags) & HOOP_SQ_NEED_WAKEUP) {
		*flags |= HOOP_ENTER_SQ_WAKEUP;
		return true;
	}
	return false;
}

/* Overflowed completions or pending task work need an enter to appear. */
static bool cq_needs_flush(const hoop_ring *r)
{
	return hoop_load_relaxed(r->sq_kflags) &
	       (HOOP_SQ_CQ_OVERFLOW | HOOP_SQ_TASKRUN);
}

static bool cq_needs_enter(const hoop_ring *r)
{
	return (r->setup_flags & HOOP_SETUP_IOPOLL) || cq_needs_flush(r);
}

/*
 * Publish the prepared SQEs for a submit call. Returns the number this call
 * submits, which is also what it passes to io_uring_enter; *pending gets
 * the SQEs published and not yet consumed (for the SQPOLL wakeup test).
 * Without SQPOLL only an enter consumes SQEs, so the two are the same and
 * exact (they include SQEs an earlier enter refused, -EBUSY/-EAGAIN). With
 * SQPOLL the kernel thread consumes them at any moment, so a head read says
 * nothing about this call: the count is what was prepared since the last
 * submit call counted, whatever the thread has taken by now.
 */
static unsigned submit_publish(hoop_ring *r, unsigned *pending)
{
	*pending = hoop__ring_flush_sq(r);
	if (!(r->setup_flags & HOOP_SETUP_SQPOLL))
		return *pending;
	unsigned n = r->sqe_head - r->sqe_reported;
	r->sqe_reported = r->sqe_head;
	return n;
}

static int submit_internal(hoop_ring *r, unsigned wait_nr, bool getevents)
{
	unsigned flags = 0, pending;
	unsigned submitted = submit_publish(r, &pending);
	bool enter = sq_needs_enter(r, pending, &flags);
	if (getevents || wait_nr || cq_needs_enter(r)) {
		flags |= HOOP_ENTER_GETEVENTS;
		enter = true;
	}
	if (!enter)
		return (int)submitted;
	int ret;
	do {
		ret = hoop_ring_enter(r, submitted, wait_nr, flags, NULL, 0);
		/* A plain submit has nothing to report about a signal: retry.
		 * With a wait, -EINTR goes to the caller, as with read(2). */
	} while (ret == -EINTR && wait_nr == 0);
	/* With SQPOLL the kernel only echoes to_submit (its thread does the
	 * work); without it the count is what this enter consumed. */
	if (ret >= 0 && (r->setup_flags & HOOP_SETUP_SQPOLL))
		ret = (int)submitted;
	return ret;
}

int hoop_ring_submit(hoop_ring *r) { return submit_internal(r, 0, false); }

int hoop_ring_submit_and_wait(hoop_ring *r, unsigned wait_nr)
{
	return submit_internal(r, wait_nr, false);
}

/* ---- completion ---- */

/*
 * Every walk over the CQ goes through hoop_ring_cq_entry_inline and
 * hoop_ring_cq_steps_inline (hoop/inline.h): one index step per CQE, except
 * on a CQE_MIXED ring, where a 32-byte CQE takes two and padding is skipped.
 */
static inline const struct hoop_ring_view *cview(const hoop_ring *r)
{
	return (const struct hoop_ring_view *)(const void *)r;
}

/*
 * CQEs between head and tail, counted up to `limit`. The index distance on
 * most rings; a CQE_MIXED ring is walked, since there a CQE may take two
 * slots and padding takes one.
 */
static unsigned cq_count(const hoop_ring *r, unsigned head, unsigned tail,
                         unsigned limit)
{
	if (__builtin_expect(!r->cq_mixed, 1))
		return tail - head;
	unsigned n = 0;
	struct hoop_cqe *c;
	while (n < limit &&
	       (c = hoop_ring_cq_entry_inline(cview(r), &head, tail)) != NULL) {
		head += hoop_ring_cq_steps_inline(cview(r), c);
		n++;
	}
	return n;
}

unsigned hoop_ring_cq_ready(const hoop_ring *r)
{
	unsigned head = hoop_load_relaxed(r->cq_khead);
	return cq_count(r, head, hoop_load_acquire(r->cq_ktail), ~0u);
}

/* CQE_MIXED: the oldest CQE or NULL; padding in front of it is consumed.
 * Out of line, so that peek_cqe stays small enough to inline. */
__attribute__((noinline)) static struct hoop_cqe *
peek_mixed(hoop_ring *r, unsigned head, unsigned tail)
{
	unsigned h = head;
	struct hoop_cqe *c = hoop_ring_cq_entry_inline(cview(r), &h, tail);
	if (h != head)
		hoop_store_release(r->cq_khead, h);
	return c;
}

/* The oldest CQE or NULL. */
static inline struct hoop_cqe *peek_cqe(hoop_ring *r)
{
	unsigned head = hoop_load_relaxed(r->cq_khead);
	/* Acquire: the CQE contents are visible once we see the tail. */
	unsigned tail = hoop_load_acquire(r->cq_ktail);
	if (__builtin_expect(r->cq_mixed, 0))
		return peek_mixed(r, head, tail);
	return hoop_ring_cq_entry_inline(cview(r), &head, tail);
}

/*
 * The CQ as a wait sees it: the oldest CQE (NULL if none), *avail the CQEs
 * ready (counted up to `want`) and *slots the index distance they cover.
 */
static struct hoop_cqe *cq_state(hoop_ring *r, unsigned want, unsigned *avail,
                                 unsigned *slots)
{
	/* One snapshot of head and tail for all three. */
	unsigned head = hoop_load_relaxed(r->cq_khead), h = head;
	unsigned tail = hoop_load_acquire(r->cq_ktail);
	struct hoop_cqe *c = hoop_ring_cq_entry_inline(cview(r), &h, tail);
	if (h != head) /* CQE_MIXED: padding consumed */
		hoop_store_release(r->cq_khead, h);
	*slots = tail - h;
	*avail = c ? cq_count(r, h, tail, want) : 0;
	return c;
}

/*
 * The common wait loop. Submits pending SQEs first when `submit` is set, then
 * returns once `wait_nr` CQEs are ready (0: do not wait), once the time `ts`
 * has passed (-ETIME if still fewer), on a signal (-EINTR) or on a kernel
 * error. A CQE_MIXED ring whose CQ is full counts as ready: fewer CQEs than
 * wait_nr may fit, and no more can come until some are consumed.
 * *cqe_out (if given) is set to the oldest CQE or NULL in every case.
 * Returns the number of SQEs submitted (>= 0) or -errno.
 */
static int wait_internal(hoop_ring *r, struct hoop_cqe **cqe_out, bool submit,
                         unsigned wait_nr, const struct hoop_timespec *ts,
                         const void *sigmask)
{
	struct hoop_sys_getevents_arg arg;
	struct hoop_timespec left;
	bool use_arg = ts || sigmask;
	bool sqpoll = (r->setup_flags & HOOP_SETUP_SQPOLL) != 0;
	bool expired = false;
	int submitted = 0, err = 0;
	unsigned avail, slots;
	uint64_t deadline = 0;

	if (use_arg && !(r->features & HOOP_FEAT_EXT_ARG))
		return -EOPNOTSUPP;
	/* The kernel never waits for more than the CQ holds: waiting for more
	 * would spin forever. */
	if (wait_nr > r->cq_entries)
		return -EINVAL;
	if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000))
		return -EINVAL;
	/*
	 * One enter that does not wait is allowed per call to bring in what
	 * the kernel holds back (overflow, task work, and with IOPOLL
	 * completions it has to poll for). IOPOLL always asks for that enter:
	 * without this bound a call that does not wait never returned.
	 */
	bool flushed = false;
	memset(&arg, 0, sizeof(arg));
	arg.sigmask = (uint64_t)(uintptr_t)sigmask;
	arg.sigmask_sz = _NSIG / 8;
	if (ts) {
		/*
		 * The kernel ends a timed wait early for reasons of its own (a
		 * timeout request completing wakes every waiter), so `ts` is a
		 * deadline and each enter waits only for what is left of it.
		 */
		deadline = hoop__now_ns() + (uint64_t)ts->tv_sec * 1000000000ull +
		           (uint64_t)ts->tv_nsec;
		arg.ts = (uint64_t)(uintptr_t)&left;
	}

	for (;;) {
		unsigned flags = 0, to_submit = 0, pending = 0, min = 0;
		bool enter = false;
		struct hoop_cqe *cqe = cq_state(r, wait_nr, &avail, &slots);
		bool short_of = avail < wait_nr && slots < r->cq_entries;
		bool flush = !cqe && !flushed && cq_needs_enter(r);

		if (submit) {
			to_submit = submit_publish(r, &pending);
			if (sqpoll)
				submitted += (int)to_submit;
			enter = sq_needs_enter(r, pending, &flags);
		}
		/* Enter to wait for more, or once to make overflowed
		 * completions or pending task work (or IOPOLL completions)
		 * show up. */
		if (short_of || flush) {
			if (ts) {
				uint64_t now = hoop__now_ns();
				if (now >= deadline)
					expired = true;
				uint64_t rem = expired ? 0 : deadline - now;
				left.tv_sec = (int64_t)(rem / 1000000000ull);
				left.tv_nsec = (int64_t)(rem % 1000000000ull);
			}
			if (short_of && !expired) {
				flags |= HOOP_ENTER_GETEVENTS;
				enter = true;
				/* The kernel counts slots: ask for one more per
				 * CQE missing (a big CQE brings two, so it may
				 * return early; the loop checks again). */
				min = slots + (wait_nr - avail);
				if (min > r->cq_entries)
					min = r->cq_entries;
			} else if (flush) {
				flags |= HOOP_ENTER_GETEVENTS;
				enter = true;
				flushed = true;
			} else if (!to_submit) {
				break;
			}
		}
		if (!enter)
			break;
		if (use_arg)
			flags |= HOOP_ENTER_EXT_ARG;
		int ret = hoop_ring_enter(r, to_submit, min, flags,
		                          use_arg ? (const void *)&arg : NULL,
		                          use_arg ? sizeof(arg) : 0);
		if (ret < 0 && ret != -ETIME) {
			err = ret;
			break;
		}
		/* With SQPOLL the count was taken above (the kernel echoes
		 * to_submit); without it, it is what this enter consumed. */
		if (ret > 0 && !sqpoll)
			submitted += ret;
		submit = false;
	}
	struct hoop_cqe *cqe = cq_state(r, wait_nr, &avail, &slots);
	if (cqe_out)
		*cqe_out = cqe;
	if (err)
		return err;
	if (avail >= wait_nr || slots >= r->cq_entries)
		return submitted;
	return expired ? -ETIME : -EAGAIN;
}

int hoop_ring_submit_and_wait_timeout(hoop_ring *r, struct hoop_cqe **cqe_out,
                                      unsigned wait_nr,
                                      const struct hoop_timespec *ts,
                                      const void *sigmask)
{
	return wait_internal(r, cqe_out, true, wait_nr, ts, sigmask);
}

int hoop_ring_peek_cqe(hoop_ring *r, struct hoop_cqe **cqe_out)
{
	struct hoop_cqe *cqe = peek_cqe(r);
	if (!cqe && cq_needs_enter(r)) {
		int e = wait_internal(r, &cqe, false, 0, NULL, NULL);
		if (e < 0)
			return e;
	}
	*cqe_out = cqe;
	return cqe ? 0 : -EAGAIN;
}

int hoop_ring_wait_cqe_nr(hoop_ring *r, struct hoop_cqe **cqe_out, unsigned wait_nr)
{
	int e = wait_internal(r, cqe_out, false, wait_nr, NULL, NULL);
	return e < 0 ? e : 0;
}

int hoop_ring_wait_cqe(hoop_ring *r, struct hoop_cqe **cqe_out)
{
	/* Fast path: a completion is already there. */
	struct hoop_cqe *cqe = peek_cqe(r);
	if (cqe) {
		*cqe_out = cqe;
		return 0;
	}
	return hoop_ring_wait_cqe_nr(r, cqe_out, 1);
}

int hoop_ring_wait_cqe_timeout(hoop_ring *r, struct hoop_cqe **cqe_out,
                               const struct hoop_timespec *ts)
{
	int e = wait_internal(r, cqe_out, false, 1, ts, NULL);
	return e < 0 ? e : 0;
}

int hoop_ring_wait_cqes(hoop_ring *r, struct hoop_cqe **cqe_out, unsigned wait_nr,
                        const struct hoop_timespec *ts, const void *sigmask)
{
	int e = wait_internal(r, cqe_out, true, wait_nr, ts, sigmask);
	return e < 0 ? e : 0;
}

unsigned hoop_ring_peek_batch_cqe(hoop_ring *r, struct hoop_cqe **cqes,
                                  unsigned count)
{
	const struct hoop_ring_view *v = cview(r);
	bool flushed = false;
	for (;;) {
		unsigned head = hoop_load_relaxed(r->cq_khead), h = head, n = 0;
		unsigned tail = hoop_load_acquire(r->cq_ktail);
		struct hoop_cqe *c;
		while (n < count &&
		       (c = hoop_ring_cq_entry_inline(v, &h, tail)) != NULL) {
			cqes[n++] = c;
			h += hoop_ring_cq_steps_inline(v, c);
		}
		if (n)
			return n; /* cq_advance steps over them again */
		if (h != head)    /* padding alone: consume it */
			hoop_store_release(r->cq_khead, h);
		if (flushed || !cq_needs_flush(r))
			return 0;
		hoop_ring_get_events(r);
		flushed = true;
	}
}

void hoop_ring_cq_advance(hoop_ring *r, unsigned nr)
{
	hoop_ring_cq_advance_inline(r, nr);
}

void hoop_ring_cqe_seen(hoop_ring *r, struct hoop_cqe *cqe)
{
	hoop_ring_cqe_seen_inline(r, cqe);
}

int hoop_ring_copy_cqes(hoop_ring *r, struct hoop_cqe *out, unsigned count,
                        unsigned wait_nr)
{
	if (!out && count)
		return -EFAULT;
	if (wait_nr > count)
		return -EINVAL;
	if (wait_nr) {
		int e = wait_internal(r, NULL, true, wait_nr, NULL, NULL);
		if (e < 0)
			return e;
	} else {
		/* Publish anything prepared, and flush overflow if empty. */
		if (hoop_ring_sq_ready(r) || (!peek_cqe(r) && cq_needs_enter(r))) {
			int e = wait_internal(r, NULL, true, 0, NULL, NULL);
			if (e < 0 && e != -EAGAIN)
				return e;
		}
	}
	const struct hoop_ring_view *v = cview(r);
	unsigned head = hoop_load_relaxed(r->cq_khead), h = head, n = 0;
	unsigned tail = hoop_load_acquire(r->cq_ktail);
	struct hoop_cqe *c;
	while (n < count && (c = hoop_ring_cq_entry_inline(v, &h, tail)) != NULL) {
		out[n++] = *c;
		h += hoop_ring_cq_steps_inline(v, c);
	}
	/* Release: the CQEs are copied before the kernel reuses the slots. */
	if (h != head)
		hoop_store_release(r->cq_khead, h);
	return (int)n;
}

unsigned hoop_ring_sq_ready(const hoop_ring *r)
{
	/* Prepared SQEs the kernel has not consumed yet, published or not. */
	unsigned head = (r->setup_flags & HOOP_SETUP_SQPOLL)
	                        ? hoop_load_acquire(r->sq_khead)
	                        : hoop_load_relaxed(r->sq_khead);
	return r->sqe_tail - head;
}

unsigned hoop_ring_sq_space_left(const hoop_ring *r)
{
	return r->sq_entries - hoop_ring_sq_ready(r);
}

int hoop_ring_cq_has_overflow(const hoop_ring *r)
{
	return (hoop_load_relaxed(r->sq_kflags) & HOOP_SQ_CQ_OVERFLOW) ? 1 : 0;
}

int hoop_ring_cq_eventfd_enabled(const hoop_ring *r)
{
	if (!r->cq_kflags)
		return 1;
	return (hoop_load_relaxed(r->cq_kflags) & HOOP_CQ_EVENTFD_DISABLED) ? 0
	                                                                    : 1;
}

int hoop_ring_cq_eventfd_toggle(hoop_ring *r, int enabled)
{
	if (!r->cq_kflags)
		return -EOPNOTSUPP;
	/* The word is ours to write (the kernel only reads it); the other
	 * bits are kept. */
	unsigned f = hoop_load_relaxed(r->cq_kflags);
	unsigned nf = enabled ? f & ~HOOP_CQ_EVENTFD_DISABLED
	                      : f | HOOP_CQ_EVENTFD_DISABLED;
	if (nf != f)
		hoop_store_release(r->cq_kflags, nf);
	return 0;
}

int hoop_ring_get_events(hoop_ring *r)
{
	int e;
	do {
		e = hoop_ring_enter(r, 0, 0, HOOP_ENTER_GETEVENTS, NULL, 0);
	} while (e == -EINTR);
	return e < 0 ? e : 0;
}

int hoop_ring_sqring_wait(hoop_ring *r)
{
	if (!(r->setup_flags & HOOP_SETUP_SQPOLL))
		return -EINVAL;
	if (hoop_ring_sq_space_left(r))
		return 0;
	return hoop_ring_enter(r, 0, 0, HOOP_ENTER_SQ_WAIT, NULL, 0);
}

int hoop_ring_register_ring_fd(hoop_ring *r)
{
	/* As liburing's and the kernel's answer to a slot already taken. */
	if (r->int_flags & HOOP_INT_REG_RING)
		return -EEXIST;
	/* offset -1: let the kernel pick a free slot in the task's table. */
	struct hoop_sys_rsrc_update up = {.offset = (uint32_t)-1,
	                                  .data = (uint64_t)r->ring_fd};
	int e = hoop__sys_register(r->ring_fd, HOOP_REGISTER_RING_FDS, &up, 1);
	if (e < 0)
		return e;
	if (e != 1)
		return -EIO;
	r->enter_fd = (int)up.offset;
	r->int_flags |= HOOP_INT_REG_RING;
	return 1;
}

int hoop_ring_unregister_ring_fd(hoop_ring *r)
{
	if (!(r->int_flags & HOOP_INT_REG_RING))
		return -EINVAL;
	if (r->int_flags & HOOP_INT_REG_RING_ONLY)
		return -EINVAL; /* it is the only handle to the ring */
	struct hoop_sys_rsrc_update up = {.offset = (uint32_t)r->enter_fd};
	int e = hoop__sys_register(r->ring_fd, HOOP_UNREGISTER_RING_FDS, &up, 1);
	if (e < 0)
		return e;
	r->enter_fd = r->ring_fd;
	r->int_flags &= ~HOOP_INT_REG_RING;
	return 1;
}

int hoop_ring_enable(hoop_ring *r)
{
	return hoop_ring_register(r, HOOP_REGISTER_ENABLE_RINGS, NULL, 0);
}

/* ---- waiting with a minimum timeout (IORING_FEAT_MIN_TIMEOUT, 6.12) ---- */

/*
 * The kernel's min-timeout wait: with min_wait_usec in the getevents
 * argument it waits up to that long for `min_complete` CQEs; when the
 * minimum has passed it returns as soon as any CQE is there, and otherwise
 * keeps waiting, for one, until the overall timeout (without one it returns
 * at the minimum, CQEs or not). hoop keeps both times as deadlines of its
 * own, as wait_internal does, because an enter may end early (a timeout
 * request completing wakes every waiter): each enter asks only for what is
 * left of them, and after the minimum, with nothing there, the wait goes
 * on for one completion until the overall deadline (forever without `ts`).
 */
static int wait_min_internal(hoop_ring *r, struct hoop_cqe **cqe_out,
                             unsigned wait_nr, const struct hoop_timespec *ts,
                             unsigned min_wait_usec, const void *sigmask)
{
	struct hoop_sys_getevents_arg arg;
	struct hoop_timespec left;
	bool sqpoll = (r->setup_flags & HOOP_SETUP_SQPOLL) != 0;
	bool submit = true, expired = false;
	int submitted = 0, err = 0;
	unsigned avail = 0, slots = 0;

	if (!(r->features & HOOP_FEAT_MIN_TIMEOUT) ||
	    !(r->features & HOOP_FEAT_EXT_ARG))
		return -EOPNOTSUPP;
	if (wait_nr == 0 || wait_nr > r->cq_entries)
		return -EINVAL;
	if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000))
		return -EINVAL;

	uint64_t start = hoop__now_ns();
	uint64_t deadline = ts ? start + (uint64_t)ts->tv_sec * 1000000000ull +
	                                    (uint64_t)ts->tv_nsec
	                       : UINT64_MAX;
	uint64_t min_deadline = start + (uint64_t)min_wait_usec * 1000ull;
	if (min_deadline > deadline)
		min_deadline = deadline;

	memset(&arg, 0, sizeof(arg));
	arg.sigmask = (uint64_t)(uintptr_t)sigmask;
	arg.sigmask_sz = _NSIG / 8;

	for (;;) {
		unsigned flags = HOOP_ENTER_EXT_ARG, to_submit = 0, pending = 0;
		struct hoop_cqe *cqe = cq_state(r, wait_nr, &avail, &slots);
		uint64_t now = hoop__now_ns();
		bool min_over = now >= min_deadline;

		bool must_enter = false;
		if (submit) {
			to_submit = submit_publish(r, &pending);
			if (sqpoll)
				submitted += (int)to_submit;
			must_enter = sq_needs_enter(r, pending, &flags);
			submit = false;
		}
		/* Done: the batch is there, or the CQ is full (a CQE_MIXED
		 * ring), or the minimum is over and something is there. */
		bool done = avail >= wait_nr || slots >= r->cq_entries ||
		            (min_over && cqe);
		if (now >= deadline)
			expired = true;
		if (done || expired) {
			if (must_enter) {
				/* Hand over what was published, no wait. */
				int ret;
				do {
					ret = hoop_ring_enter(r, to_submit, 0,
					                      flags & ~HOOP_ENTER_EXT_ARG,
					                      NULL, 0);
				} while (ret == -EINTR);
				if (ret < 0)
					err = ret;
				else if (!sqpoll)
					submitted += ret;
			}
			break;
		}
		flags |= HOOP_ENTER_GETEVENTS;
		unsigned min;
		if (!min_over) {
			/* The kernel counts slots: one more per CQE missing. */
			min = slots + (wait_nr - avail);
			uint64_t rest = min_deadline - now;
			uint64_t us = (rest + 999) / 1000;
			arg.min_wait_usec = us > UINT32_MAX ? UINT32_MAX
			                                    : (uint32_t)us;
		} else {
			min = slots + 1; /* nothing there: wait for one */
			arg.min_wait_usec = 0;
		}
		if (min > r->cq_entries)
			min = r->cq_entries;
		if (deadline != UINT64_MAX) {
			uint64_t rem = deadline - now;
			left.tv_sec = (int64_t)(rem / 1000000000ull);
			left.tv_nsec = (int64_t)(rem % 1000000000ull);
			arg.ts = (uint64_t)(uintptr_t)&left;
		} else {
			arg.ts = 0;
		}
		int ret = hoop_ring_enter(r, to_submit, min, flags, &arg,
		                          sizeof(arg));
		if (ret < 0 && ret != -ETIME) {
			err = ret;
			break;
		}
		if (ret > 0 && !sqpoll)
			submitted += ret;
	}
	struct hoop_cqe *cqe = cq_state(r, wait_nr, &avail, &slots);
	if (cqe_out)
		*cqe_out = cqe;
	if (err)
		return err;
	if (cqe)
		return submitted;
	return expired ? -ETIME : -EAGAIN;
}

int hoop_ring_wait_cqes_min_timeout(hoop_ring *r, struct hoop_cqe **cqe_out,
                                    unsigned wait_nr,
                                    const struct hoop_timespec *ts,
                                    unsigned min_wait_usec, const void *sigmask)
{
	int e = wait_min_internal(r, cqe_out, wait_nr, ts, min_wait_usec, sigmask);
	return e < 0 ? e : 0;
}

int hoop_ring_submit_and_wait_min_timeout(hoop_ring *r, struct hoop_cqe **cqe_out,
                                          unsigned wait_nr,
                                          const struct hoop_timespec *ts,
                                          unsigned min_wait_usec,
                                          const void *sigmask)
{
	return wait_min_internal(r, cqe_out, wait_nr, ts, min_wait_usec, sigmask);
}

/* ---- closing the ring fd, iowait ---- */

int hoop_ring_close_ring_fd(hoop_ring *r)
{
	if (!(r->int_flags & HOOP_INT_REG_RING))
		return -EINVAL; /* the fd is the only handle: keep it */
	if (r->ring_fd < 0)
		return -EBADF; /* closed already, or never had one */
	/*
	 * Registration calls go through the registered index from now on,
	 * which the kernel accepts only with REG_REG_RING (6.3); before it,
	 * closing the fd would leave the ring unable to register anything.
	 */
	if (!(r->features & HOOP_FEAT_REG_REG_RING))
		return -EOPNOTSUPP;
	/* The mappings hold their own reference to the ring's file, so
	 * they stay valid; the registered index holds another. */
	close(r->ring_fd);
	r->ring_fd = -1;
	r->int_flags |= HOOP_INT_REG_RING_ONLY;
	return 0;
}

int hoop_ring_set_iowait(hoop_ring *r, int enabled)
{
	/* Kernels before 6.15 refuse the unknown enter flag outright. */
	if (!(r->features & HOOP_FEAT_NO_IOWAIT))
		return -EOPNOTSUPP;
	if (enabled)
		r->int_flags &= ~HOOP_INT_NO_IOWAIT;
	else
		r->int_flags |= HOOP_INT_NO_IOWAIT;
	return 0;
}

/* ---- resizing a live ring (IORING_REGISTER_RESIZE_RINGS, 6.13) ---- */

int hoop_ring_resize(hoop_ring *r, unsigned sq_entries, unsigned cq_entries)
{
	if (sq_entries == 0 || sq_entries > HOOP_MAX_SQ_ENTRIES ||
	    cq_entries > HOOP_MAX_CQ_ENTRIES)
		return -EINVAL;
	/* The kernel compares the rounded sizes: a CQ smaller than the SQ
	 * is refused. */
	if (cq_entries && round_pow2(cq_entries) < round_pow2(sq_entries))
		return -EINVAL;
	/* New rings would need new caller memory: not offered. */
	if (r->int_flags & HOOP_INT_CALLER_MEM)
		return -EOPNOTSUPP;
	/*
	 * The kernel resizes only DEFER_TASKRUN rings: there nobody but the
	 * owner thread posts to the CQ or reads the SQ outside its calls,
	 * so the entries can be copied while it holds the ring's locks.
	 */
	if (!(r->setup_flags & HOOP_SETUP_DEFER_TASKRUN))
		return -EINVAL;
	bool app_mem = (r->int_flags & HOOP_INT_APP_MEM) != 0;
	if (!app_mem && r->ring_fd < 0)
		return -EBADF; /* no fd to map the new rings from */
	/*
	 * The same sizes: nothing to do. Kernels differ here (some return
	 * early, some build and switch to new rings all the same), so do
	 * not ask: after a call that changes the sizes the rings are always
	 * new ones.
	 */
	unsigned want_sq = round_pow2(sq_entries);
	unsigned want_cq = cq_entries ? round_pow2(cq_entries) : 2 * want_sq;
	if (want_sq == r->sq_entries && want_cq == r->cq_entries)
		return 0;

	/*
	 * The kernel carries over the SQEs between its head and tail and
	 * the CQEs between head and tail, keeping the index values. SQEs
	 * prepared but not yet published would stay behind in the old
	 * array, so publish them first (without submitting: a later submit
	 * counts them as before).
	 */
	hoop__ring_flush_sq(r);

	struct hoop_sys_params p;
	memset(&p, 0, sizeof(p));
	/*
	 * Always with the CQ size spelled out (the kernel takes only CQSIZE
	 * and CLAMP here), and the mapping below sized from what we asked
	 * for: 6.18 was seen handing back cq_entries 0 for a call without
	 * CQSIZE.
	 */
	p.sq_entries = want_sq;
	p.flags = HOOP_SETUP_CQSIZE;
	p.cq_entries = want_cq;

	hoop_ring n = *r; /* the ring as it will be, built aside */
	n.sq_ring_ptr = n.cq_ring_ptr = n.sqes_ptr = NULL;
	int e;
	if (app_mem) {
		/* NO_MMAP: the new rings live in memory we provide, sized
		 * as at setup. */
		struct hoop_sys_params sz = p;
		sz.flags |= r->setup_flags &
		            (HOOP_SETUP_CQE32 | HOOP_SETUP_SQE128);
		e = alloc_app_mem(&n, want_sq, &sz);
		if (e < 0)
			return e;
		p.cq_off.user_addr = sz.cq_off.user_addr;
		p.sq_off.user_addr = sz.sq_off.user_addr;
	}

	e = hoop_ring_register(r, HOOP_REGISTER_RESIZE_RINGS, &p, 1);
	if (e < 0) {
		/* Refused (-EOVERFLOW: the entries in use do not fit): the
		 * old rings stay. */
		if (app_mem)
			ring_unmap(&n);
		return e;
	}

	/*
	 * The kernel now uses the new rings and has let go of the old ones
	 * (our old mappings still hold their pages, but nothing reads them).
	 * Map the new ones at the usual offsets and switch over.
	 */
	p.flags = r->setup_flags;
	p.features = r->features;
	p.sq_entries = want_sq; /* what was asked for, and what the */
	p.cq_entries = want_cq; /* kernel made (no CLAMP) */
	e = ring_map(&n, r->ring_fd, &p);
	if (e < 0)
		return e; /* the ring is unusable now: see hoop/ring.h */
	ring_unmap(r);
	*r = n;
	return 0;
}

/* ---- registrations between rings, and without one ---- */

/* struct io_uring_clone_buffers (6.12; offsets and nr 6.13). */
struct clone_buffers_arg {
	uint32_t src_fd;
	uint32_t flags;
	uint32_t src_off;
	uint32_t dst_off;
	uint32_t nr;
	uint32_t pad[3];
};

#define CLONE_SRC_REGISTERED 0x01u /* src_fd is a registered ring index */

int hoop_ring_clone_buffers_offset(hoop_ring *dst, hoop_ring *src, unsigned dst_off,
                                   unsigned src_off, unsigned nr, unsigned flags)
{
	if (!dst || !src || (flags & ~HOOP_CLONE_BUFFERS_REPLACE))
		return -EINVAL;
	struct clone_buffers_arg a;
	memset(&a, 0, sizeof(a));
	if (src->ring_fd >= 0) {
		a.src_fd = (uint32_t)src->ring_fd;
	} else {
		/* Only a registered index is left (hoop_ring_close_ring_fd,
		 * REGISTERED_FD_ONLY): the kernel looks it up in this task's
		 * table. */
		a.src_fd = (uint32_t)src->enter_fd;
		a.flags |= CLONE_SRC_REGISTERED;
	}
	a.flags |= flags;
	a.src_off = src_off;
	a.dst_off = dst_off;
	a.nr = nr;
	return hoop_ring_register(dst, HOOP_REGISTER_CLONE_BUFFERS, &a, 1);
}

int hoop_ring_clone_buffers(hoop_ring *dst, hoop_ring *src)
{
	return hoop_ring_clone_buffers_offset(dst, src, 0, 0, 0, 0);
}

int hoop_register_sync_msg(const struct hoop_sqe *sqe)
{
	if (!sqe)
		return -EINVAL;
	/* fd -1: a registration that belongs to no ring. */
	return hoop__sys_register(-1, HOOP_REGISTER_SEND_MSG_RING, sqe, 1);
}

_Static_assert(sizeof(struct hoop_region_desc) == 64, "io_uring_region_desc");
_Static_assert(sizeof(struct hoop_mem_region_reg) == 32, "io_uring_mem_region_"
                                                         "reg");
_Static_assert(sizeof(struct hoop_reg_wait) == 64, "io_uring_reg_wait");

int hoop_ring_register_region(hoop_ring *r, struct hoop_mem_region_reg *reg)
{
	if (!r || !reg)
		return -EINVAL;
	return hoop_ring_register(r, HOOP_REGISTER_MEM_REGION, reg, 1);
}

int hoop_ring_submit_and_wait_reg(hoop_ring *r, struct hoop_cqe **cqe_out,
                                  unsigned wait_nr, int reg_index)
{
	if (cqe_out)
		*cqe_out = NULL;
	if (!r || reg_index < 0)
		return -EINVAL;
	if (wait_nr > r->cq_entries)
		return -EINVAL;
	unsigned pending, flags = HOOP_ENTER_GETEVENTS | HOOP_ENTER_EXT_ARG |
	                          HOOP_ENTER_EXT_ARG_REG;
	unsigned to_submit = submit_publish(r, &pending);
	(void)sq_needs_enter(r, pending, &flags); /* SQPOLL: wake it */
	/* The argument is the entry's byte offset in the region. */
	size_t off = (size_t)reg_index * sizeof(struct hoop_reg_wait);
	int ret = hoop_ring_enter(r, to_submit, wait_nr, flags,
	                          (const void *)(uintptr_t)off,
	                          sizeof(struct hoop_reg_wait));
	unsigned avail, slots;
	struct hoop_cqe *c = cq_state(r, wait_nr, &avail, &slots);
	if (cqe_out)
		*cqe_out = c;
	if (ret < 0)
		return ret;
	return (r->setup_flags & HOOP_SETUP_SQPOLL) ? (int)to_submit : ret;
}

_Static_assert(sizeof(struct hoop_zcrx_ifq_reg) == 96, "io_uring_zcrx_ifq_reg");
_Static_assert(sizeof(struct hoop_zcrx_area_reg) == 48, "io_uring_zcrx_area_"
                                                        "reg");

int hoop_ring_register_ifq(hoop_ring *r, struct hoop_zcrx_ifq_reg *reg)
{
	if (!r || !reg)
		return -EINVAL;
	return hoop_ring_register(r, HOOP_REGISTER_ZCRX_IFQ, reg, 1);
}

/* ---- rings in the caller's memory ---- */

/* The params hoop_ring_create_mem sets up with: NO_MMAP added. */
static hoop_ring_params mem_params(const hoop_ring_params *p)
{
	hoop_ring_params q;
	if (p)
		q = *p;
	else
		memset(&q, 0, sizeof(q));
	q.flags |= HOOP_SETUP_NO_MMAP;
	return q;
}

int64_t hoop_ring_memory_size(unsigned entries, const hoop_ring_params *p)
{
	if (entries == 0 ||
	    (p && (p->flags & HOOP_SETUP_CQSIZE) && p->cq_entries == 0))
		return -EINVAL;
	if (entries > HOOP_MAX_SQ_ENTRIES && !(p && (p->flags & HOOP_SETUP_CLAMP)))
		return -EINVAL;
	hoop_ring_params q = mem_params(p);
	struct hoop_sys_params sp;
	memset(&sp, 0, sizeof(sp));
	sp.flags = q.flags;
	sp.cq_entries = q.cq_entries;
	size_t ring_sz, sqes_sz;
	app_mem_sizes(entries, &sp, &ring_sz, &sqes_sz);
	return (int64_t)(ring_sz + sqes_sz);
}

int hoop_ring_create_mem(hoop_ring **out, unsigned entries,
                         const hoop_ring_params *p, void *buf, size_t buf_size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	if (!out || !buf || ((uintptr_t)buf & (pg - 1)))
		return -EINVAL;
	int64_t need = hoop_ring_memory_size(entries, p);
	if (need < 0)
		return (int)need;
	if ((uint64_t)need > buf_size)
		return -ENOMEM;
	hoop_ring_params q = mem_params(p);
	/* Sized for `entries` exactly: no shrinking into a smaller ring. */
	q.min_entries = entries;
	caller_mem.mem = buf;
	caller_mem.size = buf_size;
	int e = hoop_ring_create(out, entries, &q);
	caller_mem.mem = NULL;
	caller_mem.size = 0;
	return e;
}

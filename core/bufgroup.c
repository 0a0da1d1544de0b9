/*
 * core/bufgroup.c - provided-buffer groups: a registered buffer ring where
 * the kernel has one (5.19+), else buffers handed over with
 * IORING_OP_PROVIDE_BUFFERS.
 *
 * Ring mode. The kernel consumes ring entries in order from its head; we
 * append at our tail, a 16-bit counter stored in the `resv` field of entry 0
 * with a release store (the entry must be complete before the kernel can
 * see the tail move). We keep a 32-bit logical tail and, per buffer, the
 * logical position where it was last published, so a buffer is out exactly
 * when its position is behind the kernel's head. The head is not in shared
 * memory: we learn it from completions the loop shows us (the kernel takes
 * entries in order, so a completion naming the buffer at position p means
 * the head is past p), from hoop_bufgroup_bundle, and from the kernel itself
 * (IORING_REGISTER_PBUF_STATUS, 6.8+) when a give-back names a buffer we have
 * not seen go out. That is how a double give-back is told from a first one
 * without a syscall on the common path.
 *
 * LEGACY mode has no head to ask for: a buffer is out once hoop has seen a
 * completion for it (the loop, or hoop_bufgroup_bundle).
 *
 * Give-backs are serialized by one mutex per group (uncontended, that is
 * one atomic operation on the way in and one on the way out).
 */
#include "engine_internal.h"
#include "net_internal.h"
#include "ring_internal.h"

#include "hoop/inline.h"
#include "hoop/prep.h"
#include "hoop/register.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BG_MAX_COUNT 32768u
#define BG_MAX_SIZE 0x80000000u
#define BG_KNOWN_FLAGS HOOP_BUFGROUP_LEGACY

struct hoop_bufgroup {
	hoop_ring *ring;     /* the ring the group lives on */
	hoop_engine *engine; /* set for engine groups (submissions go there) */
	struct hoop_bufgroup *next; /* in the registry of groups in use */
	uint16_t bgid;
	int mode;
	unsigned count, size, mask;
	unsigned char *bufs;
	size_t bufs_len;
	struct hoop_buf *br; /* ring mode: the shared ring */
	size_t br_len;

	pthread_mutex_t lock;
	uint32_t tail;       /* ring: entries ever published */
	uint32_t known_head; /* ring: no later than the kernel's head */
	int head_query;      /* PBUF_STATUS: 1 works, -1 refused, 0 untried */
	uint32_t *pos;       /* ring: where each buffer was last published */
	uint8_t *out;        /* each buffer: known to be out of the kernel */
	unsigned nout;       /* LEGACY: buffers known out */
};

/* ---- groups in use, by (ring, bgid): the kernel does not refuse a second
 * LEGACY group on a bgid (it just adds buffers to the first) ---- */

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static hoop_bufgroup *reg_head;

static int reg_add(hoop_bufgroup *g)
{
	pthread_mutex_lock(&reg_lock);
	for (hoop_bufgroup *x = reg_head; x; x = x->next) {
		if (x->ring == g->ring && x->bgid == g->bgid) {
			pthread_mutex_unlock(&reg_lock);
			return -EEXIST;
		}
	}
	g->next = reg_head;
	reg_head = g;
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

static void reg_del(hoop_bufgroup *g)
{
	pthread_mutex_lock(&reg_lock);
	for (hoop_bufgroup **p = &reg_head; *p; p = &(*p)->next) {
		if (*p == g) {
			*p = g->next;
			break;
		}
	}
	pthread_mutex_unlock(&reg_lock);
}

void hoop__bufgroup_ring_gone(hoop_ring *ring)
{
	pthread_mutex_lock(&reg_lock);
	for (hoop_bufgroup **p = &reg_head; *p;) {
		hoop_bufgroup *g = *p;
		if (g->ring == ring) {
			*p = g->next;
			g->next = NULL;
			g->ring = NULL;
		} else {
			p = &g->next;
		}
	}
	pthread_mutex_unlock(&reg_lock);
}

/* ---- synchronous operations (LEGACY) ---- */

void (*hoop__bufgroup_presubmit)(hoop_ring *ring);

static inline struct hoop_cqe *cqe_at(const hoop_ring *r, unsigned idx)
{
	return &r->cqes[(idx & r->cq_mask) << r->cqe_shift];
}

/*
 * Take the newest CQE with user_data `ud` out of the CQ. Entries between the
 * head and the tail belong to user space, so the older ones are moved up
 * one place and the head advanced by one: the caller's other completions
 * stay, in order.
 */
/*
 * On a CQE_MIXED ring entries differ in size (a 32-byte CQE must not cross
 * the ring's end), so none can be moved: the match becomes padding
 * (HOOP_CQE_F_SKIP), which every reaping path steps over.
 */
static bool cq_extract_mixed(hoop_ring *r, unsigned head, unsigned tail,
                             uint64_t ud, int32_t *res)
{
	const struct hoop_ring_view *v = hoop_ring_view_of(r);
	struct hoop_cqe *c, *found = NULL;
	while ((c = hoop_ring_cq_entry_inline(v, &head, tail)) != NULL) {
		if (c->user_data == ud)
			found = c;
		head += hoop_ring_cq_steps_inline(v, c);
	}
	if (!found)
		return false;
	*res = found->res;
	for (unsigned i = hoop_ring_cq_steps_inline(v, found); i-- > 0;) {
		found[i].user_data = 0;
		found[i].res = 0;
		found[i].flags = HOOP_CQE_F_SKIP;
	}
	return true;
}

static bool cq_extract(hoop_ring *r, uint64_t ud, int32_t *res)
{
	unsigned head = hoop_load_relaxed(r->cq_khead);
	unsigned tail = hoop_load_acquire(r->cq_ktail);
	if (r->cq_mixed)
		return cq_extract_mixed(r, head, tail, ud, res);
	size_t esz = sizeof(struct hoop_cqe) << r->cqe_shift;
	for (unsigned i = tail; i != head;) {
		i--;
		if (cqe_at(r, i)->user_data != ud)
			continue;
		*res = cqe_at(r, i)->res;
		for (unsigned j = i; j != head; j--)
			memcpy(cqe_at(r, j), cqe_at(r, j - 1), esz);
		hoop_store_release(r->cq_khead, head + 1);
		return true;
	}
	return false;
}

/* Submit `sqe` (already filled) on the ring and wait for its result. */
static int ring_run_one(hoop_ring *r, const struct hoop_sqe *src)
{
	void (*hook)(hoop_ring *) = __atomic_load_n(&hoop__bufgroup_presubmit,
	                                            __ATOMIC_ACQUIRE);
	if (hook)
		hook(r);
	struct hoop_sqe *sqe = hoop_ring_get_sqe(r);
	if (!sqe) {
		int s = hoop_ring_submit(r);
		if (s < 0 && s != -EBUSY && s != -EAGAIN)
			return s;
		sqe = hoop_ring_get_sqe(r);
		if (!sqe)
			return -EBUSY;
	}
	*sqe = *src;
	sqe->user_data = HOOP_BUFGROUP_UD;
	int s = 0;
	for (int i = 0; i < 100; i++) {
		s = hoop_ring_submit(r);
		if (s != -EBUSY && s != -EAGAIN)
			break;
		/* The kernel wants its overflow backlog flushed first. */
		hoop_ring_get_events(r);
	}
	if (s == -EBUSY || s == -EAGAIN)
		return 0; /* queued: it goes in with the owner's next submit */
	if (s < 0)
		return s;
	/*
	 * Provide and remove run inline during submit, so the result is in
	 * the CQ when submit returns; with SQPOLL it arrives a little later.
	 * If the CQ is full the result sits in the kernel's overflow backlog
	 * and cannot be reached without consuming the owner's completions:
	 * take it as done (these operations fail only on bad arguments, which
	 * were checked); the late CQE carries HOOP_BUFGROUP_UD.
	 */
	for (int i = 0; i < 100000; i++) {
		int32_t res;
		if (cq_extract(r, HOOP_BUFGROUP_UD, &res))
			return res;
		/* The kernel counts slots (CQE_MIXED: not CQEs). */
		unsigned used = hoop_load_acquire(r->cq_ktail) -
		                hoop_load_relaxed(r->cq_khead);
		if (used >= r->cq_entries)
			return 0;
		int e = hoop_ring_enter(r, 0, used + 1, HOOP_ENTER_GETEVENTS,
		                        NULL, 0);
		if (e < 0 && e != -EINTR && e != -ETIME)
			return e;
	}
	return -ETIME;
}

static int run_sync(hoop_bufgroup *g, const struct hoop_sqe *sqe)
{
	if (!g->engine)
		return ring_run_one(g->ring, sqe);
	struct hoop_op op;
	hoop_op_from_sqe(&op, sqe);
	uint64_t tok;
	int r = hoop_engine_submit(g->engine, &op, 1, &tok, 0);
	if (r < 0)
		return r;
	struct hoop_completion c;
	r = hoop_engine_wait(g->engine, tok, &c, -1);
	return r < 0 ? r : c.res;
}

static int legacy_provide(hoop_bufgroup *g, unsigned bid, unsigned nr)
{
	struct hoop_sqe sqe;
	hoop_prep_provide_buffers(&sqe, g->bufs + (size_t)bid * g->size,
	                          (int)g->size, (int)nr, g->bgid, (int)bid);
	int r = run_sync(g, &sqe);
	return r < 0 ? r : 0;
}

/* ---- ring mode ---- */

static inline bool before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* Write buffer `bid` at the tail (not yet visible to the kernel). */
static void publish_locked(hoop_bufgroup *g, unsigned bid)
{
	uint32_t t = g->tail;
	struct hoop_buf *b = &g->br[t & g->mask];
	b->addr = (uint64_t)(uintptr_t)(g->bufs + (size_t)bid * g->size);
	b->len = g->size;
	b->bid = (uint16_t)bid;
	g->pos[bid] = t;
	g->out[bid] = 0;
	g->tail = t + 1;
}

/* Make every entry written so far visible to the kernel. */
static void publish_tail_locked(hoop_bufgroup *g)
{
	/* Release: the entries are written before the kernel sees the tail. */
	__atomic_store_n(&g->br[0].resv, (uint16_t)g->tail, __ATOMIC_RELEASE);
}

/* Ask the kernel for its head; 0, or -errno when it cannot tell. */
static int refresh_head_locked(hoop_bufgroup *g)
{
	if (g->head_query < 0)
		return -EOPNOTSUPP;
	uint16_t h;
	int r = hoop_ring_buf_ring_head(g->ring, &h, g->bgid);
	if (r < 0) {
		if (g->head_query == 0 && (r == -EINVAL || r == -EOPNOTSUPP))
			g->head_query = -1; /* before 6.8 */
		return r;
	}
	g->head_query = 1;
	/* tail - head never exceeds count (<= 32768), so the 16-bit head
	 * names one logical position. */
	uint32_t logical = g->tail - (uint16_t)((uint16_t)g->tail - h);
	if (before(g->known_head, logical))
		g->known_head = logical;
	return 0;
}

static bool known_out_locked(const hoop_bufgroup *g, unsigned bid)
{
	if (g->out[bid])
		return true;
	return g->mode == HOOP_BUFGROUP_MODE_RING &&
	       before(g->pos[bid], g->known_head);
}

/* Record that `n` buffers starting with `bid` (in ring order) are out. */
static void note_locked(hoop_bufgroup *g, unsigned bid, unsigned n)
{
	if (g->mode != HOOP_BUFGROUP_MODE_RING) {
		if (!g->out[bid]) {
			g->out[bid] = 1;
			g->nout++;
		}
		return;
	}
	uint32_t p = g->pos[bid];
	for (unsigned i = 0; i < n; i++)
		g->out[g->br[(p + i) & g->mask].bid] = 1;
	if (before(g->known_head, p + n))
		g->known_head = p + n;
}

static unsigned pieces(const hoop_bufgroup *g, int32_t res)
{
	if (res <= 0)
		return 1;
	return (unsigned)(((uint64_t)res + g->size - 1) / g->size);
}

void hoop__bufgroup_note(hoop_bufgroup *g, unsigned bid, int32_t res)
{
	if (!g || bid >= g->count)
		return;
	unsigned n = pieces(g, res);
	if (n > g->count)
		return;
	pthread_mutex_lock(&g->lock);
	note_locked(g, bid, n);
	pthread_mutex_unlock(&g->lock);
}

hoop_ring *hoop__bufgroup_ring(const hoop_bufgroup *g) { return g->ring; }

/* ---- create / destroy ---- */

static size_t page_round(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	return (n + pg - 1) & ~(pg - 1);
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void group_free(hoop_bufgroup *g)
{
	if (g->bufs)
		munmap(g->bufs, g->bufs_len);
	if (g->br)
		munmap(g->br, g->br_len);
	free(g->pos);
	free(g->out);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static int setup_ring_mode(hoop_bufgroup *g)
{
	g->br_len = page_round((size_t)g->count * sizeof(struct hoop_buf));
	g->br = map_anon(g->br_len);
	if (!g->br)
		return -ENOMEM;
	int r = hoop_ring_register_buf_ring(g->ring, g->br, g->count, g->bgid, 0);
	if (r < 0) {
		munmap(g->br, g->br_len);
		g->br = NULL;
		return r;
	}
	for (unsigned i = 0; i < g->count; i++)
		publish_locked(g, i);
	publish_tail_locked(g);
	return 0;
}

static int create_common(hoop_bufgroup **out, hoop_ring *ring, hoop_engine *e,
                         uint16_t bgid, unsigned count, unsigned size,
                         unsigned flags)
{
	if (!out || !ring || count == 0 || count > BG_MAX_COUNT ||
	    (count & (count - 1)) || size == 0 || size > BG_MAX_SIZE ||
	    (flags & ~BG_KNOWN_FLAGS))
		return -EINVAL;
	/* The provide operation takes the length as an int. */
	if ((flags & HOOP_BUFGROUP_LEGACY) && size > 0x7fffffffu)
		return -EINVAL;
	hoop_bufgroup *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->ring = ring;
	g->engine = e;
	g->bgid = bgid;
	g->count = count;
	g->size = size;
	g->mask = count - 1;
	pthread_mutex_init(&g->lock, NULL);
	g->pos = calloc(count, sizeof(*g->pos));
	g->out = calloc(count, sizeof(*g->out));
	g->bufs_len = page_round((size_t)count * size);
	g->bufs = map_anon(g->bufs_len);
	if (!g->pos || !g->out || !g->bufs) {
		group_free(g);
		return -ENOMEM;
	}
	int r = reg_add(g);
	if (r < 0) {
		group_free(g);
		return r;
	}
	r = -EINVAL;
	if (!(flags & HOOP_BUFGROUP_LEGACY)) {
		g->mode = HOOP_BUFGROUP_MODE_RING;
		r = setup_ring_mode(g);
	}
	/* Kernels before 5.19 do not know the registration: EINVAL. */
	if (r == -EINVAL || r == -EOPNOTSUPP) {
		g->mode = HOOP_BUFGROUP_MODE_PROVIDE;
		r = legacy_provide(g, 0, count);
	}
	if (r < 0) {
		reg_del(g);
		group_free(g);
		return r;
	}
	*out = g;
	return 0;
}

int hoop_bufgroup_create(hoop_bufgroup **out, hoop_ring *ring, uint16_t bgid,
                         unsigned count, unsigned size, unsigned flags)
{
	return create_common(out, ring, NULL, bgid, count, size, flags);
}

int hoop_bufgroup_create_engine(hoop_bufgroup **out, hoop_engine *e, uint16_t bgid,
                                unsigned count, unsigned size, unsigned flags)
{
	if (!e)
		return -EINVAL;
	int r = hoop__engine_check(e);
	if (r < 0)
		return r;
	if (!e->ring)
		return -EOPNOTSUPP; /* the thread pool cannot select buffers */
	return create_common(out, e->ring, e, bgid, count, size, flags);
}

void hoop_bufgroup_destroy(hoop_bufgroup *g)
{
	if (!g)
		return;
	if (!g->ring) {
		/* Its loop is gone, and the ring with it: only memory left. */
		group_free(g);
		return;
	}
	if (g->mode == HOOP_BUFGROUP_MODE_RING) {
		hoop_ring_unregister_buf_ring(g->ring, g->bgid);
	} else {
		struct hoop_sqe sqe;
		hoop_prep_remove_buffers(&sqe, (int)g->count, g->bgid);
		run_sync(g, &sqe);
	}
	reg_del(g);
	group_free(g);
}

/* ---- queries ---- */

uint16_t hoop_bufgroup_id(const hoop_bufgroup *g) { return g ? g->bgid : 0; }
unsigned hoop_bufgroup_count(const hoop_bufgroup *g)
{
	return g ? g->count : 0;
}
unsigned hoop_bufgroup_size(const hoop_bufgroup *g) { return g ? g->size : 0; }
int hoop_bufgroup_mode(const hoop_bufgroup *g) { return g ? g->mode : -EINVAL; }

int hoop_bufgroup_cqe_bid(uint32_t cqe_flags)
{
	if (!(cqe_flags & HOOP_CQE_F_BUFFER))
		return -ENOBUFS;
	return (int)(cqe_flags >> HOOP_CQE_BUFFER_SHIFT);
}

void *hoop_bufgroup_buf(hoop_bufgroup *g, unsigned bid)
{
	if (!g || bid >= g->count)
		return NULL;
	return g->bufs + (size_t)bid * g->size;
}

int hoop_bufgroup_bundle(hoop_bufgroup *g, unsigned bid, int32_t res,
                         struct iovec *iov, uint16_t *bids, unsigned max)
{
	if (!g || bid >= g->count || res <= 0 || !iov)
		return -EINVAL;
	unsigned n = pieces(g, res);
	if (n > g->count)
		return -EINVAL;
	if (g->mode != HOOP_BUFGROUP_MODE_RING && n > 1)
		return -EINVAL; /* the kernel fills one provided buffer at a time */
	if (n > max)
		return -ENOSPC;
	pthread_mutex_lock(&g->lock);
	uint32_t p = g->pos[bid];
	if (g->mode == HOOP_BUFGROUP_MODE_RING && before(g->tail, p + n)) {
		pthread_mutex_unlock(&g->lock);
		return -EINVAL; /* more than was ever published after bid */
	}
	note_locked(g, bid, n);
	for (unsigned i = 0; i < n; i++) {
		unsigned b = g->mode == HOOP_BUFGROUP_MODE_RING
		                     ? g->br[(p + i) & g->mask].bid
		                     : bid;
		iov[i].iov_base = g->bufs + (size_t)b * g->size;
		iov[i].iov_len = i + 1 < n ? g->size
		                           : (size_t)res - (size_t)i * g->size;
		if (bids)
			bids[i] = (uint16_t)b;
	}
	pthread_mutex_unlock(&g->lock);
	return (int)n;
}

int hoop_bufgroup_return(hoop_bufgroup *g, unsigned bid)
{
	if (!g || bid >= g->count)
		return -EINVAL;
	if (!g->ring)
		return -ESHUTDOWN; /* its loop was destroyed */
	pthread_mutex_lock(&g->lock);
	if (!known_out_locked(g, bid)) {
		/* Not seen going out: ask the kernel where its head is. */
		if (g->mode != HOOP_BUFGROUP_MODE_RING ||
		    refresh_head_locked(g) < 0 || !known_out_locked(g, bid)) {
			pthread_mutex_unlock(&g->lock);
			return -EALREADY;
		}
	}
	int r = 0;
	if (g->mode == HOOP_BUFGROUP_MODE_RING) {
		publish_locked(g, bid);
		publish_tail_locked(g);
	} else {
		r = legacy_provide(g, bid, 1);
		if (r == 0) {
			g->out[bid] = 0;
			g->nout--;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return r;
}

unsigned hoop_bufgroup_available(hoop_bufgroup *g)
{
	if (!g)
		return 0;
	pthread_mutex_lock(&g->lock);
	unsigned n;
	if (!g->ring) {
		n = 0;
	} else if (g->mode == HOOP_BUFGROUP_MODE_RING) {
		refresh_head_locked(g);
		n = g->tail - g->known_head;
	} else {
		n = g->count - g->nout;
	}
	pthread_mutex_unlock(&g->lock);
	return n;
}

/*
 * core/engine.c - hoop_engine: one engine shared by many threads. This file
 * is the part common to both backends: the submit calls (checks, slots,
 * the inline path, handing the rest to the backend), delivery of results
 * to their target (wait, callback or queue), waiting, release and cancel,
 * creation and destruction, metrics.
 *
 * Elsewhere: the slot table and tokens (slots.c), the io_uring backend
 * (backend_uring.c: SQ, CQ, the engine thread), the thread-pool backend
 * (backend_pool.c, over the pool of backend_threads.c), clocks and futexes
 * (clock.c), queues (queue.c). engine_internal.h has the backend interface.
 *
 * Locks, never nested except as noted:
 *   submit_lock  the SQ side of the ring (get SQE, publish, enter to submit)
 *   drain_lock   the CQ side (copy CQEs out, advance the head, dispatch);
 *                callbacks and queue pushes run under it
 *   the slot table's lock (slots.c): the free list and the room condition
 * A thread holding drain_lock may take the slot lock (to free a slot) or a
 * queue's lock; a thread holding submit_lock may take the slot lock only when
 * nothing else (it never does today). Nothing waits on drain_lock while
 * holding submit_lock, except hoop_engine_destroy's final drain.
 */
#include "engine_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hoop/prep.h"

#define DEFAULT_SPIN_US 20u

_Static_assert(sizeof(struct hoop_op) == 64, "hoop_op is 64 bytes");
_Static_assert(sizeof(struct hoop_completion) == 24, "completion is 24 bytes");
_Static_assert(sizeof(struct hoop_engine_metrics) == 15 * 8, "metrics");
_Static_assert(sizeof(hoop_engine_params) == 16 * 4, "engine params");

/* ---- small helpers ---- */

static _Atomic unsigned fork_generation;
/* For hoop__engine_check_inline (engine_internal.h). */
_Atomic unsigned *const hoop__fork_generation_p = &fork_generation;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
	atomic_fetch_add_explicit(&fork_generation, 1, memory_order_relaxed);
}

static void install_fork_handler(void)
{
	pthread_atfork(NULL, NULL, on_fork_child);
}

#define LOAD(p) atomic_load_explicit((p), memory_order_relaxed)
#define ADD(p, v) atomic_fetch_add_explicit((p), (v), memory_order_relaxed)

void hoop__lock_slow(hoop_lock *l)
{
	/* Held: mark it contended and sleep until it is free (Drepper's
	 * "futexes are tricky", mutex 3). */
	while (atomic_exchange_explicit(&l->v, 2, memory_order_acquire) != 0)
		hoop__futex_wait(&l->v, 2, -1);
}

int hoop__callers_active(hoop_engine *e)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < HOOP_STRIPES; i++)
		n += atomic_load_explicit(&e->stripes[i].callers,
		                          memory_order_acquire);
	/* And the one-op submits and waits inside a result cell. */
	n += hoop__cells_busy(e->cells);
	return (int32_t)n;
}

/* The sum of one stripe counter (at offset off) over the stripes. */
static uint64_t stripe_sum(hoop_engine *e, size_t off)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < HOOP_STRIPES; i++)
		sum += LOAD((_Atomic uint64_t *)((char *)&e->stripes[i] + off));
	return sum;
}
#define STRIPE_SUM(e, field) stripe_sum(e, offsetof(struct hoop_stripe, field))

int hoop__engine_check(hoop_engine *e) { return hoop__engine_check_inline(e); }

/* ---- what every backend is asked ---- */

void hoop__engine_reap_some(hoop_engine *e) { e->be->reap(e); }

void hoop__engine_flush_pending(hoop_engine *e) { e->be->flush_pending(e); }

int hoop_engine_flush(hoop_engine *e)
{
	if (!e)
		return -EINVAL;
	if (LOAD(&fork_generation) != e->fork_gen)
		return -ECHILD;
	return e->be->flush(e);
}

/* ---- completion side ---- */

void hoop__engine_deliver_slot(hoop_engine *e, struct hoop_slot *s,
                               uint64_t token, int32_t res, uint32_t cflags)
{
	bool final = !(cflags & HOOP_CQE_F_MORE);
	bool callback = s->to.kind != DELIVER_WAIT;
	/* Counted before the result is visible to its owner (the delivery
	 * releases it): an owner that has its result also finds it counted
	 * (engine_wait_timeout_threads read completed one short in a CI run
	 * the other way round). Only final results end an op; a wait-
	 * delivered op gets only its final one. */
	if (final) {
		atomic_fetch_sub_explicit(&e->inflight, 1, memory_order_relaxed);
		ADD(&hoop__stripe(e)->completed, 1);
	} else if (!callback) {
		return;
	}
	hoop__engine_deliver_counted(e, s, token, res, cflags);
}

void hoop__engine_deliver_counted(hoop_engine *e, struct hoop_slot *s,
                                  uint64_t token, int32_t res, uint32_t cflags)
{
	bool more = (cflags & HOOP_CQE_F_MORE) != 0;
	if (s->to.kind == DELIVER_WAIT) {
		if (!more) /* only the final result is delivered by waiting */
			hoop__engine_deliver_wait(e, s, res, cflags);
		return;
	}
	/* A callback or a queue. */
	struct hoop_completion c = {s->user_data, token, res, cflags};
	if (!more) {
		/* Ended: from now on its token is stale (wait, release and
		 * cancel answer -ENOENT), also while the owner already holds
		 * the result and the slot is not yet free. */
		atomic_store_explicit(&s->state, SLOT_DONE | SLOT_RELEASED,
		                      memory_order_relaxed);
	}
	s->to.fn(s->to.arg, &c); /* the callback, or the queue's push */
	if (!more)
		hoop__slot_free(&e->tab, s);
}

void hoop__engine_deliver_wake(hoop_engine *e, struct hoop_slot *s, uint32_t old)
{
	if (old & SLOT_RELEASED) {
		/* A waiter that slept before the release looks again (and
		 * gives up): nobody else would wake it. */
		if (old & SLOT_WAITER)
			hoop__futex_wake(&s->state, INT_MAX);
		hoop__slot_free(&e->tab, s);
	} else if (old & SLOT_WAITER) {
		hoop__futex_wake(&s->state, 1);
		ADD(&e->m_wakeups, 1);
	}
}

void hoop__engine_dispatch(hoop_engine *e, uint64_t ud, int32_t res, uint32_t cflags)
{
	uint32_t gen;
	struct hoop_slot *s = hoop__slot_of(&e->tab, ud, &gen);
	if (!s) {
		ADD(&e->m_unknown, 1);
		return;
	}
	/* Acquire pairs with the submitter's release of INFLIGHT: the slot's
	 * fields written before the SQE was published are visible. */
	uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
	if ((st & SLOT_STATE_MASK) != SLOT_INFLIGHT || LOAD(&s->gen) != gen) {
		ADD(&e->m_unknown, 1);
		return;
	}
	/* After a lost completion every ring op ends with the ring's error
	 * (dead_quiesce), delivered as its CQE shows the kernel is done. */
	int dead = LOAD(&e->dead);
	if (dead && !(cflags & HOOP_CQE_F_MORE))
		res = dead;
	hoop__engine_deliver_slot(e, s, ud, res, cflags);
}

void hoop__engine_deliver(void *ctx, uint64_t token, int32_t res)
{
	hoop_engine *e = ctx;
	const uint32_t flags = 0;
	/*
	 * A pool worker delivers each of its tokens exactly once, and a wait
	 * or queue delivery touches only the slot (atomically) and the queue
	 * (under its own lock): no need to queue up behind the reapers on
	 * drain_lock. Callbacks are promised drain_lock, so they take it.
	 */
	uint32_t gen;
	struct hoop_slot *s = hoop__slot_of(&e->tab, token, &gen);
	if (s) {
		uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
		if ((st & SLOT_STATE_MASK) == SLOT_INFLIGHT &&
		    LOAD(&s->gen) == gen && s->to.kind != DELIVER_CALLBACK) {
			hoop__engine_deliver_slot(e, s, token, res, flags);
			ADD(&hoop__stripe(e)->cqes, 1);
			return;
		}
	}
	hoop__lock(&e->drain_lock);
	hoop__engine_dispatch(e, token, res, flags);
	hoop__unlock(&e->drain_lock);
	ADD(&hoop__stripe(e)->cqes, 1);
}

static uint64_t slot_arm_state(hoop_engine *e, unsigned idx, uint64_t tag,
                               const struct hoop_target *to, uint32_t state,
                               int32_t res)
{
	return hoop__slot_arm(&e->tab, idx, tag, to, state, res);
}

/* ---- the inline fast path (engine_inline.c) ---- */

/* Whether a call of n ops tries the inline path: up to the backend's
 * inline_max (backend_uring.c and backend_pool.c say why). */
static bool inline_wanted(const hoop_engine *e, unsigned n)
{
	return e->inline_rw && n <= e->be->inline_max;
}

/*
 * Deliver op i's inline result: in its slot idx[i] for a waiter, or pushed
 * to the queue (the slot only lends its index and a fresh generation to
 * the token). Sets tokens[i] (if tokens is not NULL).
 */
static inline __attribute__((always_inline)) void
inline_commit(hoop_engine *e, const struct hoop_op *op, int32_t res,
              unsigned idx, uint64_t *token, const struct hoop_target *to)
{
	/* Counted once: the metrics add inline_ops to both submitted and
	 * completed. Before the result is visible (as deliver_slot does). */
	ADD(&hoop__stripe(e)->inline_ops, 1);
	if (to->kind == DELIVER_WAIT) {
		/* The owner has no token yet, so nobody waits on the slot. */
		*token = slot_arm_state(e, idx, op->user_data, to, SLOT_DONE, res);
		return;
	}
	struct hoop_slot *s = &e->tab.slots[idx];
	uint64_t t = hoop__slot_next_gen(&e->tab, idx);
	if (token)
		*token = t;
	struct hoop_completion c = {op->user_data, t, res, 0};
	to->fn(to->arg, &c); /* the queue's push */
	hoop__slot_free(&e->tab, s);
}

/*
 * The ops of a submit call as hoop_op records: src->ops itself, or what the
 * fill callback writes, copied into buf (n records).
 */
static const struct hoop_op *src_ops(const struct hoop_submit_src *src,
                                     unsigned n, struct hoop_op *buf)
{
	if (src->ops)
		return src->ops;
	for (unsigned i = 0; i < n; i++) {
		struct hoop_sqe sqe;
		hoop_prep_nop(&sqe);
		src->fill(src->fill_arg, &sqe, i);
		memcpy(&buf[i], &sqe, sizeof(sqe));
	}
	return buf;
}

static int submit_counted(hoop_engine *e, const struct hoop_submit_src *src,
                          unsigned n, uint64_t *tokens, unsigned flags,
                          const struct hoop_target *to);
static int submit_routed(hoop_engine *e, const struct hoop_submit_src *src,
                         unsigned n, uint64_t *tokens, unsigned flags,
                         const struct hoop_target *to, const unsigned *idx);
static int submit_inline(hoop_engine *e, const struct hoop_op *ops, unsigned n,
                         uint64_t *tokens, unsigned flags,
                         const struct hoop_target *to, const unsigned *idx);

static bool ops_refused(const struct hoop_op *ops, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (hoop__engine_flags_refused(ops[i].sqe_flags))
			return true;
	return false;
}

static int submit_common(hoop_engine *e, const struct hoop_submit_src *src,
                         unsigned n, uint64_t *tokens, unsigned flags,
                         const struct hoop_target *to)
{
	if (!e)
		return -EINVAL;
	/*
	 * Count ourselves among the engine's callers before looking at it:
	 * destroy waits until no caller is left before freeing anything, so
	 * a submitter asleep waiting for room cannot wake up in freed memory.
	 */
	struct hoop_stripe *caller = hoop__caller_in(e);
	int r = submit_counted(e, src, n, tokens, flags, to);
	hoop__caller_out(caller);
	return r;
}

static int submit_counted(hoop_engine *e, const struct hoop_submit_src *src,
                          unsigned n, uint64_t *tokens, unsigned flags,
                          const struct hoop_target *to)
{
	unsigned stack_idx[64], *idx = stack_idx;
	int err;

	if ((err = hoop__engine_check(e)) < 0)
		return err;
	if (n == 0)
		return 0;
	if (!tokens && to->kind == DELIVER_WAIT)
		return -EINVAL;
	if (n > e->tab.n || n > e->sq_limit)
		return -EINVAL;
	if (src->ops && ops_refused(src->ops, n))
		return -EINVAL;
	if (n > 64) {
		idx = malloc(n * sizeof(*idx));
		if (!idx)
			return -ENOMEM;
	}
	err = hoop__slots_take(&e->tab, n, flags & HOOP_SUBMIT_NOWAIT, idx);
	if (err < 0)
		goto out;
	if (inline_wanted(e, n) && to->kind != DELIVER_CALLBACK && src->ops)
		err = submit_inline(e, src->ops, n, tokens, flags, to, idx);
	else
		err = submit_routed(e, src, n, tokens, flags, to, idx);
out:
	if (idx != stack_idx)
		free(idx);
	return err;
}

/* Submit to the backend; slots are taken. */
static int submit_routed(hoop_engine *e, const struct hoop_submit_src *src,
                         unsigned n, uint64_t *tokens, unsigned flags,
                         const struct hoop_target *to, const unsigned *idx)
{
	return e->be->submit(e, src, n, tokens, flags, to, idx);
}

int hoop__engine_submit_records(hoop_engine *e, const struct hoop_submit_src *src,
                                unsigned n, uint64_t *tokens, unsigned flags,
                                const struct hoop_target *to,
                                const unsigned *idx, hoop__records_fn go)
{
	/* The pool takes hoop_op records and needs every token. */
	uint64_t stack_tok[64], *tok = tokens ? tokens : stack_tok;
	struct hoop_op *buf = NULL;
	int err;
	if ((!tokens && n > 64 && !(tok = malloc(n * sizeof(*tok)))) ||
	    (!src->ops && !(buf = malloc(n * sizeof(*buf))))) {
		hoop__slots_untake(&e->tab, idx, n);
		err = -ENOMEM;
	} else {
		const struct hoop_op *ops = src_ops(src, n, buf);
		if (!src->ops && ops_refused(ops, n)) {
			hoop__slots_untake(&e->tab, idx, n);
			err = -EINVAL;
		} else {
			err = go(e, ops, n, tok, flags, to, idx);
		}
	}
	free(buf);
	if (tok != tokens && tok != stack_tok)
		free(tok);
	return err;
}

/*
 * Wait or queue delivery: complete inline what can be (inline_try), submit
 * the rest as usual. The inline results are delivered only once the rest
 * is accepted, so a call that fails has delivered nothing. Slots are taken.
 */
static int submit_inline(hoop_engine *e, const struct hoop_op *ops, unsigned n,
                         uint64_t *tokens, unsigned flags,
                         const struct hoop_target *to, const unsigned *idx)
{
	int32_t stack_res[64], *res = stack_res;
	struct hoop_submit_src src = {ops, NULL, NULL};
	if (n > 64 && !(res = malloc(n * sizeof(*res))))
		return submit_routed(e, &src, n, tokens, flags, to, idx);
	unsigned k = hoop__inline_try(ops, n, res);
	int err = (int)n;
	if (k == 0) {
		err = submit_routed(e, &src, n, tokens, flags, to, idx);
	} else if (k == n) {
		for (unsigned i = 0; i < n; i++)
			inline_commit(e, &ops[i], res[i], idx[i],
			              tokens ? &tokens[i] : NULL, to);
	} else {
		/* Some of each: the rest, compacted, goes first. */
		unsigned nr = n - k, j = 0;
		struct hoop_op *rops = malloc(nr * sizeof(*rops));
		unsigned *ridx = calloc(n, sizeof(*ridx)); /* zeroed: quiets gcc */
		uint64_t *rtok = malloc(nr * sizeof(*rtok));
		if (!rops || !ridx || !rtok) {
			hoop__slots_untake(&e->tab, idx, n);
			err = -ENOMEM;
		} else {
			for (unsigned i = 0, d = nr; i < n; i++) {
				if (res[i] >= 0) {
					ridx[d++] = idx[i]; /* the inline ones' */
					continue;
				}
				rops[j] = ops[i];
				ridx[j++] = idx[i];
			}
			src.ops = rops;
			err = submit_routed(e, &src, nr, rtok, flags, to, ridx);
			if (err < 0) {
				hoop__slots_untake(&e->tab, ridx + nr, k);
			} else {
				j = 0;
				for (unsigned i = 0; i < n; i++) {
					uint64_t t = 0;
					if (res[i] >= 0)
						inline_commit(e, &ops[i], res[i],
						              idx[i], &t, to);
					else
						t = rtok[j++];
					if (tokens)
						tokens[i] = t;
				}
				err = (int)n;
			}
		}
		free(rops);
		free(ridx);
		free(rtok);
	}
	if (res != stack_res)
		free(res);
	return err;
}

int hoop__engine_submit_internal(hoop_engine *e, const struct hoop_op *ops,
                                 unsigned n, uint64_t *tokens, unsigned flags,
                                 const struct hoop_target *to)
{
	struct hoop_submit_src src = {ops, NULL, NULL};
	if (n && !ops)
		return -EINVAL;
	return submit_common(e, &src, n, tokens, flags, to);
}

/*
 * hoop_engine_submit of one op through a slot (the inline path's result
 * cell was taken, or the op was not done inline: hoop__inline_submit1):
 * one slot, the inline attempt unless `tried`, the result in the slot,
 * with none of the general path's bookkeeping. The call counts itself among
 * the callers for its whole length, as every entry point does: the inline
 * read can take long (a page fault, a slow device) and destroy must not
 * free the engine under it. Two RMWs on this thread's own stripe line.
 */
int hoop__engine_submit_one(hoop_engine *e, const struct hoop_op *op,
                            uint64_t *token, unsigned flags, bool tried)
{
	const struct hoop_target to = HOOP_TARGET_WAIT;
	struct hoop_submit_src src = {op, NULL, NULL};
	unsigned idx;
	struct hoop_stripe *st = hoop__caller_in(e);
	int err = hoop__engine_check(e);
	if (err < 0)
		goto out;
	if (!hoop__slot_pop(&e->tab, &idx)) {
		/* Full: the general path waits for room (or says -EBUSY). */
		err = submit_counted(e, &src, 1, token, flags, &to);
		goto out;
	}
	int32_t res = tried ? -1 : hoop__inline_one(op);
	if (res >= 0) {
		inline_commit(e, op, res, idx, token, &to);
		err = 1;
		goto out;
	}
	err = submit_routed(e, &src, 1, token, flags, &to, &idx);
out:
	hoop__caller_out(st);
	return err;
}

int hoop_engine_submit(hoop_engine *e, const struct hoop_op *ops, unsigned n,
                       uint64_t *tokens, unsigned flags)
{
	if (n == 1 && e && ops && tokens && e->inline_rw &&
	    !hoop__engine_flags_refused(ops->sqe_flags))
		return hoop__inline_submit1(e, ops, tokens, flags);
	struct hoop_target to = HOOP_TARGET_WAIT;
	return hoop__engine_submit_internal(e, ops, n, tokens, flags, &to);
}

int hoop_engine_submit_cb(hoop_engine *e, const struct hoop_op *ops, unsigned n,
                          uint64_t *tokens, unsigned flags,
                          hoop_completion_fn fn, void *arg)
{
	if (!fn)
		return -EINVAL;
	struct hoop_target to = {DELIVER_CALLBACK, fn, arg, NULL};
	return hoop__engine_submit_internal(e, ops, n, tokens, flags, &to);
}

int hoop_engine_submit_sqes(hoop_engine *e, unsigned n, hoop_sqe_fill_fn fill,
                            void *fill_arg, uint64_t *tokens, unsigned flags,
                            hoop_completion_fn fn, void *arg)
{
	struct hoop_submit_src src = {NULL, fill, fill_arg};
	if (n && !fill)
		return -EINVAL;
	struct hoop_target to = {fn ? DELIVER_CALLBACK : DELIVER_WAIT, fn, arg,
	                         NULL};
	return submit_common(e, &src, n, tokens, flags, &to);
}

/* ---- waiting ---- */

static bool try_become_spinner(hoop_engine *e)
{
	if (atomic_fetch_add(&e->spinners, 1) == 0)
		return true;
	atomic_fetch_sub(&e->spinners, 1);
	return false;
}

/*
 * The delivery kind of the op of generation gen in slot s, for a caller
 * that saw the slot in that generation but does not own it: a release or a
 * wait of the same token on another thread can free it, and a new op
 * re-arm it, while we look. Read like hoop__slot_target_of (slots.h): an
 * atomic load, then the generation again (the acquire fence pairs with the
 * release fence of hoop__slot_arm: a kind stored by a later arm comes with
 * that arm's generation). -1 if the slot left generation gen.
 */
static inline int slot_kind_for(struct hoop_slot *s, uint32_t gen)
{
	int kind = __atomic_load_n(&s->to.kind, __ATOMIC_RELAXED);
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&s->gen, memory_order_relaxed) != gen)
		return -1;
	return kind;
}

/* Collect the result of DONE slot s (state st seen): 0, or -ENOENT if
 * another caller (a release of the same token) took it first. */
static inline __attribute__((always_inline)) int
wait_take(hoop_engine *e, struct hoop_slot *s, uint32_t st, uint64_t token,
          struct hoop_completion *out, unsigned h)
{
	/* The result is ours only if we take the slot from DONE, in our
	 * generation. */
	if (!hoop__slot_claim_done(s, hoop__token_gen(token), st))
		return -ENOENT;
	out->user_data = s->user_data;
	out->token = token;
	out->res = s->res;
	out->flags = s->cflags;
	/* Into this thread's cache (h): its next submit takes it back. */
	hoop__slot_push_free_h(&e->tab, s, h);
	return 0;
}

static int wait_slow(hoop_engine *e, struct hoop_slot *s, uint64_t token,
                     struct hoop_completion *out, int64_t timeout_ns);

/* One look of a waiter at its slot (generation gen) into *st: 1 if its
 * result is there, -ENOENT if it never will be for this waiter (the token
 * was released, or its slot freed and maybe reused), else 0. */
static inline int wait_look(struct hoop_slot *s, uint32_t gen, uint32_t *st)
{
	*st = hoop__slot_state_for(s, gen);
	if ((*st & SLOT_STATE_MASK) == SLOT_FREE || (*st & SLOT_RELEASED))
		return -ENOENT;
	return (*st & SLOT_STATE_MASK) == SLOT_DONE;
}

int hoop_engine_wait(hoop_engine *e, uint64_t token,
                     struct hoop_completion *out, int64_t timeout_ns)
{
	uint32_t gen;
	struct hoop_slot *s;
	if (!e || !out)
		return -EINVAL;
	if (LOAD(&fork_generation) != e->fork_gen)
		return -ECHILD;
	/* A result left by an inline one-op submit (cells.h). */
	if (hoop__token_is_cell(token))
		return hoop__cell_wait(e->cells, token, out);
	/* Counted among the callers destroy waits for, on the quick path
	 * too: taking the result writes *out (which can fault and block)
	 * and then frees the slot in the engine. One hash names this
	 * thread's stripe and slot cache. */
	unsigned h = hoop__thread_hash();
	struct hoop_stripe *stripe = &e->stripes[h];
	atomic_fetch_add_explicit(&stripe->callers, 1, memory_order_acq_rel);
	int ret = -ENOENT;
	s = hoop__slot_of(&e->tab, token, &gen);
	if (!s)
		goto out;
	uint32_t st = hoop__slot_state_for(s, gen);
	/* Often the result is already there (completions reaped by the
	 * submit call): take it at once. DONE and not released is a wait-
	 * delivered op's slot only (a callback's or queue's ends
	 * DONE|RELEASED). */
	if ((st & (SLOT_STATE_MASK | SLOT_RELEASED)) == SLOT_DONE) {
		ret = wait_take(e, s, st, token, out, h);
		goto out;
	}
	if ((st & SLOT_STATE_MASK) == SLOT_FREE || (st & SLOT_RELEASED))
		goto out;
	int kind = slot_kind_for(s, gen);
	if (kind < 0)
		goto out; /* collected or released meanwhile: -ENOENT */
	ret = -EINVAL;
	if (kind != DELIVER_WAIT)
		goto out;
	ret = wait_slow(e, s, token, out, timeout_ns);
out:
	hoop__caller_out(stripe);
	return ret;
}

/*
 * hoop_engine_wait for a result not there yet: reap, spin, sleep. Apart
 * from the quick path, so that the quick one stays small. The caller has
 * counted the call among the engine's callers.
 */
__attribute__((noinline)) static int
wait_slow(hoop_engine *e, struct hoop_slot *s, uint64_t token,
          struct hoop_completion *out, int64_t timeout_ns)
{
	uint32_t st;
	int ret = 0;
	bool spun = false;
	uint64_t deadline = UINT64_MAX;
	if (timeout_ns >= 0)
		deadline = hoop__now_ns() + (uint64_t)timeout_ns;
	/* Every look and change checks the generation: a release of the
	 * same token by another thread can free the slot meanwhile, and its
	 * next op is someone else's. */
	const uint32_t gen = hoop__token_gen(token);
	int got;
	for (;;) {
		if ((got = wait_look(s, gen, &st)) != 0)
			break;
		hoop__engine_flush_pending(e);
		hoop__engine_reap_some(e);
		if ((got = wait_look(s, gen, &st)) != 0)
			break;
		uint64_t now = hoop__now_ns();
		if (now >= deadline) {
			ret = -ETIME;
			break;
		}
		/* Spin briefly (one spinner at a time: on 2 CPUs more only
		 * steal time from the threads doing the work). */
		if (!spun && e->spin_ns && try_become_spinner(e)) {
			uint64_t until = now + e->spin_ns;
			if (until > deadline)
				until = deadline;
			while (hoop__now_ns() < until) {
				for (int k = 0; k < 64; k++)
					hoop__cpu_relax();
				hoop__engine_reap_some(e);
				if (wait_look(s, gen, &st))
					break;
			}
			atomic_fetch_sub(&e->spinners, 1);
			spun = true;
			continue;
		}
		spun = true;
		/* Sleep. The engine thread must be watching the ring. */
		if (atomic_load_explicit(&e->bg_idle, memory_order_seq_cst))
			e->be->notify(e, false);
		uint32_t want = st | SLOT_WAITER; /* keeps SLOT_POOL */
		if (!(st & SLOT_WAITER) &&
		    !hoop__slot_cas_gen(s, gen, st, want, __ATOMIC_SEQ_CST))
			continue; /* it changed: look again */
		now = hoop__now_ns();
		if (now >= deadline)
			continue; /* report -ETIME after one more look */
		int64_t left = deadline == UINT64_MAX ? -1
		                                      : (int64_t)(deadline - now);
		hoop__futex_wait(&s->state, want, left);
	}
	if (got > 0) {
		ret = wait_take(e, s, st, token, out, hoop__thread_hash());
	} else if (got < 0) {
		ret = got;
	} else {
		/* Leave the slot reserved; drop our waiter mark if still set. */
		uint32_t exp = hoop__slot_state_for(s, gen);
		while ((exp & SLOT_STATE_MASK) == SLOT_INFLIGHT &&
		       (exp & SLOT_WAITER) &&
		       !hoop__slot_cas_gen(s, gen, exp, exp & ~SLOT_WAITER,
		                           __ATOMIC_SEQ_CST))
			exp = hoop__slot_state_for(s, gen);
	}
	return ret;
}

int hoop_engine_release(hoop_engine *e, uint64_t token)
{
	uint32_t gen;
	struct hoop_slot *s;
	if (!e)
		return -EINVAL;
	if (hoop__token_is_cell(token))
		return hoop__cell_release(e->cells, token);
	s = hoop__slot_of(&e->tab, token, &gen);
	if (!s)
		return -ENOENT;
	uint32_t st = hoop__slot_state_for(s, gen);
	for (;;) {
		if ((st & SLOT_STATE_MASK) == SLOT_FREE || (st & SLOT_RELEASED))
			return -ENOENT;
		int kind = slot_kind_for(s, gen);
		if (kind < 0)
			return -ENOENT;
		if (kind != DELIVER_WAIT)
			return -EINVAL;
		if ((st & SLOT_STATE_MASK) == SLOT_DONE) {
			if (hoop__slot_claim_done(s, gen, st)) {
				hoop__slot_push_free(&e->tab, s);
				return 0;
			}
		} else if (hoop__slot_cas_gen(s, gen, st, st | SLOT_RELEASED,
		                              __ATOMIC_SEQ_CST)) {
			return 0;
		}
		/* The state moved: look again, generation included. */
		st = hoop__slot_state_for(s, gen);
	}
}

/* ---- cancellation ---- */

int hoop_engine_cancel(hoop_engine *e, uint64_t token)
{
	uint32_t gen;
	if (!e)
		return -EINVAL;
	if (LOAD(&fork_generation) != e->fork_gen)
		return -ECHILD;
	struct hoop_slot *s = hoop__slot_of(&e->tab, token, &gen);
	if (!s)
		return -ENOENT;
	uint32_t st = hoop__slot_state_for(s, gen);
	if ((st & SLOT_STATE_MASK) != SLOT_INFLIGHT)
		return -ENOENT;
	/* Anything still held back by batching must reach the kernel first,
	 * or the cancel would not find it. */
	struct hoop_stripe *caller = hoop__caller_in(e);
	hoop__engine_flush_pending(e);
	int r = e->be->cancel(e, s, gen, token, st);
	hoop__caller_out(caller);
	return r < 0 ? r : 0;
}

int hoop_engine_cancel_fd(hoop_engine *e, int fd, unsigned flags)
{
	if (!e || fd < 0)
		return -EINVAL;
	if (LOAD(&fork_generation) != e->fork_gen)
		return -ECHILD;
	hoop__engine_flush_pending(e);
	return e->be->cancel_fd(e, fd, flags);
}

/*
 * Cancel, by token, every operation in flight that is delivered to `q`
 * (or every one, when q is NULL). Returns how many the backend found.
 */
int hoop__engine_cancel_inflight(hoop_engine *e, hoop_queue *q)
{
	hoop__engine_flush_pending(e);
	int found = 0;
	for (unsigned i = 0; i < e->tab.n; i++) {
		struct hoop_slot *s = &e->tab.slots[i];
		uint8_t kind;
		void *arg;
		uint32_t gen, st;
		/* The slot may be completed and re-armed by another thread
		 * meanwhile: its target and gen must belong to one op. */
		if (!hoop__slot_target_of(s, &kind, &arg, &gen, &st))
			continue;
		if (q && (kind != DELIVER_QUEUE || arg != q))
			continue;
		uint64_t token = hoop__token_make(i, gen);
		if (e->be->cancel(e, s, gen, token, st) >= 0)
			found++;
	}
	hoop__engine_reap_some(e);
	return found;
}

int hoop_engine_cancel_all(hoop_engine *e)
{
	if (!e)
		return -EINVAL;
	if (LOAD(&fork_generation) != e->fork_gen)
		return -ECHILD;
	struct hoop_stripe *caller = hoop__caller_in(e);
	int r = e->be->cancel_all(e);
	hoop__caller_out(caller);
	return r;
}

void hoop__engine_cancel_queue(hoop_engine *e, hoop_queue *q)
{
	hoop__engine_cancel_inflight(e, q);
}

/* ---- create / destroy ---- */

static void engine_free(hoop_engine *e, bool in_child)
{
	e->be->destroy(e, in_child);
	hoop__slots_fini(&e->tab);
	free(e->cells);
	free(e->stripes);
	free(e);
}

/* The slot table's taker found no room: completions free slots, so flush
 * what batching holds back and reap. */
static void engine_make_room(void *ctx)
{
	hoop_engine *e = ctx;
	hoop__engine_flush_pending(e);
	hoop__engine_reap_some(e);
}

int hoop_engine_create(hoop_engine **out, const hoop_engine_params *params)
{
	hoop_engine_params p;
	int err;
	if (!out)
		return -EINVAL;
	if (params)
		p = *params;
	else
		memset(&p, 0, sizeof(p));
	int sig;
	err = hoop__engine_params_check(&p, &sig, NULL, 0);
	if (err < 0)
		return err;
	bool take = (p.flags & HOOP_ENGINE_POOL_SIGNAL_TAKE) != 0;
	unsigned sq = p.sq_entries ? p.sq_entries : HOOP_ENGINE_DEFAULT_SQ;
	unsigned cq = p.cq_entries ? p.cq_entries : 4 * sq;
	pthread_once(&fork_once, install_fork_handler);

	hoop_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->fork_gen = LOAD(&fork_generation);
	e->kick_fd = -1;
	e->stripes = aligned_alloc(64, HOOP_STRIPES * sizeof(*e->stripes));
	if (!e->stripes) {
		free(e);
		return -ENOMEM;
	}
	memset(e->stripes, 0, HOOP_STRIPES * sizeof(*e->stripes));
	e->cells = aligned_alloc(64, HOOP_CELLS * sizeof(*e->cells));
	if (!e->cells) {
		free(e->stripes);
		free(e);
		return -ENOMEM;
	}
	memset(e->cells, 0, HOOP_CELLS * sizeof(*e->cells));
	for (unsigned i = 0; i < HOOP_CELLS; i++)
		atomic_init(&e->cells[i].word, hoop__cell_word0(i));

	int want = hoop__engine_choose_backend(&p, &e->backend_reason);
	e->be = want == HOOP_BACKEND_URING ? &hoop__backend_uring
	                                   : &hoop__backend_pool;
	if (want == HOOP_BACKEND_URING) {
		err = hoop__uring_setup(e, &p, sq, cq);
		if (err < 0) {
			if (p.backend != HOOP_BACKEND_AUTO ||
			    !hoop__engine_fallback_allowed(err))
				goto fail;
			want = HOOP_BACKEND_THREADS;
			e->backend_reason = hoop__engine_fallback_reason(err);
		}
	}
	e->backend = want;
	if (want != HOOP_BACKEND_URING)
		e->be = &hoop__backend_pool; /* the fallback */
	if (e->ring)
		cq = hoop_ring_cq_entries(e->ring);
	/* Two CQ entries stay free for the kick poll and slack (the pool gets
	 * the same bound the ring would have had). */
	unsigned maxf = p.max_inflight ? p.max_inflight : cq - 2;
	if (maxf == 0 || maxf > cq - 2) {
		err = -EINVAL;
		goto fail;
	}
	if (e->ring) {
		err = hoop__uring_missing_opcodes(e->ring, &e->pool_opmask);
		if (err < 0)
			goto fail;
	}
	if (!e->ring || e->pool_opmask) {
		/* The whole backend, or the opcodes the ring lacks. One worker
		 * per operation in flight at most: a blocking call holds its
		 * worker, and a cap below max_inflight could starve the
		 * operation that would unblock the others. */
		err = hoop__pool_create(&e->pool, maxf, sig, take,
		                        hoop__engine_deliver, e);
		if (err < 0)
			goto fail;
	}
	err = hoop__slots_init(&e->tab, maxf, engine_make_room, e, &e->closing,
	                       &e->m_blocked);
	if (err < 0)
		goto fail;
	e->sq_limit = e->ring ? hoop_ring_sq_entries(e->ring) : sq;
	e->batch_count = p.batch_count;
	e->batch_ns = (uint64_t)p.batch_usec * 1000u;
	if (e->batch_ns && e->batch_count <= 1)
		e->batch_count = UINT32_MAX; /* deadline only */
	e->spin_ns = (uint64_t)(p.spin_usec ? p.spin_usec : DEFAULT_SPIN_US) * 1000u;
	e->inline_rw = !(p.flags & HOOP_ENGINE_NO_INLINE);

	err = e->be->start(e); /* the ring's engine thread; the pool: nothing */
	if (err < 0)
		goto fail;
	*out = e;
	return 0;
fail:
	engine_free(e, false);
	return err;
}

void hoop_engine_destroy(hoop_engine *e)
{
	if (!e)
		return;
	if (LOAD(&fork_generation) != e->fork_gen) {
		/* In a forked child: the thread does not exist here and the
		 * ring is the parent's. Free our copy and close our fds only;
		 * unmapping and closing do not affect the parent's ring. */
		engine_free(e, true);
		return;
	}
	atomic_store(&e->closing, 1);
	/* Wake room waiters so they fail with -ESHUTDOWN. */
	hoop__slots_wake_all(&e->tab);

	hoop_engine_flush(e);
	/* Cancel until nothing is left in flight; an operation that cannot
	 * be stopped right away (running in a kernel worker) finishes on its
	 * own, so keep reaping and retry now and then. */
	uint64_t next_cancel = 0;
	while (atomic_load_explicit(&e->inflight, memory_order_acquire) > 0 ||
	       hoop__callers_active(e) > 0) {
		uint64_t now = hoop__now_ns();
		if (now >= next_cancel && LOAD(&e->inflight) > 0) {
			e->be->cancel_all(e);
			next_cancel = now + 50000000ull;
		}
		e->be->notify(e, true);
		hoop__engine_reap_some(e);
		struct timespec ts = {0, 200000};
		nanosleep(&ts, NULL);
	}
	e->be->notify(e, true);
	engine_free(e, false); /* the backend's destroy joins its threads */
}

/* ---- queries ---- */

void hoop__engine_count_queue_wakeup(hoop_engine *e)
{
	ADD(&e->m_queue_wakeups, 1);
}

static void metrics_fill(hoop_engine *e, struct hoop_engine_metrics *m)
{
	/* An op done inline is counted only in inline_ops (inline_commit). */
	m->inline_ops = STRIPE_SUM(e, inline_ops) +
	                hoop__cells_inline_ops(e->cells);
	m->submitted = STRIPE_SUM(e, submitted) + m->inline_ops;
	m->completed = STRIPE_SUM(e, completed) + m->inline_ops;
	m->cqes = STRIPE_SUM(e, cqes);
	m->inflight = LOAD(&e->inflight);
	m->enters = LOAD(&e->m_enters);
	m->sqes_entered = LOAD(&e->m_sqes_entered);
	m->wakeups = LOAD(&e->m_wakeups);
	m->reaps_by_waiters = LOAD(&e->m_reaps_waiters);
	m->reaps_by_thread = LOAD(&e->m_reaps_thread);
	m->overflow_flushes = LOAD(&e->m_overflow);
	m->unknown_cqes = LOAD(&e->m_unknown);
	m->submit_blocked = LOAD(&e->m_blocked);
	m->pool_ops = LOAD(&e->m_pool_ops);
	m->queue_wakeups = LOAD(&e->m_queue_wakeups);
}

_Static_assert(offsetof(struct hoop_engine_metrics, pool_ops) ==
                       HOOP_ENGINE_METRICS_SIZE_V1,
               "the first metrics layout is 12 fields");

/* The growth rule (common.h): the caller's size, never more than ours. */
int hoop_engine_get_metrics(hoop_engine *e, struct hoop_engine_metrics *out,
                            size_t size)
{
	if (!e || !out || size < HOOP_ENGINE_METRICS_SIZE_V1)
		return -EINVAL;
	struct hoop_engine_metrics m;
	metrics_fill(e, &m);
	memcpy(out, &m, size < sizeof(m) ? size : sizeof(m));
	return 0;
}

#if defined(HOOP_SYMVER_COMPAT)
/*
 * hoop_engine_get_metrics@HOOP_0.1: programs linked before the size
 * argument existed. Their struct may be as old as the first layout, so
 * they get its 12 fields and nothing past them.
 */
__asm__(".symver hoop__engine_get_metrics_v0_1,"
        "hoop_engine_get_metrics@HOOP_0.1");
HOOP_API int hoop__engine_get_metrics_v0_1(hoop_engine *e,
                                           struct hoop_engine_metrics *out);
int hoop__engine_get_metrics_v0_1(hoop_engine *e, struct hoop_engine_metrics *out)
{
	return hoop_engine_get_metrics(e, out, HOOP_ENGINE_METRICS_SIZE_V1);
}
#endif

int hoop_engine_backend(const hoop_engine *e) { return e->backend; }

int hoop_engine_ring_fd(const hoop_engine *e)
{
	if (!e)
		return -EINVAL;
	return e->ring ? hoop_ring_fd(e->ring) : -EOPNOTSUPP;
}

const char *hoop_engine_backend_reason(const hoop_engine *e)
{
	return e->backend_reason;
}

unsigned hoop_engine_max_inflight(const hoop_engine *e) { return e->tab.n; }

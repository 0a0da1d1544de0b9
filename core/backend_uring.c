/*
 * core/backend_uring.c - the io_uring backend of hoop_engine: one ring shared
 * by every thread. Here are the ring's submission side (publish SQEs, batch,
 * enter), its completion side (drain the CQ into the engine's dispatch), the
 * engine thread that watches the ring while work is in flight, cancellation
 * through the kernel, and the end of a ring that lost a completion.
 * Opcodes the kernel lacks go to the thread pool (backend_pool.c).
 *
 * Locks (engine.c says how they nest): submit_lock guards the SQ side,
 * drain_lock the CQ side. The ring's memory is reached only through the
 * functions of ring_internal.h.
 */
#include "engine_internal.h"
#include "ring_internal.h"
#include "sys.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hoop/prep.h"
#include "hoop/register.h"

#define LOAD(p) atomic_load_explicit((p), memory_order_relaxed)
#define ADD(p, v) atomic_fetch_add_explicit((p), (v), memory_order_relaxed)

static void uring_reap(hoop_engine *e);
static int submit_ring(hoop_engine *e, const struct hoop_submit_src *src,
                       unsigned n, uint64_t *tokens, unsigned flags,
                       const struct hoop_target *to, const unsigned *idx);

/* ---- the engine thread's wake-up ---- */

/*
 * Make sure the engine thread notices new state (work in flight, a batch
 * deadline, closing). It sleeps either on bg_seq (idle) or in the kernel
 * (watching the CQ); for the second case a write to the kick eventfd posts a
 * completion for it.
 */
static void bg_notify(hoop_engine *e, bool need_kernel_kick)
{
	atomic_fetch_add_explicit(&e->bg_seq, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&e->bg_idle, memory_order_seq_cst)) {
		hoop__futex_wake(&e->bg_seq, 1);
		ADD(&e->m_wakeups, 1);
	} else if (need_kernel_kick &&
	           atomic_load_explicit(&e->bg_in_kernel, memory_order_seq_cst)) {
		uint64_t one = 1;
		ssize_t w = write(e->kick_fd, &one, sizeof(one));
		(void)w;
	}
}

/*
 * The kernel reported a lost completion (-EBADR, despite NODROP): the ring
 * can no longer promise every owner a result. Refuse new work and let the
 * engine thread fail everything in flight with the error, so nobody waits
 * forever.
 */
static void engine_mark_dead(hoop_engine *e, int err)
{
	int expected = 0;
	if (atomic_compare_exchange_strong(&e->dead, &expected, err))
		bg_notify(e, true);
}

/* A CQE copied out of the ring, with the slot it names. */
struct cqe_copy {
	struct hoop_slot *s;
	uint64_t ud;
	int32_t res;
	uint32_t flags;
};

#define DRAIN_BATCH 32u

/*
 * Look at the k (<= DRAIN_BATCH) CQEs from head: cq[i] gets the i-th,
 * sl[i] the slot it names (NULL: none of ours in flight, or the kick
 * poll's). Returns how many of them end an operation. Caller holds
 * drain_lock, under which alone a ring op's slot leaves INFLIGHT, so the
 * slots found stay valid until delivered.
 */
static unsigned drain_look(hoop_engine *e, unsigned head, unsigned k,
                           const struct hoop_cqe **cq, struct hoop_slot **sl)
{
	hoop_ring *r = e->ring;
	struct hoop_slot *slots = e->tab.slots;
	uint32_t nslots = e->tab.n;
	unsigned fin = 0;
	for (unsigned i = 0; i < k; i++) {
		const struct hoop_cqe *c = hoop__ring_cqe_at(r, head + i);
		uint64_t ud = c->user_data;
		cq[i] = c;
		sl[i] = NULL;
		/* The slot a token names: index + 1 in the low word (0 and
		 * the kick's user_data name none). */
		uint32_t low = (uint32_t)ud - 1;
		if (__builtin_expect(low >= nslots, 0)) {
			if (ud == HOOP_UD_KICK) {
				if (!(c->flags & HOOP_CQE_F_MORE)) /* re-armed */
					atomic_store(&e->kick_armed, 0);
				e->kicked = true;
			} else {
				ADD(&e->m_unknown, 1);
			}
			continue;
		}
		struct hoop_slot *s = &slots[low];
		/* Acquire pairs with the submitter's release of INFLIGHT:
		 * the slot's fields written before the SQE was published
		 * are visible. */
		if ((atomic_load_explicit(&s->state, memory_order_acquire) &
		     SLOT_STATE_MASK) != SLOT_INFLIGHT ||
		    LOAD(&s->gen) != hoop__token_gen(ud)) {
			ADD(&e->m_unknown, 1);
			continue;
		}
		sl[i] = s;
		fin += !(c->flags & HOOP_CQE_F_MORE);
	}
	return fin;
}

/*
 * Completions of one drained batch for one queue, pushed together (one
 * lock of the queue instead of one per completion). Each is delivered as
 * hoop__engine_deliver_counted would: a final one makes its token stale
 * before the push and frees its slot after it.
 */
struct queue_run {
	const struct hoop_target *to; /* NULL: empty */
	unsigned n;
	struct hoop_completion c[DRAIN_BATCH];
	struct hoop_slot *done[DRAIN_BATCH]; /* final: its slot, else NULL */
};

static void queue_run_flush(hoop_engine *e, struct queue_run *run)
{
	if (!run->n)
		return;
	run->to->push_n(run->to->arg, run->c, run->n);
	/* The ended ones' slots go back together, with one compare-and-swap. */
	hoop__slots_free_n(&e->tab, run->done, run->n);
	run->n = 0;
	run->to = NULL;
}

static void queue_run_add(hoop_engine *e, struct queue_run *run,
                          struct hoop_slot *s, uint64_t token, int32_t res,
                          uint32_t cflags)
{
	if (run->n && run->to->arg != s->to.arg)
		queue_run_flush(e, run);
	/* The target is read before a final one's slot is freed (after the
	 * push), so pointing at the first slot's copy is safe. */
	if (!run->n)
		run->to = &s->to;
	bool final = !(cflags & HOOP_CQE_F_MORE);
	run->c[run->n] = (struct hoop_completion){s->user_data, token, res, cflags};
	run->done[run->n] = final ? s : NULL;
	if (final) /* its token is stale from now on */
		atomic_store_explicit(&s->state, SLOT_DONE | SLOT_RELEASED,
		                      memory_order_relaxed);
	run->n++;
}

/*
 * Passes (of up to DRAIN_BATCH CQEs) of one drain. A callback may submit,
 * and an op that completes inside its own enter (a NOP) puts a CQE back at
 * once: a callback that keeps resubmitting keeps the CQ non-empty, and an
 * unbounded drain would never give back drain_lock nor return to its
 * caller (the engine thread's other duties, a waiter whose own result is
 * in). What is left is seen by the caller's next look: the engine thread
 * does not sleep while the CQ has entries, waiters reap again.
 */
#define DRAIN_PASSES 64u

/* Copy out and dispatch the ready CQEs, in at most max_passes passes
 * (UINT_MAX: until the CQ is empty). Caller holds drain_lock. */
static unsigned drain_locked(hoop_engine *e, unsigned max_passes)
{
	hoop_ring *r = e->ring;
	struct cqe_copy b[DRAIN_BATCH];
	unsigned n = 0;
	bool flushed = false;
	for (unsigned pass = 0; pass < max_passes; pass++) {
		unsigned head = hoop__ring_cq_head(r);
		unsigned tail = hoop__ring_cq_tail(r);
		if (head == tail) {
			/* The kernel keeps what did not fit in the CQ (NODROP);
			 * an enter with GETEVENTS moves it in. */
			if (flushed || !hoop_ring_cq_has_overflow(r))
				break;
			if (hoop_ring_get_events(r) == -EBADR)
				engine_mark_dead(e, -EBADR);
			ADD(&e->m_overflow, 1);
			flushed = true;
			continue;
		}
		struct hoop_slot *sl[DRAIN_BATCH];
		const struct hoop_cqe *cq[DRAIN_BATCH];
		unsigned k = tail - head < DRAIN_BATCH ? tail - head : DRAIN_BATCH;
		unsigned fin = drain_look(e, head, k, cq, sl);
		/* Counted for the whole batch before any result is visible
		 * (hoop__engine_deliver_slot says why). */
		if (fin) {
			atomic_fetch_sub_explicit(&e->inflight, fin,
			                          memory_order_relaxed);
			ADD(&hoop__stripe(e)->completed, fin);
		}
		/* After a lost completion every ring op ends with the ring's
		 * error (dead_quiesce), delivered as its CQE shows the kernel
		 * is done. */
		int dead = LOAD(&e->dead);
		/* A waiter's result is delivered straight from the CQ; a
		 * callback's or queue's is copied out, and run only once the
		 * CQ slots are given back (a slow callback never stalls the
		 * CQ). */
		unsigned nb = 0;
		for (unsigned i = 0; i < k; i++) {
			struct hoop_slot *s = sl[i];
			if (!s)
				continue;
			const struct hoop_cqe *c = cq[i];
			int32_t res = c->res;
			uint32_t fl = c->flags;
			bool final = !(fl & HOOP_CQE_F_MORE);
			if (__builtin_expect(dead != 0, 0) && final)
				res = dead;
			if (s->to.kind == DELIVER_WAIT) {
				/* Only the final result is delivered by waiting. */
				if (final)
					hoop__engine_deliver_wait(e, s, res, fl);
				continue;
			}
			b[nb++] = (struct cqe_copy){s, c->user_data, res, fl};
		}
		hoop__ring_cq_release(r, head + k);
		struct queue_run run;
		run.n = 0;
		run.to = NULL;
		for (unsigned i = 0; i < nb; i++) {
			struct hoop_slot *s = b[i].s;
			if (s->to.push_n) {
				queue_run_add(e, &run, s, b[i].ud, b[i].res,
				              b[i].flags);
			} else {
				queue_run_flush(e, &run);
				hoop__engine_deliver_counted(e, s, b[i].ud,
				                             b[i].res, b[i].flags);
			}
		}
		queue_run_flush(e, &run);
		n += k;
	}
	if (n)
		ADD(&hoop__stripe(e)->cqes, n);
	return n;
}

static void uring_reap(hoop_engine *e)
{
	if (!hoop__lock_try(&e->drain_lock))
		return; /* someone is reaping already */
	unsigned n = drain_locked(e, DRAIN_PASSES);
	hoop__unlock(&e->drain_lock);
	if (n)
		ADD(&e->m_reaps_waiters, n);
}

/* ---- submission side ---- */

/* Enter the kernel for everything published. Caller holds submit_lock. */
static int enter_locked(hoop_engine *e)
{
	hoop_ring *r = e->ring;
	unsigned pending = hoop__ring_flush_sq(r);
	/* A ring that lost a completion is entered no more: what it has not
	 * consumed is failed by dead_quiesce, which relies on this. */
	int dead = LOAD(&e->dead);
	if (dead && !(hoop_ring_setup_flags(r) & HOOP_SETUP_SQPOLL))
		return dead;
	if (!pending && !(hoop_ring_setup_flags(r) & HOOP_SETUP_SQPOLL)) {
		e->pending = 0;
		atomic_store_explicit(&e->has_pending, 0, memory_order_relaxed);
		return 0;
	}
	for (;;) {
		int ret = hoop_ring_submit(r);
		if (ret >= 0) {
			ADD(&e->m_enters, 1);
			ADD(&e->m_sqes_entered, (uint64_t)ret);
			e->pending = 0;
			atomic_store_explicit(&e->has_pending, 0,
			                      memory_order_relaxed);
			atomic_store_explicit(&e->batch_deadline, 0,
			                      memory_order_relaxed);
			return ret;
		}
		if (ret == -EBADR) {
			engine_mark_dead(e, ret);
			return ret;
		}
		if (ret == -EBUSY || ret == -EAGAIN || ret == -EINTR) {
			/* The kernel wants completions reaped first. */
			uring_reap(e);
			sched_yield();
			continue;
		}
		return ret;
	}
}

static void uring_flush_pending(hoop_engine *e)
{
	if (!atomic_load_explicit(&e->has_pending, memory_order_relaxed))
		return;
	hoop__lock(&e->submit_lock);
	if (e->pending)
		enter_locked(e);
	hoop__unlock(&e->submit_lock);
}

static int uring_flush(hoop_engine *e)
{
	hoop__lock(&e->submit_lock);
	int r = e->pending ? enter_locked(e) : 0;
	hoop__unlock(&e->submit_lock);
	if (r > 0)
		uring_reap(e);
	return r;
}

/* Make room for n SQEs in the SQ. Caller holds submit_lock. */
static int sq_room_locked(hoop_engine *e, unsigned n)
{
	hoop_ring *r = e->ring;
	while (hoop_ring_sq_space_left(r) < n) {
		int ret = enter_locked(e);
		if (ret < 0)
			return ret;
		if (hoop_ring_setup_flags(r) & HOOP_SETUP_SQPOLL) {
			ret = hoop_ring_sqring_wait(r);
			if (ret < 0 && ret != -EINTR)
				return ret;
		}
	}
	return 0;
}

static bool op_for_pool(const hoop_engine *e, const struct hoop_op *op)
{
	return op->opcode < 64 && ((e->pool_opmask >> op->opcode) & 1);
}

/* Whether any of n records needs the pool. A kernel that lacks one opcode
 * the engine knows (6.18 lacks 63) must not send every call through the
 * records path: that cost 60 instructions per NOP. */
static bool ops_for_pool(const hoop_engine *e, const struct hoop_op *ops, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (op_for_pool(e, &ops[i]))
			return true;
	return false;
}

static bool op_linked(const struct hoop_op *op)
{
	return (op->sqe_flags & (HOOP_SQE_IO_LINK | HOOP_SQE_IO_HARDLINK)) != 0;
}

/*
 * An io_uring engine whose kernel lacks some opcodes: chains (ops joined by
 * IO_LINK/IO_HARDLINK) holding such an op go whole to the pool, the rest to
 * the ring. The ring part goes first: it is the part that can fail as a
 * whole (nothing submitted); after it, the pool's part is accepted whatever
 * happens. Slots idx[] are taken; tok[] receives all n tokens.
 */
static int submit_split(hoop_engine *e, const struct hoop_op *ops, unsigned n,
                        uint64_t *tok, unsigned flags,
                        const struct hoop_target *to, const unsigned *idx)
{
	uint8_t stack_route[64], *route = stack_route;
	if (n > 64 && !(route = malloc(n)))
		goto nomem;
	unsigned np = 0;
	for (unsigned i = 0; i < n;) {
		unsigned k = i;
		bool pool = op_for_pool(e, &ops[i]);
		while (k + 1 < n && op_linked(&ops[k]))
			pool |= op_for_pool(e, &ops[++k]);
		memset(route + i, pool, k + 1 - i);
		if (pool)
			np += k + 1 - i;
		i = k + 1;
	}
	int r;
	struct hoop_submit_src src = {ops, NULL, NULL};
	if (np == 0) {
		r = submit_ring(e, &src, n, tok, flags, to, idx);
	} else if (np == n) {
		r = hoop__engine_pool_submit(e, ops, n, tok, to, idx, false);
	} else {
		/* Both: compact each side's ops, slots and tokens, then
		 * scatter the tokens back into call order. */
		struct hoop_op *sops = calloc(n, sizeof(*sops));
		unsigned *sidx = calloc(n, sizeof(*sidx));
		uint64_t *stok = calloc(n, sizeof(*stok));
		if (!sops || !sidx || !stok) {
			free(sops);
			free(sidx);
			free(stok);
			if (route != stack_route)
				free(route);
			goto nomem;
		}
		unsigned nr = n - np, a = 0, b = nr;
		for (unsigned i = 0; i < n; i++) {
			unsigned at = route[i] ? b++ : a++;
			sops[at] = ops[i];
			sidx[at] = idx[i];
		}
		src.ops = sops;
		r = submit_ring(e, &src, nr, stok, flags, to, sidx);
		if (r < 0) {
			hoop__slots_untake(&e->tab, sidx + nr, np);
		} else {
			hoop__engine_pool_submit(e, sops + nr, np, stok + nr,
			                         to, sidx + nr, true);
			a = 0;
			b = nr;
			for (unsigned i = 0; i < n; i++)
				tok[i] = stok[route[i] ? b++ : a++];
			r = (int)n;
		}
		free(sops);
		free(sidx);
		free(stok);
	}
	if (route != stack_route)
		free(route);
	return r;
nomem:
	hoop__slots_untake(&e->tab, idx, n);
	return -ENOMEM;
}

/*
 * A multishot timeout with a period under HOOP_ENGINE_MIN_MULTISHOT_NS, or an
 * update that would give one of ours such a period (engine.h says why).
 * The timespec is the caller's memory, which the kernel validates: it is
 * copied with process_vm_readv (only for these two rare cases), and one
 * that cannot be read or is invalid is left to the kernel's -EFAULT or
 * -EINVAL.
 */
static bool timer_refused(hoop_engine *e, const struct hoop_sqe *sqe)
{
	uint64_t at;
	if (sqe->opcode == HOOP_OP_TIMEOUT &&
	    (sqe->op_flags & HOOP_TIMEOUT_MULTISHOT)) {
		at = sqe->addr;
	} else if (sqe->opcode == HOOP_OP_TIMEOUT_REMOVE &&
	           (sqe->op_flags & HOOP_TIMEOUT_UPDATE)) {
		uint32_t gen;
		struct hoop_slot *s = hoop__slot_of(&e->tab, sqe->addr, &gen);
		if (!s || !(hoop__slot_state_for(s, gen) & SLOT_TIMER))
			return false;
		at = sqe->off; /* addr2: the new period */
	} else {
		return false;
	}
	if (sqe->op_flags & HOOP_TIMEOUT_ABS)
		return false; /* the kernel refuses multishot ABS itself */
	struct hoop_timespec ts;
	struct iovec l = {&ts, sizeof(ts)},
	             r = {(void *)(uintptr_t)at, sizeof(ts)};
	if (!at ||
	    process_vm_readv(getpid(), &l, 1, &r, 1, 0) != (ssize_t)sizeof(ts))
		return false;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return false;
	return ts.tv_sec == 0 && ts.tv_nsec < HOOP_ENGINE_MIN_MULTISHOT_NS;
}

/*
 * The io_uring path: publish n SQEs for slots idx[] with one tail store and
 * enter unless batching holds them back. Returns n, or -errno with nothing
 * submitted (the slots are given back).
 */
static int submit_ring(hoop_engine *e, const struct hoop_submit_src *src,
                       unsigned n, uint64_t *tokens, unsigned flags,
                       const struct hoop_target *to, const unsigned *idx)
{
	hoop__lock(&e->submit_lock);
	int err = sq_room_locked(e, n);
	if (err < 0) {
		hoop__unlock(&e->submit_lock);
		hoop__slots_untake(&e->tab, idx, n);
		return err;
	}
	hoop_ring *r = e->ring;
	/* sq_room_locked made room for all n (an engine ring has no
	 * SQE128 or mixed entries: one index per SQE). */
	unsigned first = hoop__ring_sqe_take(r, n);
	bool refused = false, linked = false;
	/* A copy the compiler keeps in registers for the loop. */
	const struct hoop_target target = *to;
	for (unsigned i = 0; i < n; i++) {
		struct hoop_sqe *sqe = hoop__ring_sqe_at(r, first + i);
		if (src->ops) {
			memcpy(sqe, &src->ops[i], sizeof(*sqe));
		} else {
			hoop_prep_nop(sqe);
			src->fill(src->fill_arg, sqe, i);
			refused |= hoop__engine_flags_refused(sqe->flags);
		}
		uint32_t bits = 0;
		if (__builtin_expect(sqe->opcode == HOOP_OP_TIMEOUT ||
		                             sqe->opcode == HOOP_OP_TIMEOUT_REMOVE,
		                     0)) {
			refused |= timer_refused(e, sqe);
			/* A multishot timeout that starts at once (not behind
			 * a link): hoop_engine_cancel retries on it
			 * (cancel_ring_token). */
			if (!linked && sqe->opcode == HOOP_OP_TIMEOUT &&
			    (sqe->op_flags & HOOP_TIMEOUT_MULTISHOT))
				bits = SLOT_TIMER;
		}
		linked = (sqe->flags & HOOP_LINK_FLAGS) != 0;
		/* Armed at once: if the call is refused below, nothing was
		 * published (we hold submit_lock), so no CQE names these. */
		uint64_t token = hoop__slot_arm(&e->tab, idx[i], sqe->user_data,
		                                &target, SLOT_INFLIGHT | bits, 0);
		sqe->user_data = token;
	}
	/*
	 * A chain ends with its call: with batching (or SQPOLL) the next SQE
	 * in the ring may be another caller's, so a link flag on the call's
	 * last op would tie the two together.
	 */
	hoop__ring_sqe_at(r, first + n - 1)->flags &= (uint8_t)~HOOP_LINK_FLAGS;
	if (refused) {
		/* A filler asked for a flag the engine refuses, or a timer
		 * too fast: hand the SQEs and the slots back. */
		hoop__ring_sqe_rewind(r, first);
		hoop__unlock(&e->submit_lock);
		hoop__slots_untake(&e->tab, idx, n);
		return -EINVAL;
	}
	/* Tokens only for an accepted call. */
	if (tokens)
		for (unsigned i = 0; i < n; i++)
			tokens[i] = hoop__ring_sqe_at(r, first + i)->user_data;
	ADD(&e->inflight, n);
	ADD(&hoop__stripe(e)->submitted, n);
	/* Publish the whole group with one tail store. */
	hoop__ring_flush_sq(r);
	e->pending += n;
	atomic_store_explicit(&e->has_pending, 1, memory_order_relaxed);
	bool first_of_batch = false;
	bool enter_now = !(flags & HOOP_SUBMIT_NOFLUSH) &&
	                 (e->batch_count <= 1 || e->pending >= e->batch_count);
	if (enter_now) {
		/*
		 * An error here leaves the SQEs published; the kernel sees them
		 * at the next enter, so their owners still get results: the
		 * operations were accepted.
		 */
		enter_locked(e);
	} else if (e->batch_ns && !atomic_load_explicit(&e->batch_deadline,
	                                                memory_order_relaxed)) {
		atomic_store_explicit(&e->batch_deadline,
		                      hoop__now_ns() + e->batch_ns,
		                      memory_order_relaxed);
		first_of_batch = true;
	}
	hoop__unlock(&e->submit_lock);
	if (enter_now)
		uring_reap(e); /* inline completions, for everyone */
	/*
	 * An idle engine thread must start watching the ring while our ops
	 * are in flight. Not for wait-delivered ops that are already done:
	 * most reads complete inside the enter and were reaped just above,
	 * and waking the thread for them is a futex call and a context switch
	 * for nothing (their slots stay ours until the owner waits).
	 */
	if (first_of_batch) {
		bg_notify(e, true); /* the thread must honour the deadline */
	} else if (LOAD(&e->inflight) &&
	           atomic_load_explicit(&e->bg_idle, memory_order_seq_cst)) {
		bool need = to->kind != DELIVER_WAIT || !enter_now;
		for (unsigned i = 0; i < n && !need; i++)
			need = (atomic_load_explicit(&e->tab.slots[idx[i]].state,
			                             memory_order_relaxed) &
			        SLOT_STATE_MASK) == SLOT_INFLIGHT;
		if (need)
			bg_notify(e, false);
	}
	return (int)n;
}

/*
 * One synchronous cancel. When the kernel finds the op running (io-wq), it
 * waits for it to end, but only by sleeping until some CQE is posted and
 * looking again; it never gets another wakeup when the op leaves io-wq
 * without one. 6.1 shows both: the worker posts the op's CQE (the wakeup)
 * before it clears its current work, so the cancel, woken, can find the
 * finished op "running" once more and sleep for good (engine_cancel hung
 * about 1 run in 15 on 6.1); and a forced-async op on a pollable file
 * leaves io-wq by arming a poll, with no CQE. So the wait is bounded
 * (SYNC_CANCEL_WAIT_NS); -ETIME means "found running, not ended yet", and
 * the caller looks again (cancel_ring_token).
 */
#define SYNC_CANCEL_WAIT_NS 1000000 /* 1 ms */

static int sync_cancel(hoop_engine *e, uint64_t ud, int fd, unsigned flags)
{
	struct hoop_sys_sync_cancel_reg reg;
	memset(&reg, 0, sizeof(reg));
	reg.addr = ud;
	reg.fd = fd;
	reg.flags = flags;
	reg.timeout.tv_sec = 0;
	reg.timeout.tv_nsec = SYNC_CANCEL_WAIT_NS;
	int r;
	do {
		r = hoop_ring_register(e->ring, HOOP_REGISTER_SYNC_CANCEL, &reg, 1);
	} while (r == -EINTR);
	return r;
}

/*
 * Cancel the ring's op `token` (slot s, generation gen), waiting as
 * sync_cancel does. A firing timeout is off the kernel's list until the
 * submitting task's task work re-arms it (multishot) or ends it: a cancel
 * landing in that window finds nothing (-ENOENT) though the op goes on, and
 * with a period of a few microseconds or less that is nearly every time.
 *
 * Worse, the kernel's 0 does not prove a multishot timeout cancelled: a
 * cancel that finds the timer while its expiry is running on another CPU
 * gets -EALREADY inside the kernel, which then looks once more, finds the
 * timer off the list (its expiry has just taken it off to re-arm it) and
 * reports 0 all the same; the timer fires on, and its final completion
 * never comes (about 4 in 1,000 cancels of a 100 us timer from a thread on
 * another CPU; engine_cancel_multishot_timeout hung in a CI run).
 *
 * So for a multishot timeout (SLOT_TIMER) the engine still tracks, cancel
 * again, whatever the answer, until the op has ended (its final completion
 * reaped: the slot is no longer in flight). A timer that was cancelled for
 * real sends its final completion as soon as the submitting task runs its
 * task work; until then the further cancels find nothing and do no harm.
 * Returns 0 if any cancel found it, else what the last one said.
 *
 * Any other op: a cancel that found it running (-ETIME, see sync_cancel)
 * is repeated until the op ends or is found; one that finds nothing while
 * the op is still in flight, for up to CANCEL_MISS_NS.
 */
#define CANCEL_MISS_NS 20000000 /* 20 ms: a preempted io-wq worker */

static int cancel_ring_token(hoop_engine *e, struct hoop_slot *s, uint32_t gen,
                             uint64_t token)
{
	int found = -ENOENT;
	uint64_t missed_since = 0;
	for (unsigned tries = 0;; tries++) {
		int r = sync_cancel(e, token, 0, 0);
		uring_reap(e);
		/* -ETIME: found running; it ends or is found again. */
		if (r == 0 || r == -ETIME)
			found = 0;
		else if (r != -ENOENT)
			return r;
		if (LOAD(&e->dead))
			return found;
		uint32_t st = hoop__slot_state_for(s, gen);
		if ((st & SLOT_STATE_MASK) != SLOT_INFLIGHT)
			return found;
		if (!(st & SLOT_TIMER) && r == 0)
			return 0;
		if (!(st & SLOT_TIMER) && r == -ENOENT) {
			/* Not found, not ended: its CQE is on its way, or
			 * the op is moving from io-wq to a poll (6.1: the
			 * cancel looks at io-wq, then the polls, then io-wq
			 * again, and can miss it in between). Look again,
			 * for a while. */
			uint64_t now = hoop__now_ns();
			if (!missed_since)
				missed_since = now;
			else if (now - missed_since > CANCEL_MISS_NS)
				return found;
		}
		if (tries < 64) {
			sched_yield();
		} else {
			struct timespec ts = {0, 10000};
			nanosleep(&ts, NULL);
		}
	}
}

/* ---- the engine thread ---- */

static void arm_kick(hoop_engine *e)
{
	hoop__lock(&e->submit_lock);
	if (!atomic_load(&e->kick_armed) && sq_room_locked(e, 1) == 0) {
		struct hoop_sqe *sqe = hoop_ring_get_sqe(e->ring);
		hoop_prep_poll_multishot(sqe, e->kick_fd, 0x001 /* POLLIN */);
		sqe->user_data = HOOP_UD_KICK;
		e->pending++;
		enter_locked(e);
		atomic_store(&e->kick_armed, 1);
	}
	hoop__unlock(&e->submit_lock);
}

/*
 * Give the ring's operation named by `token` the result `err`, if it is
 * still in flight (a stale or finished token is skipped). Caller holds
 * drain_lock.
 */
static void fail_token_locked(hoop_engine *e, uint64_t token, int err)
{
	uint32_t gen;
	struct hoop_slot *s = hoop__slot_of(&e->tab, token, &gen);
	if (!s)
		return;
	uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
	if ((st & SLOT_STATE_MASK) == SLOT_INFLIGHT && !(st & SLOT_POOL) &&
	    LOAD(&s->gen) == gen)
		hoop__engine_deliver_slot(e, s, token, err, 0);
}

/* The ring's operations in flight (pool ops are their workers' business). */
static unsigned ring_inflight(hoop_engine *e)
{
	unsigned n = 0;
	for (unsigned i = 0; i < e->tab.n; i++) {
		uint32_t st = atomic_load_explicit(&e->tab.slots[i].state,
		                                   memory_order_acquire);
		n += (st & SLOT_STATE_MASK) == SLOT_INFLIGHT && !(st & SLOT_POOL);
	}
	return n;
}

/*
 * The ring lost a completion (engine_mark_dead): end every ring operation
 * in flight with `err`, but only once the kernel is done with it, so that
 * an owner who frees its buffer on the error is never written into later.
 * Run by the engine thread on each pass while it is dead with work in
 * flight:
 *  - SQEs published but never consumed by the kernel (an enter that failed)
 *    are failed at once: nothing enters the kernel after death (enter_locked
 *    refuses), so the kernel never sees them. With SQPOLL the kernel thread
 *    takes them on its own; they are cancelled like the rest.
 *  - everything in the kernel is cancelled (SYNC_CANCEL, ANY), again every
 *    10 ms while some remain; each final CQE that arrives (dispatch) ends
 *    its operation with `err`: the kernel is done with it then.
 *  - what is left once a cancel finds nothing more can only be operations
 *    whose CQE was dropped: when no more remain than the kernel's count of
 *    dropped CQEs (the CQ ring's overflow field), they are failed.
 */
static void dead_quiesce(hoop_engine *e, int err)
{
	hoop_ring *r = e->ring;
	uint64_t *unseen = NULL;
	unsigned nunseen = 0;
	if (!(hoop_ring_setup_flags(r) & HOOP_SETUP_SQPOLL)) {
		/* Tokens copied under submit_lock, failed under drain_lock
		 * (a callback may submit while holding drain_lock). */
		hoop__lock(&e->submit_lock);
		hoop__ring_flush_sq(r);
		unsigned head = hoop__ring_sq_khead(r);
		unsigned tail = hoop__ring_sq_ktail(r);
		if (tail != head &&
		    (unseen = malloc((tail - head) * sizeof(*unseen))))
			for (unsigned i = head; i != tail; i++)
				unseen[nunseen++] = hoop__ring_sqe_at(r, i)->user_data;
		hoop__unlock(&e->submit_lock);
	}
	if (nunseen) {
		hoop__lock(&e->drain_lock);
		for (unsigned i = 0; i < nunseen; i++)
			fail_token_locked(e, unseen[i], err);
		hoop__unlock(&e->drain_lock);
	}
	free(unseen);
	uint64_t now = hoop__now_ns();
	if (now >= e->dead_next_cancel) {
		int found = sync_cancel(e, 0, 0, HOOP_ASYNC_CANCEL_ANY);
		e->dead_cancel_found = found > 0;
		e->dead_next_cancel = now + 10000000ull;
		/* All of it: what is left in flight is counted next. (A dead
		 * ring takes no new submission, so this ends.) */
		hoop__lock(&e->drain_lock);
		drain_locked(e, UINT_MAX);
		hoop__unlock(&e->drain_lock);
	}
	if (e->dead_cancel_found)
		return;
	unsigned left = ring_inflight(e);
	if (left == 0 || left > hoop__ring_cq_dropped(r))
		return;
	hoop__lock(&e->drain_lock);
	for (unsigned i = 0; i < e->tab.n; i++)
		fail_token_locked(
		        e, hoop__token_make(i, LOAD(&e->tab.slots[i].gen)), err);
	hoop__unlock(&e->drain_lock);
}

static void *engine_thread(void *arg)
{
	hoop_engine *e = arg;
	hoop_ring *r = e->ring;
	for (;;) {
		int ret;
		hoop__lock(&e->drain_lock);
		unsigned n = drain_locked(e, DRAIN_PASSES);
		bool kicked = e->kicked, rearm = !atomic_load(&e->kick_armed);
		e->kicked = false;
		hoop__unlock(&e->drain_lock);
		if (n)
			ADD(&e->m_reaps_thread, n);

		/* Reset the kick counter so its poll fires again next time. */
		uint64_t v;
		if (kicked)
			while (read(e->kick_fd, &v, sizeof(v)) > 0)
				;
		int dead = LOAD(&e->dead);
		if (rearm && !dead)
			arm_kick(e);

		/*
		 * seq first, then the state it guards (the deadline, inflight):
		 * a submitter changes the state, then bumps seq (bg_notify). Read
		 * the other way round, a deadline set between the two reads was
		 * missed while its bump was already in seq, and the thread slept
		 * in the kernel with no timeout while the batched SQEs waited for
		 * it to flush them (engine_batching hung 1 run in ~30 under TSan).
		 */
		uint32_t seq = atomic_load_explicit(&e->bg_seq,
		                                    memory_order_seq_cst);
		uint64_t dl = atomic_load_explicit(&e->batch_deadline,
		                                   memory_order_acquire);
		uint64_t now = dl ? hoop__now_ns() : 0;
		if (dl && now >= dl) {
			uring_flush_pending(e);
			dl = 0;
		}
		if (dead && LOAD(&e->inflight))
			dead_quiesce(e, dead);
		if (LOAD(&e->closing) &&
		    atomic_load_explicit(&e->inflight, memory_order_acquire) == 0 &&
		    hoop__callers_active(e) == 0)
			break;

		if (dead && LOAD(&e->inflight)) {
			/* No kick poll any more and no enter: look at the CQ
			 * every ms until everything has ended. */
			hoop__futex_wait(&e->bg_seq, seq, 1000000);
			continue;
		}
		if (LOAD(&e->inflight) == 0) {
			/* Nothing in flight: sleep until a submitter or the
			 * batch deadline needs us. */
			atomic_store_explicit(&e->bg_idle, 1, memory_order_seq_cst);
			if (LOAD(&e->inflight) == 0 && !LOAD(&e->closing) &&
			    atomic_load_explicit(&e->bg_seq,
			                         memory_order_seq_cst) == seq) {
				int64_t t = dl ? (int64_t)(dl - now) : -1;
				hoop__futex_wait(&e->bg_seq, seq, t);
			}
			atomic_store_explicit(&e->bg_idle, 0, memory_order_seq_cst);
			continue;
		}
		/* Work in flight: wait in the kernel for at least one CQE. */
		atomic_store_explicit(&e->bg_in_kernel, 1, memory_order_seq_cst);
		if (hoop_ring_cq_ready(r) == 0 && !LOAD(&e->closing) &&
		    atomic_load_explicit(&e->bg_seq, memory_order_seq_cst) == seq) {
			if (dl) {
				struct hoop_timespec ts = {0, (int64_t)(dl - now)};
				struct hoop_sys_getevents_arg ga = {
				        0, 0, 0, (uint64_t)(uintptr_t)&ts};
				ret = hoop_ring_enter(r, 0, 1,
				                      HOOP_ENTER_GETEVENTS |
				                              HOOP_ENTER_EXT_ARG,
				                      &ga, sizeof(ga));
			} else {
				ret = hoop_ring_enter(r, 0, 1, HOOP_ENTER_GETEVENTS,
				                      NULL, 0);
			}
			if (ret == -EBADR)
				engine_mark_dead(e, ret);
		}
		atomic_store_explicit(&e->bg_in_kernel, 0, memory_order_seq_cst);
	}
	return NULL;
}

/*
 * The opcodes (< 64, known to hoop) this kernel lacks, from the probe
 * (a kernel before 5.6 has no probe: nothing is marked then, and the
 * kernel's own -EINVAL reaches the owner), plus HOOP_ENGINE_MASK_OPS.
 * Returns 0, or -EINVAL for a bad entry in the variable.
 */
int hoop__uring_missing_opcodes(hoop_ring *ring, uint64_t *mask)
{
	uint8_t sup[64]; /* the mask's bits; HOOP_OP_LAST is above 64 */
	*mask = 0;
	if (hoop_ring_probe_ops(ring, sup, 64) > 0)
		for (unsigned op = 0; op < 64; op++)
			if (!sup[op])
				*mask |= 1ull << op;
	const char *env = getenv("HOOP_ENGINE_MASK_OPS");
	if (!env)
		return 0;
	char name[32];
	while (*env) {
		size_t len = strcspn(env, ",");
		if (len && len < sizeof(name)) {
			memcpy(name, env, len);
			name[len] = '\0';
			char *end;
			long op = strtol(name, &end, 10);
			if (end == name || *end)
				op = hoop_opcode_from_name(name);
			if (op < 0 || op >= 64)
				return -EINVAL;
			*mask |= 1ull << op;
		} else if (len) {
			return -EINVAL;
		}
		env += len + (env[len] == ',');
	}
	return 0;
}

int hoop__uring_setup(hoop_engine *e, const hoop_engine_params *p, unsigned sq,
                      unsigned cq)
{
	/*
	 * A shared ring: never SINGLE_ISSUER or DEFER_TASKRUN (a wait from
	 * another thread would get EEXIST). SUBMIT_ALL so that one bad SQE in
	 * a batch does not hold back the rest; CQSIZE to fit max_inflight.
	 */
	hoop_ring_params rp;
	memset(&rp, 0, sizeof(rp));
	rp.flags = HOOP_SETUP_CQSIZE | HOOP_SETUP_SUBMIT_ALL;
	rp.cq_entries = cq;
	rp.min_entries = 8;
	if (p->flags & HOOP_ENGINE_SQPOLL) {
		rp.flags |= HOOP_SETUP_SQPOLL;
		rp.sq_thread_idle = p->sq_thread_idle ? p->sq_thread_idle : 10;
	}
	return hoop_ring_create(&e->ring, sq, &rp);
}

/* ---- the backend's entry points ---- */

static int uring_submit(hoop_engine *e, const struct hoop_submit_src *src,
                        unsigned n, uint64_t *tokens, unsigned flags,
                        const struct hoop_target *to, const unsigned *idx)
{
	if (!e->pool_opmask || (src->ops && !ops_for_pool(e, src->ops, n)))
		return submit_ring(e, src, n, tokens, flags, to, idx);
	/* Some opcodes go to the pool: routing needs records. */
	return hoop__engine_submit_records(e, src, n, tokens, flags, to, idx,
	                                   submit_split);
}

static int uring_cancel(hoop_engine *e, struct hoop_slot *s, uint32_t gen,
                        uint64_t token, uint32_t st)
{
	if (st & SLOT_POOL)
		return hoop__engine_pool_cancel(e, token);
	return cancel_ring_token(e, s, gen, token);
}

static int uring_cancel_fd(hoop_engine *e, int fd, unsigned flags)
{
	unsigned f = HOOP_ASYNC_CANCEL_FD | HOOP_ASYNC_CANCEL_ALL;
	if (flags & HOOP_CANCEL_FIXED)
		f |= HOOP_ASYNC_CANCEL_FD_FIXED;
	/*
	 * sync_cancel waits SYNC_CANCEL_WAIT_NS at most; -ETIME means some op
	 * on fd was still running in a worker. Ask again until every one has
	 * ended (the ones already cancelled are not found again, so the count
	 * of a pass that timed out is lost: count it as one).
	 */
	int r, n = 0;
	for (;;) {
		r = sync_cancel(e, 0, fd, f);
		uring_reap(e);
		if (r != -ETIME || LOAD(&e->dead))
			break;
		n = n ? n : 1;
	}
	if (r == -ENOENT || r == -ETIME)
		r = 0;
	if (r >= 0)
		r = r > n ? r : n;
	/* Ops on opcodes the kernel lacks run on the pool (no fixed files). */
	if (r >= 0 && e->pool && !(flags & HOOP_CANCEL_FIXED))
		r += hoop__pool_cancel(e->pool, 0, fd, false);
	return r;
}

static int uring_cancel_all(hoop_engine *e)
{
	/*
	 * Not CANCEL_ANY: that would also hit the engine's own poll on the
	 * kick eventfd. Cancel each operation in flight by its token.
	 */
	return hoop__engine_cancel_inflight(e, NULL);
}

/* The kick eventfd, its poll in the ring, and the engine thread. */
static int uring_start(hoop_engine *e)
{
	e->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->kick_fd < 0)
		return -errno;
	arm_kick(e);
	if (!atomic_load(&e->kick_armed))
		return -EIO;
	int err = -pthread_create(&e->thread, NULL, engine_thread, e);
	if (err < 0)
		return err;
	e->thread_started = true;
	return 0;
}

static void uring_destroy(hoop_engine *e, bool in_child)
{
	/* In a forked child the thread does not exist and the ring is the
	 * parent's: unmapping and closing do not affect the parent's ring. */
	if (!in_child && e->thread_started)
		pthread_join(e->thread, NULL);
	hoop__engine_pool_free(e, in_child); /* the opcodes the ring lacks */
	if (e->kick_fd >= 0)
		close(e->kick_fd);
	hoop_ring_destroy(e->ring);
}

/*
 * On io_uring, a batch is cheaper through the ring than inline (one enter
 * does every cached read in the kernel, one system call for all of them;
 * measured: 0.85 us per 4 KiB read in a batch of 256 against 2.1 us
 * inline), so only small calls go inline.
 */
const struct hoop_backend_ops hoop__backend_uring = {
        .inline_max = 2,
        .submit = uring_submit,
        .cancel = uring_cancel,
        .cancel_fd = uring_cancel_fd,
        .cancel_all = uring_cancel_all,
        .flush = uring_flush,
        .flush_pending = uring_flush_pending,
        .reap = uring_reap,
        .notify = bg_notify,
        .start = uring_start,
        .destroy = uring_destroy,
};

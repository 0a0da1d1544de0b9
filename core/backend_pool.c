/*
 * core/backend_pool.c - the thread-pool backend of hoop_engine: the engine's
 * side of the pool in backend_threads.c (which knows nothing of the engine
 * and hands each result to hoop__engine_deliver, the callback it was
 * created with). The whole backend with HOOP_BACKEND=threads; with io_uring
 * it serves the opcodes the kernel lacks (backend_uring.c, submit_split).
 */
#include "engine_internal.h"

#include <errno.h>

#define ADD(p, v) atomic_fetch_add_explicit((p), (v), memory_order_relaxed)

int hoop__engine_pool_submit(hoop_engine *e, const struct hoop_op *ops, unsigned n,
                             uint64_t *tok, const struct hoop_target *to,
                             const unsigned *idx, bool accepted)
{
	for (unsigned i = 0; i < n; i++)
		tok[i] = hoop__engine_arm(e, idx[i], ops[i].user_data, to,
		                          SLOT_POOL);
	ADD(&e->inflight, n);
	ADD(&hoop__stripe(e)->submitted, n);
	ADD(&e->m_pool_ops, n);
	int err = hoop__pool_submit(e->pool, ops, tok, n);
	if (err == 0)
		return (int)n;
	if (accepted) {
		for (unsigned i = 0; i < n; i++)
			hoop__engine_deliver(e, tok[i], err);
		return (int)n;
	}
	/* Nothing was queued: undo, as if never submitted. */
	for (unsigned i = 0; i < n; i++)
		atomic_store_explicit(&e->tab.slots[idx[i]].state, SLOT_FREE,
		                      memory_order_relaxed);
	atomic_fetch_sub(&e->inflight, n);
	atomic_fetch_sub(&hoop__stripe(e)->submitted, n);
	atomic_fetch_sub(&e->m_pool_ops, n);
	hoop__slots_untake(&e->tab, idx, n);
	return err;
}

void hoop__engine_pool_free(hoop_engine *e, bool in_child)
{
	if (!e->pool)
		return;
	if (in_child)
		hoop__pool_forget(e->pool);
	else
		hoop__pool_destroy(e->pool);
	e->pool = NULL;
}

int hoop__engine_pool_cancel(hoop_engine *e, uint64_t token)
{
	return hoop__pool_cancel(e->pool, token, -1, false) ? 0 : -ENOENT;
}

static int pool_records(hoop_engine *e, const struct hoop_op *ops, unsigned n,
                        uint64_t *tok, unsigned flags,
                        const struct hoop_target *to, const unsigned *idx)
{
	(void)flags; /* NOWAIT was for the slots; NOFLUSH: nothing batches */
	return hoop__engine_pool_submit(e, ops, n, tok, to, idx, false);
}

static int pool_submit(hoop_engine *e, const struct hoop_submit_src *src,
                       unsigned n, uint64_t *tokens, unsigned flags,
                       const struct hoop_target *to, const unsigned *idx)
{
	return hoop__engine_submit_records(e, src, n, tokens, flags, to, idx,
	                                   pool_records);
}

static int pool_cancel(hoop_engine *e, struct hoop_slot *s, uint32_t gen,
                       uint64_t token, uint32_t st)
{
	(void)s;
	(void)gen;
	(void)st;
	return hoop__engine_pool_cancel(e, token);
}

static int pool_cancel_fd(hoop_engine *e, int fd, unsigned flags)
{
	if (flags & HOOP_CANCEL_FIXED)
		return -EOPNOTSUPP; /* the pool has no fixed files */
	return hoop__pool_cancel(e->pool, 0, fd, false);
}

static int pool_cancel_all(hoop_engine *e)
{
	return hoop__pool_cancel(e->pool, 0, -1, true);
}

/* Workers deliver as they finish: nothing is held back, nothing to reap,
 * no completion thread. */
static int pool_flush(hoop_engine *e)
{
	(void)e;
	return 0;
}

static void pool_nothing(hoop_engine *e) { (void)e; }

static void pool_notify(hoop_engine *e, bool kernel)
{
	(void)e;
	(void)kernel;
}

/* On the thread pool every op done inline saves two thread hand-offs. */
const struct hoop_backend_ops hoop__backend_pool = {
        .inline_max = ~0u,
        .submit = pool_submit,
        .cancel = pool_cancel,
        .cancel_fd = pool_cancel_fd,
        .cancel_all = pool_cancel_all,
        .flush = pool_flush,
        .flush_pending = pool_nothing,
        .reap = pool_nothing,
        .notify = pool_notify,
        .start = pool_flush,
        .destroy = hoop__engine_pool_free,
};

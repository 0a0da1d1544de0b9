/*
 * core/backend.h - the thread pool (backend_threads.c), a backend that knows
 * nothing of the engine: it runs hoop_op records named by tokens and hands
 * each result to the completion callback it was given at creation (as
 * libuv's thread pool is handed `done`). Never installed.
 */
#ifndef HOOP_CORE_BACKEND_H
#define HOOP_CORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hoop/engine.h"

/* An operation named by `token` ended with `res` (a byte count or -errno). */
typedef void (*hoop__done_fn)(void *ctx, uint64_t token, int32_t res);

struct hoop_pool;

/*
 * A pool of at most `max` workers (0: a default). `sig` is the cancel
 * signal, resolved and claimed by hoop__pool_signal_claim (take: even over
 * the application's handler). Every operation submitted ends with exactly
 * one call done(ctx, token, result), from a worker or from a canceller.
 */
int hoop__pool_create(struct hoop_pool **out, unsigned max, int sig, bool take,
                      hoop__done_fn done, void *ctx);
/*
 * The pool's cancel signal from params.pool_signal (0: HOOP_POOL_SIGNAL,
 * else SIGRTMIN + 3): the signal number, or -EINVAL (not SIGUSR1, SIGUSR2
 * or a real-time signal; a bad HOOP_POOL_SIGNAL). why (if not NULL) gets a
 * reason on failure.
 */
int hoop__pool_signal_resolve(int32_t param, char *why, size_t n);
/*
 * Install hoop's handler for `sig` unless the application has its own
 * there (or `take`): 0, or -EBUSY (why gets the reason). Handlers
 * installed by hoop stay for the life of the process.
 */
int hoop__pool_signal_claim(int sig, bool take, char *why, size_t n);
/* The same check without installing anything: 0 or -EBUSY with why. */
int hoop__pool_signal_busy(int sig, char *why, size_t n);
void hoop__pool_destroy(struct hoop_pool *p);
/* In a forked child: free what can be freed without touching the parent's
 * threads (which do not exist here) or their locks. */
void hoop__pool_forget(struct hoop_pool *p);
int hoop__pool_submit(struct hoop_pool *p, const struct hoop_op *ops,
                      const uint64_t *tokens, unsigned n);
/* Cancel by token (non-zero), by fd (>= 0) or everything (any); waits
 * until the matching operations have finished; returns how many matched. */
int hoop__pool_cancel(struct hoop_pool *p, uint64_t token, int fd, bool any);

#endif

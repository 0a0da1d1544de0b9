/*
 * core/engine_internal.h - the engine's private layout, shared by the engine,
 * the queue and the backends. Never installed.
 */
#ifndef HOOP_CORE_ENGINE_INTERNAL_H
#define HOOP_CORE_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hoop/engine.h"
#include "hoop/ring.h"

/* Slot states, the low byte of slot.state (also the slot's futex word). */
#define SLOT_FREE 0u
#define SLOT_INFLIGHT 1u
#define SLOT_DONE 2u
#define SLOT_STATE_MASK 0xffu
#define SLOT_WAITER 0x100u   /* a thread sleeps on this word */
#define SLOT_RELEASED 0x200u /* the owner gave up; free on completion */
#define SLOT_POOL 0x400u     /* served by the thread pool, not the ring */
#define SLOT_TIMER 0x800u    /* a multishot timeout on the ring: cancel
                                retries while the kernel re-arms it */

enum hoop_delivery {
	DELIVER_WAIT = 0,
	DELIVER_CALLBACK = 1,
	DELIVER_QUEUE = 2,
};

struct hoop_slot {
	_Atomic uint32_t state;
	_Atomic uint32_t gen;
	uint8_t delivery;
	uint8_t pad[3];
	_Atomic uint32_t next_free; /* on the free stack: the next, + 1 */
	uint64_t user_data; /* the caller's tag */
	int32_t res;
	uint32_t cflags;
	hoop_completion_fn fn;
	void *arg;
	hoop_queue *queue;
};

/* user_data of the internal multishot poll on the kick eventfd. */
#define HOOP_UD_KICK 0xffffffffffffff01ull

struct hoop_pool;

/*
 * Counters that every operation touches, kept per thread (stripe_of, a
 * hash of the stack address) so that threads on different CPUs do not take
 * the same cache line from each other on every call. Sums are exact (a
 * call that leaves on another stripe than it entered leaves one +1 and
 * another -1; the arithmetic wraps).
 */
#define HOOP_STRIPES 16u
struct hoop_stripe {
	_Atomic uint32_t callers; /* threads inside wait/submit/cancel */
	_Atomic uint64_t submitted, completed, cqes, inline_ops;
	char pad[64 - 4 * 8 - 8];
};

struct hoop_engine {
	hoop_ring *ring;          /* NULL with the thread-pool backend */
	/* The thread pool: the whole backend when ring is NULL; with io_uring,
	 * present only if some opcodes are served by it (pool_opmask). */
	struct hoop_pool *pool;
	uint64_t pool_opmask;     /* bit op: the ring lacks opcode op (< 64) */
	int backend;
	const char *backend_reason;
	unsigned fork_gen;

	/* submission side, under submit_lock */
	pthread_mutex_t submit_lock;
	unsigned pending;        /* SQEs published but not yet entered */
	unsigned batch_count;
	uint64_t batch_ns;
	_Atomic uint64_t batch_deadline; /* monotonic ns, 0 = none */
	_Atomic int has_pending;         /* pending > 0, readable unlocked */
	_Atomic int kick_armed;          /* the kick poll is in the kernel */
	bool kicked;                     /* under drain_lock */

	/* completion side, under drain_lock */
	pthread_mutex_t drain_lock;

	/* slots */
	struct hoop_slot *slots;
	unsigned nslots;
	/* The free slots: a lock-free stack. Low 32 bits the top's index + 1
	 * (0: empty), high 32 bits a count of changes (no ABA). */
	_Atomic uint64_t free_top;
	/* Submitters out of slots sleep on room_cv under slot_lock. */
	pthread_mutex_t slot_lock;
	pthread_cond_t room_cv;
	_Atomic unsigned room_waiters;

	/* engine thread */
	pthread_t thread;
	bool thread_started;
	int kick_fd;
	_Atomic uint32_t bg_seq;     /* futex word the idle thread sleeps on */
	_Atomic int bg_idle;         /* sleeping on bg_seq */
	_Atomic int bg_in_kernel;    /* blocked in io_uring_enter */
	_Atomic int closing;
	_Atomic int dead;            /* fatal ring error, as -errno */
	uint64_t dead_next_cancel;   /* engine thread: next SYNC_CANCEL (ns) */
	bool dead_cancel_found;      /* engine thread: the last one found some */
	_Atomic int spinners;

	uint64_t spin_ns;
	bool inline_rw; /* try reads/writes in the submitting thread first */
	unsigned sq_limit; /* most ops in one submit call (the SQ size) */

	/* counters */
	struct hoop_stripe *stripes; /* HOOP_STRIPES, 64-byte aligned */
	_Atomic uint64_t m_enters,
	    m_sqes_entered, m_wakeups, m_reaps_waiters, m_reaps_thread,
	    m_overflow, m_unknown, m_blocked, m_pool_ops,
	    m_queue_wakeups;
	_Atomic uint64_t inflight;
};

/* Deliver a result for `token` from outside the ring (thread pool). */
void hoop__engine_deliver(hoop_engine *e, uint64_t token, int32_t res,
                          uint32_t flags);

/*
 * HOOP_BACKEND, parsed in one place for the engine and the probe
 * (opnames.c): the HOOP_BACKEND_* it names (AUTO when unset or empty), or
 * -EINVAL for a name hoop does not know. *raw (if not NULL) gets the value,
 * NULL when unset.
 */
int hoop__backend_env(const char **raw);
#define HOOP_BACKEND_ACCEPTED "auto, uring (or io_uring) or threads"

/*
 * The thread-pool backend (backend_threads.c). `sig` is the cancel signal,
 * resolved and claimed by hoop__pool_signal_claim.
 */
int hoop__pool_create(struct hoop_pool **out, hoop_engine *e, unsigned max,
                      int sig, bool take);
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

/* Hand a completion to its queue (queue.c): with drain_lock held, from a
 * pool worker, or from the submitting thread for an op completed inline. */
void hoop__queue_push(hoop_queue *q, const struct hoop_completion *c);

/* Submit ops for a queue (engine.c). */
int hoop__engine_submit_internal(hoop_engine *e, const struct hoop_op *ops,
                                 unsigned n, uint64_t *tokens, unsigned flags,
                                 int delivery, hoop_completion_fn fn, void *arg,
                                 hoop_queue *q);

/* Reap what is there without blocking if nobody else is; used by waiters. */
void hoop__engine_reap_some(hoop_engine *e);

/* Flush batched SQEs if any. */
void hoop__engine_flush_pending(hoop_engine *e);

/* Count a thread as inside an engine call (destroy waits for none). */
void hoop__caller_enter(hoop_engine *e);
void hoop__caller_leave(hoop_engine *e);

/* -ECHILD after fork, -ESHUTDOWN when closing, else 0. */
int hoop__engine_check(hoop_engine *e);

/* Cancel every in-flight op delivered to `q` (queue destroy). */
void hoop__engine_cancel_queue(hoop_engine *e, hoop_queue *q);

/* Monotonic nanoseconds. */
uint64_t hoop__now_ns(void);

/* futex helpers (private, process-local). */
int hoop__futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t timeout_ns);
void hoop__futex_wake(_Atomic uint32_t *addr, int n);

#endif

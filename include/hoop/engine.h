/*
 * hoop/engine.h - hoop_engine, one ring shared by any number of threads,
 * and hoop_queue, a completion channel bound to an engine.
 *
 * Any thread may submit. Each operation gets a token (a 64-bit value made of
 * a slot index, or for a read done inline a result cell's, and a
 * generation, so a stale token never matches a reused slot). Each operation's final result reaches its owner exactly once, in
 * the way chosen at submission: by waiting on the token, through a callback,
 * or through a hoop_queue.
 *
 * Completions are reaped by a background thread and by any thread that is
 * waiting, whichever gets there first; the CQ head advances as soon as a
 * completion has been copied out, so a slow consumer never stalls the kernel.
 *
 * Buffers referenced by an operation belong to the kernel until the
 * operation's final result has been delivered.
 *
 * After fork(), the child must not use an engine created by the parent:
 * every call there returns -ECHILD, and hoop_engine_destroy only frees the
 * child's copy of the memory. The parent is unaffected.
 */
#ifndef HOOP_ENGINE_H
#define HOOP_ENGINE_H

#include <stdint.h>

#include "common.h"
#include "uapi.h"
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hoop_engine hoop_engine;
typedef struct hoop_queue hoop_queue;

/*
 * One operation, fixed layout (64 bytes), the same fields as an SQE. Fill it
 * like an SQE (the hoop_op_* helpers at the end of this header, or by hand,
 * or any hoop_prep_* function on a struct hoop_sqe followed by
 * hoop_op_from_sqe); `user_data` is the caller's own tag, returned in the
 * completion. hoop chooses the SQE's real user_data (the token).
 *
 * Why struct hoop_op and the hoop_op_* helpers exist next to struct hoop_sqe
 * and hoop_prep_* (hoop/prep.h), for the same 64 bytes: a hoop_sqe is the
 * kernel's record, prepared in place in a ring the caller owns, whose
 * user_data the kernel returns. A hoop_op is the caller's request to an
 * engine: it lives in the caller's memory, may be served by the thread pool
 * instead of the kernel, some SQE flags are refused (sqe_flags above), and
 * its user_data is only a tag, because the engine puts its own token in the
 * SQE it copies the op into. Keeping the two types apart lets the compiler
 * catch an SQE handed to an engine or an op handed to a ring. The hoop_op_*
 * helpers cover the operations engine callers use most (they call the
 * hoop_prep_* function of the same name); for any other operation prepare
 * a stack hoop_sqe with hoop_prep_* and convert it with hoop_op_from_sqe.
 */
struct hoop_op {
	uint8_t opcode;    /* HOOP_OP_* */
	uint8_t sqe_flags; /* HOOP_SQE_* (IO_LINK chains ops of one call;
	                       IO_DRAIN and CQE_SKIP_SUCCESS are refused) */
	uint16_t ioprio;
	int32_t fd;
	uint64_t off;
	uint64_t addr;
	uint32_t len;
	uint32_t op_flags;
	uint64_t user_data; /* caller's tag, copied to the completion */
	uint16_t buf_index;
	uint16_t personality;
	int32_t file_index;
	uint64_t addr3;
	uint64_t pad2;
};

/* A delivered completion, fixed layout (24 bytes). */
struct hoop_completion {
	uint64_t user_data; /* the op's user_data */
	uint64_t token;     /* the token returned at submission */
	int32_t res;        /* bytes, count or -errno */
	uint32_t flags;     /* HOOP_CQE_F_* (MORE: more will follow) */
};

/*
 * Which implementation serves the engine. AUTO uses io_uring and falls back
 * to the thread pool when io_uring_setup is refused (ENOSYS, EPERM, EACCES,
 * ENOMEM); the environment variable HOOP_BACKEND overrides AUTO: "threads",
 * "uring" (or "io_uring": then no fallback) or "auto" (also when unset or
 * empty). Any other value is a mistake, not a default: hoop_engine_create
 * with AUTO fails with -EINVAL and hoop_engine_explain names the accepted
 * values. URING and THREADS force one (HOOP_BACKEND is not read then); a
 * `backend` above HOOP_BACKEND_THREADS is -EINVAL.
 *
 * Per opcode: an io_uring engine asks the kernel once, at creation
 * (IORING_REGISTER_PROBE), which opcodes it supports. Operations whose
 * opcode it lacks are served by a thread pool inside the same engine, with
 * the same tokens, results, queues and callbacks (the pool's own limits
 * apply: opcodes with no blocking system call get -EOPNOTSUPP). A linked
 * chain (IO_LINK / IO_HARDLINK within one submit call) that contains such
 * an operation runs whole on the pool, in order, so it is never split
 * between the two. hoop_engine_metrics.pool_ops counts what the pool served.
 *
 * Testing aid: the environment variable HOOP_ENGINE_MASK_OPS, read at
 * creation only when set, names opcodes to treat as missing from the
 * kernel, e.g. "read,fsync" or "22,3" (names as hoop_opcode_name, or numbers
 * below 64). An entry that is neither makes hoop_engine_create fail with
 * -EINVAL. Meant for tests of the per-opcode fallback on kernels that have
 * every opcode; it has no effect on a thread-pool engine.
 */
#define HOOP_BACKEND_AUTO 0
#define HOOP_BACKEND_URING 1
#define HOOP_BACKEND_THREADS 2

/*
 * hoop_backend_from_name - the HOOP_BACKEND_* value for a backend name as
 * HOOP_BACKEND takes it: "auto" (or ""), "uring" (or "io_uring"),
 * "threads". -EINVAL for anything else, NULL included. Any thread.
 */
HOOP_API int hoop_backend_from_name(const char *name);

/*
 * hoop_backend_name - "auto", "uring" or "threads" for a HOOP_BACKEND_*
 * value; "unknown" for anything else. Static; any thread.
 */
HOOP_API const char *hoop_backend_name(int backend);

/* Engine flags. */
#define HOOP_ENGINE_SQPOLL 0x01u /* kernel thread polls the SQ */
/*
 * Never complete reads and writes in the submitting thread (see "Inline
 * reads and writes" below); for tests and for callers that need every
 * operation to go through io_uring (personalities, auditing).
 */
#define HOOP_ENGINE_NO_INLINE 0x02u
/*
 * Install the pool's cancel handler even over a handler already there (see
 * "The thread pool's cancel signal" below): for runtimes that put a handler
 * on every signal at start-up, such as Go's, where the application has no
 * use for the signal. hoop's Go package sets it.
 */
#define HOOP_ENGINE_POOL_SIGNAL_TAKE 0x04u

/*
 * Inline reads and writes. Unless HOOP_ENGINE_NO_INLINE is set, a READ,
 * WRITE, READV or WRITEV delivered by waiting or to a queue (not to a
 * callback), outside a link chain, with no SQE flags, personality or ioprio
 * and an explicit offset (not -1), on a file opened without O_DIRECT and
 * O_APPEND, is first tried in the submitting thread with preadv2/pwritev2
 * and RWF_NOWAIT. If that moves every byte without blocking (data in the
 * page cache), the operation is complete when submit returns: its result,
 * token and delivery are what io_uring would have given (the byte count;
 * cancel then finds nothing: -ENOENT). Otherwise (it would block, a short
 * count, an error, a pipe or socket) it is submitted as usual and nothing
 * is visible. Writes are tried only in a submit call of one operation.
 * hoop_engine_metrics.inline_ops counts them. Both backends do this.
 * The file's flags (F_GETFL) are asked before every write, but for reads
 * each thread (or the few threads that share its result cell) remembers
 * them for up to 32 reads of one descriptor: a
 * descriptor switched to O_DIRECT with F_SETFL, or closed and its number
 * reused for an O_DIRECT file, may still be read inline that many times
 * (the same result; the submitting thread waits for the device).
 */

/*
 * The thread pool's cancel signal. A pool worker blocked in a system call
 * is interrupted with a signal so that hoop_engine_cancel (and destroy) can
 * stop it: by default SIGRTMIN + 3. hoop_engine_params.pool_signal or, when
 * that is 0, the environment variable HOOP_POOL_SIGNAL (a signal number, or
 * "SIGRTMIN+n" / "RTMIN+n") chooses another: SIGUSR1, SIGUSR2 or one in
 * SIGRTMIN..SIGRTMAX; anything else is -EINVAL. Creating an engine that
 * needs a pool (the THREADS backend, the AUTO fallback, or an io_uring
 * engine serving missing opcodes) installs hoop's handler for that signal
 * (it does nothing; no SA_RESTART) if the signal is free: its disposition
 * is SIG_DFL or SIG_IGN, or it is already hoop's (also that of another
 * copy of hoop in the process, known by its form: no flags, every signal
 * masked). If the application has a handler of its own there, hoop does
 * not touch it: hoop_engine_create fails with -EBUSY (hoop_engine_explain
 * says which signal), unless HOOP_ENGINE_POOL_SIGNAL_TAKE is set. The
 * application must not replace hoop's handler while such an engine exists;
 * workers block every other signal.
 */
#define HOOP_POOL_SIGNAL_DEFAULT_OFFSET 3 /* SIGRTMIN + 3 */

typedef struct hoop_engine_params {
	uint32_t sq_entries;     /* SQ size; 0 = 256 */
	uint32_t cq_entries;     /* CQ size; 0 = 4 * sq_entries */
	uint32_t max_inflight;   /* bound on operations in flight; 0 = CQ size
	                          minus internal reserve */
	uint32_t batch_count;    /* enter the kernel once this many SQEs wait;
	                          0 or 1 = every submit call enters */
	uint32_t batch_usec;     /* ... or once the oldest waited this long; 0 =
	                          no deadline (count or explicit flush only,
	                          when batch_count > 1) */
	uint32_t spin_usec;      /* spin before sleeping in waits; 0 = 20 */
	uint32_t flags;          /* HOOP_ENGINE_* */
	uint32_t sq_thread_idle; /* SQPOLL idle, ms */
	uint32_t backend;        /* HOOP_BACKEND_* */
	int32_t pool_signal;     /* the pool's cancel signal (above); 0 =
	                          HOOP_POOL_SIGNAL, else SIGRTMIN + 3 */
	uint32_t resv[6];        /* must be 0 (see common.h) */
} hoop_engine_params;

/*
 * hoop_engine_create - create an engine and its completion thread.
 * `params` may be NULL for defaults. Returns 0 and sets *out, or -EINVAL
 * (bad sizes, unknown flags or backend, a reserved field not 0, a bad
 * HOOP_BACKEND or pool signal), -EBUSY (the pool's signal has the
 * application's handler), -ENOMEM, -EPERM/-ENOSYS (io_uring unavailable),
 * -errno. hoop_engine_explain tells why in words. Any thread.
 */
HOOP_API int hoop_engine_create(hoop_engine **out,
                                const hoop_engine_params *params);

/*
 * hoop_engine_explain - after hoop_engine_create(&e, params) failed with
 * `err`, write a one-line reason into buf (at most len bytes, always
 * NUL-terminated when len > 0): the parameter, environment variable or
 * signal that was refused and what is accepted, e.g. "HOOP_BACKEND=thread
 * is not a backend: use auto, uring (or io_uring) or threads". The checks
 * are made again from `params` and the environment as they are now, so
 * call it right away; for an error no check explains, the text is
 * hoop_strerror(err). Returns the length of the full reason (as snprintf).
 * Any thread.
 */
HOOP_API int hoop_engine_explain(int err, const hoop_engine_params *params,
                                 char *buf, size_t len);

/*
 * hoop_engine_destroy - refuse new submissions, cancel everything in flight,
 * wait until every operation has its final result delivered (waiters get
 * theirs, queues and callbacks receive theirs; -ECANCELED or the real
 * result), then stop the thread and free everything. No thread may be using
 * the engine when it returns; do not call it from an engine callback.
 * Destroy the engine's queues first. NULL is accepted.
 */
HOOP_API void hoop_engine_destroy(hoop_engine *e);

/* Submission flags. */
#define HOOP_SUBMIT_NOWAIT 0x01u  /* -EBUSY instead of blocking when full */
#define HOOP_SUBMIT_NOFLUSH 0x02u /* leave for batching even if count 1 */

/*
 * A completion callback, run on whichever thread reaps the completion (the
 * engine thread or a waiting thread) while the engine's reap lock is held.
 * It must not block and must not wait on the engine; it may submit with
 * HOOP_SUBMIT_NOWAIT. With HOOP_CQE_F_MORE in c->flags more will follow.
 * A callback that always resubmits an op completing at once (a NOP) keeps
 * the thread reaping busy for as long as it does so; the reaper gives back
 * the lock between bounded rounds, so other work goes on meanwhile.
 */
typedef void (*hoop_completion_fn)(void *arg, const struct hoop_completion *c);

/*
 * An SQE filler for hoop_engine_submit_sqes: fill `sqe` (the i-th of the
 * call) in place with hoop_prep_* and flags; any user_data it sets is the
 * caller's tag. Called with the submission lock held: do not call the
 * engine from it.
 */
typedef void (*hoop_sqe_fill_fn)(void *arg, struct hoop_sqe *sqe, unsigned i);

/*
 * hoop_engine_submit - submit `n` operations as one unit (their SQEs are
 * contiguous, so IO_LINK chains within the call stay intact); the owner
 * will collect each result with hoop_engine_wait. tokens[i] receives op i's
 * token (tokens may be NULL only if n == 0). Returns n, or -errno with
 * nothing submitted: -EINVAL (n larger than the SQ or max_inflight, NULL
 * arrays, an op with HOOP_SQE_IO_DRAIN or HOOP_SQE_CQE_SKIP_SUCCESS),
 * -EBUSY (NOWAIT and not enough room), -ESHUTDOWN (being destroyed),
 * -ECHILD (after fork), -EBADR (the ring lost a completion, below). Any
 * thread.
 *
 * Flags the engine does not take: IO_DRAIN (a drained op would wait for
 * the engine's own never-ending poll) and CQE_SKIP_SUCCESS (every op must
 * post its result). A chain ends with its call: IO_LINK / IO_HARDLINK on
 * the last op of a call is ignored (cleared), as the kernel does for the
 * last SQE of a submission, so batching never links one caller's op to
 * another's. These rules hold for every submit function and hoop_queue_add.
 *
 * If the kernel reports a lost completion (-EBADR from io_uring_enter), the
 * engine is dead: every later call gets -EBADR; every operation in flight
 * is cancelled in the kernel and its owner then gets -EBADR as its final
 * result, only once the kernel is done with its buffers (an operation
 * whose own completion was the lost one is failed once no more remain in
 * flight than the kernel counts as dropped). Destroy still works.
 */
HOOP_API int hoop_engine_submit(hoop_engine *e, const struct hoop_op *ops,
                                unsigned n, uint64_t *tokens, unsigned flags);

/*
 * Multishot timeouts (HOOP_OP_TIMEOUT with HOOP_TIMEOUT_MULTISHOT, relative)
 * with a period under HOOP_ENGINE_MIN_MULTISHOT_NS are refused on io_uring:
 * -EINVAL from submit, nothing submitted; so is a HOOP_TIMEOUT_UPDATE that
 * would give one of the engine's multishot timeouts such a period. The
 * kernel re-arms a multishot timer from the submitting thread's task work
 * on its way back to user space; when one expiry costs the kernel about as
 * long as the period (a few microseconds on a virtual machine), the timer
 * has fired again before that thread gets out, and as long as anyone reaps
 * the CQ it never does: the submit call does not return. (The thread pool
 * has no multishot timeouts: each gets -EINVAL as its result.)
 * hoop_engine_cancel of a multishot timeout the engine tracks ends it: it
 * tries again while the kernel has the timer off its list to re-arm it,
 * and, since the kernel can answer 0 for a timer whose expiry it met
 * running on another CPU and did not stop, it returns only once the final
 * completion has been delivered (so never from a completion callback).
 */
#define HOOP_ENGINE_MIN_MULTISHOT_NS 100000u

/*
 * hoop_engine_submit_cb - like hoop_engine_submit, but each result is
 * delivered by calling `fn(arg, completion)` (see hoop_completion_fn).
 */
HOOP_API int hoop_engine_submit_cb(hoop_engine *e, const struct hoop_op *ops,
                                   unsigned n, uint64_t *tokens, unsigned flags,
                                   hoop_completion_fn fn, void *arg);

/*
 * hoop_engine_submit_sqes - reserve `n` SQEs, let `fill` write each in
 * place, then publish them together. Results are delivered to `fn` if it is
 * not NULL, else by waiting on the tokens. Returns n or -errno as
 * hoop_engine_submit (-EINVAL if `fill` sets a refused flag: every fill
 * has run then, but nothing is submitted). The kernel never sees a partly
 * written SQE.
 */
HOOP_API int hoop_engine_submit_sqes(hoop_engine *e, unsigned n,
                                     hoop_sqe_fill_fn fill, void *fill_arg,
                                     uint64_t *tokens, unsigned flags,
                                     hoop_completion_fn fn, void *arg);

/*
 * hoop_engine_flush - enter the kernel now for any SQEs held back by
 * batching. Returns the number submitted or -errno.
 */
HOOP_API int hoop_engine_flush(hoop_engine *e);

/*
 * hoop_engine_wait - wait for the final result of `token` (submitted with
 * hoop_engine_submit) for up to `timeout_ns` (< 0 forever, 0 just check).
 * Returns 0 and stores the completion in *out, -ETIME if it has not
 * arrived (the operation stays in flight and its slot stays reserved: wait
 * again, cancel, or release it), -ENOENT for an unknown or already
 * collected token, -EINVAL if the token's delivery is not by waiting.
 * One thread may wait on a given token at a time.
 */
HOOP_API int hoop_engine_wait(hoop_engine *e, uint64_t token,
                              struct hoop_completion *out, int64_t timeout_ns);

/*
 * hoop_engine_release - give up on collecting `token`'s result: its slot is
 * freed when the final completion arrives, and the result is discarded.
 * The operation's buffers still belong to the kernel until then, and there
 * is no notice when that happens: release only operations whose buffers
 * can outlive them (or cancel first, or destroy the engine, which waits).
 * Returns 0, -ENOENT (unknown or collected).
 */
HOOP_API int hoop_engine_release(hoop_engine *e, uint64_t token);

/* Cancel flags for hoop_engine_cancel_fd. */
#define HOOP_CANCEL_FIXED 0x01u /* fd is a registered-file index */

/*
 * hoop_engine_cancel - ask the kernel to cancel `token`'s operation and wait
 * until the request is cancelled (its owner then receives -ECANCELED, or
 * the real result if it completed first). Returns 0 if it was found,
 * -ENOENT if it had already completed (too late) or the token is unknown,
 * -EALREADY if it was running and could not be stopped, or -errno.
 */
HOOP_API int hoop_engine_cancel(hoop_engine *e, uint64_t token);

/*
 * hoop_engine_cancel_fd - cancel every operation on `fd`. Returns the number
 * cancelled (>= 0) or -errno.
 */
HOOP_API int hoop_engine_cancel_fd(hoop_engine *e, int fd, unsigned flags);

/* hoop_engine_cancel_all - cancel everything in flight; count or -errno. */
HOOP_API int hoop_engine_cancel_all(hoop_engine *e);

/*
 * A snapshot of the engine's counters. It grows at its end (common.h): pass
 * sizeof of yours to hoop_engine_get_metrics.
 */
struct hoop_engine_metrics {
	uint64_t submitted;    /* operations accepted */
	uint64_t completed;    /* final results delivered */
	uint64_t cqes;         /* CQEs reaped (multishot: several per op) */
	uint64_t inflight;     /* accepted and not yet final */
	uint64_t enters;       /* io_uring_enter calls that submitted */
	uint64_t sqes_entered; /* SQEs passed by those calls */
	uint64_t wakeups;      /* sleeping waiters woken by another thread */
	uint64_t reaps_by_waiters; /* CQEs reaped by waiting/submitting threads */
	uint64_t reaps_by_thread;  /* CQEs reaped by the engine thread */
	uint64_t overflow_flushes; /* times a CQ overflow backlog was flushed */
	uint64_t unknown_cqes;     /* CQEs with no matching slot (dropped) */
	uint64_t submit_blocked;   /* submitters that had to wait for room */
	/* The first published layout ends here (HOOP_ENGINE_METRICS_SIZE_V1). */
	uint64_t pool_ops;      /* operations served by the thread pool */
	uint64_t inline_ops;    /* completed inline in the submitting thread */
	uint64_t queue_wakeups; /* queue consumers woken by a push */
};

/* Bytes of the first published struct hoop_engine_metrics (12 fields). */
#define HOOP_ENGINE_METRICS_SIZE_V1 96

/*
 * hoop_engine_get_metrics - fill the first min(size, sizeof(struct
 * hoop_engine_metrics)) bytes of *out, where `size` is sizeof(*out) as the
 * caller compiled it; never writes past `size`. Returns 0, or -EINVAL (NULL
 * e or out, size below HOOP_ENGINE_METRICS_SIZE_V1; nothing written). Any
 * thread. (Programs built before the size argument existed are bound to
 * an older symbol version that fills the 12 fields of the first layout.)
 */
HOOP_API int hoop_engine_get_metrics(hoop_engine *e,
                                     struct hoop_engine_metrics *out, size_t size);

/* The backend serving this engine: HOOP_BACKEND_URING or _THREADS. */
HOOP_API int hoop_engine_backend(const hoop_engine *e);

/*
 * hoop_engine_backend_reason - a static, human-readable sentence saying
 * which backend serves the engine and why (for example "thread pool:
 * io_uring_setup gave EPERM (seccomp, ...)"). Never NULL; never free it.
 */
HOOP_API const char *hoop_engine_backend_reason(const hoop_engine *e);

/*
 * hoop_engine_ring_fd - the fd of the engine's io_uring instance, for an
 * event loop that wants to learn of completions as soon as the kernel posts
 * them: watch it for POLLIN (epoll, Go's netpoller, asyncio) and then
 * collect with hoop_queue_wait(q, ..., 0 timeout), which reaps the ring
 * itself when its queue is empty. Do not submit on it, read it or close it.
 * Valid until hoop_engine_destroy. Returns the fd, or -EOPNOTSUPP on the
 * thread-pool backend (no ring: watch hoop_queue_fd alone).
 */
HOOP_API int hoop_engine_ring_fd(const hoop_engine *e);

/* The engine's bound on operations in flight. */
HOOP_API unsigned hoop_engine_max_inflight(const hoop_engine *e);

/* ---- queue ---- */

/*
 * hoop_queue_create - a completion channel on `e` holding up to `capacity`
 * outstanding operations (added and not yet returned by hoop_queue_wait).
 * Returns 0 and sets *out, or -EINVAL (capacity 0 or above the engine's
 * max_inflight), -ENOMEM, -errno. The consumer side (wait, destroy) is for
 * one thread at a time; add may be called from any thread.
 */
HOOP_API int hoop_queue_create(hoop_queue **out, hoop_engine *e, unsigned capacity);

/*
 * hoop_queue_destroy - cancel the queue's operations still in flight, wait
 * until all of them have completed (so the kernel touches no buffer
 * afterwards), discard undelivered completions and free the queue. NULL is
 * accepted.
 */
HOOP_API void hoop_queue_destroy(hoop_queue *q);

/* hoop_queue_cap - the capacity given at creation. */
HOOP_API unsigned hoop_queue_cap(const hoop_queue *q);

/*
 * hoop_queue_add - submit `n` operations whose results go to this queue.
 * tokens (may be NULL) receives their tokens. Returns n, or -errno with
 * nothing submitted: -EAGAIN if the queue would hold more than its capacity,
 * others as hoop_engine_submit.
 */
HOOP_API int hoop_queue_add(hoop_queue *q, const struct hoop_op *ops,
                            unsigned n, uint64_t *tokens, unsigned flags);

/*
 * hoop_queue_wait - wait up to `timeout_ns` (< 0 forever) until at least
 * `min` completions are available, then move up to `max` of them into out[]
 * (oldest first). Returns how many were moved (possibly more than min, and
 * with min 0 possibly 0), -ETIME if fewer than min arrived in time (nothing
 * is moved then), -ESHUTDOWN if the engine is being destroyed and nothing
 * more can arrive, -EINVAL (min > max, or min > capacity), -EINTR never (it
 * retries). The GIL-free, FFI-friendly batch form: one call per batch.
 */
HOOP_API int hoop_queue_wait(hoop_queue *q, struct hoop_completion *out,
                             unsigned max, unsigned min, int64_t timeout_ns);

/*
 * hoop_queue_fd - an eventfd that is readable exactly while completions are
 * waiting to be collected. Watch it with epoll, Go's netpoller or asyncio;
 * do not read or close it yourself. Valid until hoop_queue_destroy.
 */
HOOP_API int hoop_queue_fd(const hoop_queue *q);

/* hoop_queue_ready - completions waiting to be collected. */
HOOP_API unsigned hoop_queue_ready(hoop_queue *q);

/* hoop_queue_outstanding - added and not yet collected. */
HOOP_API unsigned hoop_queue_outstanding(hoop_queue *q);

/* ---- op helpers: fill a hoop_op (every field; user_data 0) ---- */
/*
 * Fill every field of `op` as the hoop_prep_* function of the same name
 * fills an SQE (hoop_op_read as hoop_prep_read, ...), user_data 0. They
 * cannot fail; the engine reports a bad argument in the completion's res
 * as -errno. Why these exist next to hoop_prep_*: see struct hoop_op.
 */
HOOP_API void hoop_op_nop(struct hoop_op *op);
HOOP_API void hoop_op_read(struct hoop_op *op, int fd, void *buf, uint32_t len,
                           uint64_t off);
HOOP_API void hoop_op_write(struct hoop_op *op, int fd, const void *buf,
                            uint32_t len, uint64_t off);
HOOP_API void hoop_op_readv(struct hoop_op *op, int fd, const struct iovec *iov,
                            unsigned nr, uint64_t off);
HOOP_API void hoop_op_writev(struct hoop_op *op, int fd,
                             const struct iovec *iov, unsigned nr, uint64_t off);
HOOP_API void hoop_op_fsync(struct hoop_op *op, int fd, unsigned flags);
HOOP_API void hoop_op_timeout(struct hoop_op *op, const struct hoop_timespec *ts,
                              unsigned count, unsigned flags);
/* Convert a prepared SQE into an op (the SQE's user_data becomes the tag). */
HOOP_API void hoop_op_from_sqe(struct hoop_op *op, const struct hoop_sqe *sqe);

#ifdef __cplusplus
}
#endif

#endif /* HOOP_ENGINE_H */

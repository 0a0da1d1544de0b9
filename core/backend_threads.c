/*
 * core/backend_threads.c - the thread-pool backend: the engine's API served
 * by worker threads making blocking system calls, for when io_uring is not
 * allowed (seccomp, the io_uring_disabled sysctl, old kernels) or forced
 * with HOOP_BACKEND=threads. An io_uring engine also keeps a pool when the
 * kernel lacks some opcodes (engine.c, submit_split): the pool then serves
 * those operations, and chains holding one, beside the ring.
 *
 * Results have io_uring's shape: res is the byte count or -errno, tokens and
 * delivery are the engine's. Operations of one submit call that are joined
 * by HOOP_SQE_IO_LINK / IO_HARDLINK form a chain that one worker runs in
 * order; after a failed member of a plain link the rest get -ECANCELED.
 *
 * Cancellation: an operation still queued is completed with -ECANCELED. One
 * that is blocked in a system call is interrupted with the pool's cancel
 * signal (SIGRTMIN + 3 unless the application chose another, see engine.h;
 * its handler does nothing and is installed without SA_RESTART) so the call
 * returns EINTR; the worker then reports -ECANCELED. hoop installs that
 * handler only where the application has none of its own (else the engine
 * is refused with -EBUSY). Workers block every other signal, so the
 * application's own signals never land on them.
 */
#include "backend.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h> /* renameat2 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define POOL_MIN_WORKERS 4u
#define POOL_MAX_WORKERS 64u

struct job {
	struct job *next, *prev; /* in the pending list or the running list */
	unsigned n;              /* ops in the chain */
	_Atomic unsigned cur;    /* ops before it are delivered (or being) */
	_Atomic int cancel;      /* cancel requested */
	bool running;
	pthread_t worker;
	struct hoop_op *ops;
	uint64_t *tokens;
};

struct hoop_pool {
	hoop__done_fn done; /* each result goes here, with done_ctx */
	void *done_ctx;
	pthread_mutex_t mu;
	pthread_cond_t work_cv; /* workers wait for jobs */
	pthread_cond_t done_cv; /* cancellers wait for running jobs to end */
	struct job *pending_head, *pending_tail;
	struct job *running; /* doubly linked */
	unsigned nworkers, idle, max_workers;
	unsigned npending;       /* jobs queued and not yet taken */
	unsigned cancel_waiters; /* cancellers waiting on done_cv */
	bool stopping;
	pthread_t *threads;
	unsigned nthreads_cap;
	int sig; /* the cancel signal */
};

/* ---- the cancel signal ---- */

static void cancel_handler(int sig) { (void)sig; }

/* Serialises look-and-install, so two engines never race on sigaction. */
static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;

static bool signal_allowed(long sig)
{
	return sig == SIGUSR1 || sig == SIGUSR2 ||
	       (sig >= SIGRTMIN && sig <= SIGRTMAX);
}

/* "N", "SIGRTMIN+n" or "RTMIN+n" (n may be 0 or absent); -1 if neither. */
static long parse_signal(const char *s)
{
	char *end;
	long v;
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	if (strncmp(s, "RTMIN", 5) == 0) {
		s += 5;
		if (*s == '\0')
			return SIGRTMIN;
		if (*s != '+' || s[1] < '0' || s[1] > '9')
			return -1;
		v = strtol(s + 1, &end, 10);
		return *end || v > SIGRTMAX - SIGRTMIN ? -1 : SIGRTMIN + v;
	}
	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	return *end || v > 1024 ? -1 : v;
}

int hoop__pool_signal_resolve(int32_t param, char *why, size_t n)
{
	if (param != 0) {
		if (signal_allowed(param))
			return param;
		if (why)
			snprintf(why, n,
			         "pool_signal %d is not SIGUSR1, SIGUSR2 "
			         "or a real-time signal (%d..%d)",
			         (int)param, (int)SIGRTMIN, (int)SIGRTMAX);
		return -EINVAL;
	}
	const char *env = getenv("HOOP_POOL_SIGNAL");
	if (!env || !*env)
		return SIGRTMIN + HOOP_POOL_SIGNAL_DEFAULT_OFFSET;
	long sig = parse_signal(env);
	if (sig > 0 && signal_allowed(sig))
		return (int)sig;
	if (why)
		snprintf(why, n,
		         "HOOP_POOL_SIGNAL=%s is not SIGUSR1, SIGUSR2 or "
		         "a real-time signal: use a number in %d..%d or "
		         "SIGRTMIN+n",
		         env, (int)SIGRTMIN, (int)SIGRTMAX);
	return -EINVAL;
}

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

/*
 * hoop's handler has a form of its own, so that another copy of hoop in
 * the process (a static and a shared library, Go's and Python's) knows it:
 * no flags (the C library may add SA_RESTORER) and every signal masked.
 */
static bool is_hoop_handler(const struct sigaction *sa)
{
	if (sa->sa_handler == cancel_handler)
		return true;
	if ((sa->sa_flags & ~SA_RESTORER) != 0 || sa->sa_handler == SIG_DFL ||
	    sa->sa_handler == SIG_IGN)
		return false;
	for (int s = 1; s <= SIGRTMAX; s++) {
		if (s == SIGKILL || s == SIGSTOP || (s > SIGSYS && s < SIGRTMIN))
			continue; /* never in a mask / the C library's own */
		if (sigismember(&sa->sa_mask, s) != 1)
			return false;
	}
	return true;
}

/* Someone else's handler (not SIG_DFL, SIG_IGN or hoop's) is on it. */
static bool handler_taken(const struct sigaction *sa)
{
	if (is_hoop_handler(sa))
		return false;
	return (sa->sa_flags & SA_SIGINFO) ||
	       (sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN);
}

static int claim(int sig, bool take, bool install, char *why, size_t n)
{
	int err = 0;
	struct sigaction old;
	pthread_mutex_lock(&sig_lock);
	if (sigaction(sig, NULL, &old) < 0) {
		err = -errno;
	} else if (handler_taken(&old) && !take) {
		err = -EBUSY; /* the application's: leave it alone */
	} else if (install && old.sa_handler != cancel_handler) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = cancel_handler;
		sigfillset(&sa.sa_mask);
		sa.sa_flags = 0; /* no SA_RESTART: a blocked call gets EINTR */
		if (sigaction(sig, &sa, NULL) < 0)
			err = -errno;
	}
	pthread_mutex_unlock(&sig_lock);
	char name[24];
	if (sig >= SIGRTMIN)
		snprintf(name, sizeof(name), " (SIGRTMIN+%d)", sig - (int)SIGRTMIN);
	else
		snprintf(name, sizeof(name), " (%s)",
		         sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2");
	if (err == -EBUSY && why)
		snprintf(why, n,
		         "the thread pool's cancel signal %d%s"
		         " has a handler the application installed; hoop does "
		         "not replace it: choose another with "
		         "hoop_engine_params.pool_signal or HOOP_POOL_SIGNAL "
		         "(or let hoop take it: HOOP_ENGINE_POOL_SIGNAL_TAKE)",
		         sig, name);
	else if (err < 0 && why)
		snprintf(why, n, "sigaction(%d): %s", sig, strerror(-err));
	return err;
}

int hoop__pool_signal_claim(int sig, bool take, char *why, size_t n)
{
	return claim(sig, take, true, why, n);
}

int hoop__pool_signal_busy(int sig, char *why, size_t n)
{
	return claim(sig, false, false, why, n);
}

/* ---- running one operation ---- */

static int neg(long r) { return r < 0 ? -errno : (int)r; }

static bool job_cancelled(struct job *j)
{
	return atomic_load_explicit(&j->cancel, memory_order_acquire) != 0;
}

/* Sleep for a timeout op; -ETIME at expiry, -ECANCELED when cancelled. */
static int run_timeout(struct job *j, const struct hoop_op *op)
{
	const struct hoop_timespec *hts = (const void *)(uintptr_t)op->addr;
	if (!hts || op->len != 1)
		return -EINVAL;
	if (op->off != 0)
		return -EOPNOTSUPP; /* completion-count timeouts need a CQ */
	if (op->op_flags & ~(HOOP_TIMEOUT_ABS | HOOP_TIMEOUT_BOOTTIME |
	                     HOOP_TIMEOUT_REALTIME | HOOP_TIMEOUT_ETIME_SUCCESS))
		return -EINVAL;
	/* As io_uring: a negative field is -EINVAL; otherwise the value is
	 * sec * 1e9 + nsec nanoseconds (nsec may exceed a second), saturated
	 * at INT64_MAX ns, like the kernel's timespec64_to_ktime. */
	int64_t sec = hts->tv_sec, nsec = hts->tv_nsec;
	if (sec < 0 || nsec < 0)
		return -EINVAL;
	uint64_t ns = UINT64_MAX;
	if ((uint64_t)sec < (uint64_t)INT64_MAX / 1000000000u)
		ns = (uint64_t)sec * 1000000000u + (uint64_t)nsec;
	clockid_t clk = CLOCK_MONOTONIC;
	if (op->op_flags & HOOP_TIMEOUT_BOOTTIME)
		clk = CLOCK_BOOTTIME;
	if (op->op_flags & HOOP_TIMEOUT_REALTIME)
		clk = CLOCK_REALTIME;
	if (!(op->op_flags & HOOP_TIMEOUT_ABS)) {
		struct timespec now;
		clock_gettime(clk, &now);
		uint64_t base = (uint64_t)now.tv_sec * 1000000000u +
		                (uint64_t)now.tv_nsec;
		ns = ns > UINT64_MAX - base ? UINT64_MAX : ns + base;
	}
	if (ns > (uint64_t)INT64_MAX)
		ns = (uint64_t)INT64_MAX;
	struct timespec when = {(time_t)(ns / 1000000000u),
	                        (long)(ns % 1000000000u)};
	for (;;) {
		int r = clock_nanosleep(clk, TIMER_ABSTIME, &when, NULL);
		if (r == 0)
			break;
		if (r != EINTR)
			return -r;
		if (job_cancelled(j))
			return -ECANCELED;
	}
	return (op->op_flags & HOOP_TIMEOUT_ETIME_SUCCESS) ? 0 : -ETIME;
}

static int run_poll(struct job *j, const struct hoop_op *op)
{
	if (op->len & HOOP_POLL_ADD_MULTI)
		return -EOPNOTSUPP;
	struct pollfd pfd = {op->fd, (short)op->op_flags, 0};
	for (;;) {
		int r = poll(&pfd, 1, -1);
		if (r > 0)
			return pfd.revents;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (job_cancelled(j))
			return -ECANCELED;
	}
}

/*
 * READ or WRITE with RWF_* flags (RWF_APPEND, RWF_DSYNC, ...): io_uring
 * honours them on these opcodes too, so the pool uses preadv2/pwritev2 with
 * one iovec rather than dropping them (an RWF_APPEND write would land at
 * the offset). A stream's offset is ignored, as for the plain calls.
 */
static int rw_flagged(const struct hoop_op *op, bool write)
{
	struct iovec one = {(void *)(uintptr_t)op->addr, op->len};
	int rwf = (int)op->op_flags;
	off_t off = (off_t)(int64_t)op->off;
	int r = neg(write ? pwritev2(op->fd, &one, 1, off, rwf)
	                  : preadv2(op->fd, &one, 1, off, rwf));
	if (r == -ESPIPE)
		r = neg(write ? pwritev2(op->fd, &one, 1, -1, rwf)
		              : preadv2(op->fd, &one, 1, -1, rwf));
	return r;
}

/*
 * One blocking call for the op. Returns res, or -EINTR if a signal cut it
 * short (the caller retries unless the op is cancelled).
 */
static int run_call(const struct hoop_op *op)
{
	void *addr = (void *)(uintptr_t)op->addr;
	void *addr2 = (void *)(uintptr_t)op->off;
	int64_t off = (int64_t)op->off;
	switch (op->opcode) {
	case HOOP_OP_NOP:
		return 0;
	case HOOP_OP_READ:
		if (op->op_flags)
			return rw_flagged(op, false);
		if (off == -1)
			return neg(read(op->fd, addr, op->len));
		{
			int r = neg(pread(op->fd, addr, op->len, off));
			/* io_uring ignores the offset of a stream (pipe,
			 * socket); so do we. */
			return r == -ESPIPE ? neg(read(op->fd, addr, op->len)) : r;
		}
	case HOOP_OP_WRITE:
		if (op->op_flags)
			return rw_flagged(op, true);
		if (off == -1)
			return neg(write(op->fd, addr, op->len));
		{
			int r = neg(pwrite(op->fd, addr, op->len, off));
			return r == -ESPIPE ? neg(write(op->fd, addr, op->len))
			                    : r;
		}
	case HOOP_OP_READV: {
		int r = neg(preadv2(op->fd, addr, (int)op->len, off,
		                    (int)op->op_flags));
		return r == -ESPIPE ? neg(readv(op->fd, addr, (int)op->len)) : r;
	}
	case HOOP_OP_WRITEV: {
		int r = neg(pwritev2(op->fd, addr, (int)op->len, off,
		                     (int)op->op_flags));
		return r == -ESPIPE ? neg(writev(op->fd, addr, (int)op->len)) : r;
	}
	case HOOP_OP_FSYNC:
		if (op->op_flags & ~HOOP_FSYNC_DATASYNC)
			return -EINVAL;
		return neg((op->op_flags & HOOP_FSYNC_DATASYNC) ? fdatasync(op->fd)
		                                                : fsync(op->fd));
	case HOOP_OP_SYNC_FILE_RANGE:
		return neg(sync_file_range(op->fd, off, op->len,
		                           (unsigned)op->op_flags));
	case HOOP_OP_FALLOCATE:
		return neg(fallocate(op->fd, (int)op->len, off, (off_t)op->addr));
	case HOOP_OP_FADVISE:
		return -posix_fadvise(op->fd, off,
		                      op->addr ? (off_t)op->addr : (off_t)op->len,
		                      (int)op->op_flags);
	case HOOP_OP_FTRUNCATE:
		return neg(ftruncate(op->fd, off));
	case HOOP_OP_OPENAT:
		if (op->file_index)
			return -EOPNOTSUPP; /* direct descriptors need io_uring */
		return neg(openat(op->fd, addr, (int)op->op_flags, (mode_t)op->len));
	case HOOP_OP_OPENAT2:
		if (op->file_index)
			return -EOPNOTSUPP;
		return neg(syscall(SYS_openat2, op->fd, addr, addr2,
		                   (size_t)op->len));
	case HOOP_OP_CLOSE:
		if (op->file_index)
			return -EOPNOTSUPP;
		return neg(close(op->fd));
	case HOOP_OP_STATX:
		return neg(statx(op->fd, addr, (int)op->op_flags, op->len, addr2));
	case HOOP_OP_UNLINKAT:
		return neg(unlinkat(op->fd, addr, (int)op->op_flags));
	case HOOP_OP_RENAMEAT:
		return neg(renameat2(op->fd, addr, (int)op->len, addr2,
		                     op->op_flags));
	case HOOP_OP_MKDIRAT:
		return neg(mkdirat(op->fd, addr, (mode_t)op->len));
	case HOOP_OP_SYMLINKAT:
		return neg(symlinkat(addr, op->fd, addr2));
	case HOOP_OP_LINKAT:
		return neg(linkat(op->fd, addr, (int)op->len, addr2,
		                  (int)op->op_flags));
	case HOOP_OP_SPLICE: {
		loff_t in_off = (loff_t)op->addr, out_off = off;
		return neg(splice(op->file_index,
		                  (int64_t)op->addr == -1 ? NULL : &in_off,
		                  op->fd, off == -1 ? NULL : &out_off, op->len,
		                  op->op_flags));
	}
	case HOOP_OP_TEE:
		return neg(tee(op->file_index, op->fd, op->len, op->op_flags));
	case HOOP_OP_ACCEPT:
		if (op->ioprio & HOOP_ACCEPT_MULTISHOT || op->file_index)
			return -EOPNOTSUPP;
		return neg(accept4(op->fd, addr, addr2, (int)op->op_flags));
	case HOOP_OP_CONNECT:
		return neg(connect(op->fd, addr, (socklen_t)op->off));
	case HOOP_OP_SEND:
		return neg(send(op->fd, addr, op->len, (int)op->op_flags));
	case HOOP_OP_RECV:
		if (op->ioprio & HOOP_RECV_MULTISHOT ||
		    op->sqe_flags & HOOP_SQE_BUFFER_SELECT)
			return -EOPNOTSUPP;
		return neg(recv(op->fd, addr, op->len, (int)op->op_flags));
	case HOOP_OP_SENDMSG:
		return neg(sendmsg(op->fd, addr, (int)op->op_flags));
	case HOOP_OP_RECVMSG:
		return neg(recvmsg(op->fd, addr, (int)op->op_flags));
	case HOOP_OP_SHUTDOWN:
		return neg(shutdown(op->fd, (int)op->len));
	case HOOP_OP_SOCKET:
		if (op->file_index)
			return -EOPNOTSUPP;
		return neg(socket(op->fd, (int)op->off, (int)op->len));
	case HOOP_OP_BIND:
		return neg(bind(op->fd, addr, (socklen_t)op->off));
	case HOOP_OP_LISTEN:
		return neg(listen(op->fd, (int)op->len));
	default:
		return op->opcode < HOOP_OP_LAST ? -EOPNOTSUPP : -EINVAL;
	}
}

/*
 * io_uring does not hand EAGAIN from a non-blocking file back to the
 * caller: it waits for readiness and tries again. Do the same for the
 * operations that can wait on a file's readiness. Returns 0 when ready (or
 * interrupted: the caller re-checks for cancellation), -EAGAIN for others.
 */
static int wait_ready(struct job *j, const struct hoop_op *op)
{
	short ev;
	switch (op->opcode) {
	case HOOP_OP_READ:
	case HOOP_OP_READV:
	case HOOP_OP_RECV:
	case HOOP_OP_RECVMSG:
	case HOOP_OP_ACCEPT:
		ev = POLLIN;
		break;
	case HOOP_OP_WRITE:
	case HOOP_OP_WRITEV:
	case HOOP_OP_SEND:
	case HOOP_OP_SENDMSG:
		ev = POLLOUT;
		break;
	default:
		return -EAGAIN;
	}
	if ((op->opcode == HOOP_OP_RECV || op->opcode == HOOP_OP_SEND ||
	     op->opcode == HOOP_OP_RECVMSG || op->opcode == HOOP_OP_SENDMSG) &&
	    (op->op_flags & MSG_DONTWAIT))
		return -EAGAIN; /* the caller asked for EAGAIN */
	struct pollfd pfd = {op->fd, ev, 0};
	if (job_cancelled(j))
		return 0;
	poll(&pfd, 1, -1);
	return 0;
}

static int run_op(struct job *j, const struct hoop_op *op)
{
	if (op->sqe_flags & ~(HOOP_SQE_IO_LINK | HOOP_SQE_IO_HARDLINK |
	                      HOOP_SQE_IO_DRAIN | HOOP_SQE_ASYNC |
	                      HOOP_SQE_BUFFER_SELECT | HOOP_SQE_CQE_SKIP_SUCCESS))
		return -EINVAL;
	if (op->sqe_flags & HOOP_SQE_FIXED_FILE)
		return -EOPNOTSUPP;
	if (op->opcode == HOOP_OP_TIMEOUT)
		return run_timeout(j, op);
	if (op->opcode == HOOP_OP_POLL_ADD)
		return run_poll(j, op);
	for (;;) {
		if (job_cancelled(j))
			return -ECANCELED;
		int r = run_call(op);
		if (r == -EAGAIN && wait_ready(j, op) == 0)
			continue;
		if (r != -EINTR)
			return r;
		/* A signal cut the call short: our cancel, or (rarely, since
		 * workers block signals) something else; retry unless ours. */
	}
}

/* ---- the pool ---- */

static void list_remove_running(struct hoop_pool *p, struct job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		p->running = j->next;
	if (j->next)
		j->next->prev = j->prev;
	j->next = j->prev = NULL;
}

static void job_free(struct job *j)
{
	free(j); /* ops and tokens live in the same block */
}

static void run_job(struct hoop_pool *p, struct job *j)
{
	bool broken = false;
	for (unsigned i = 0; i < j->n; i++) {
		const struct hoop_op *op = &j->ops[i];
		int res;
		if (broken || job_cancelled(j))
			res = -ECANCELED;
		else
			res = run_op(j, op);
		/* A failed (or short) member of a plain link breaks the
		 * chain; a hardlink keeps going. */
		bool linked = (op->sqe_flags & HOOP_SQE_IO_LINK) &&
		              !(op->sqe_flags & HOOP_SQE_IO_HARDLINK);
		bool short_rw = (op->opcode == HOOP_OP_READ ||
		                 op->opcode == HOOP_OP_WRITE) &&
		                res >= 0 && (uint32_t)res < op->len;
		if (linked && (res < 0 || short_rw))
			broken = true;
		if (res >= 0 && (op->sqe_flags & HOOP_SQE_CQE_SKIP_SUCCESS))
			res = 0; /* still delivered: the engine owes a result */
		/* No lock: a canceller reads cur under p->mu, which orders
		 * nothing here; it only learns which ops are too late. */
		atomic_store_explicit(&j->cur, i + 1, memory_order_release);
		p->done(p->done_ctx, j->tokens[i], res);
	}
}

static void *worker_main(void *arg)
{
	struct hoop_pool *p = arg;
	sigset_t all;
	sigfillset(&all);
	sigdelset(&all, p->sig);
	pthread_sigmask(SIG_SETMASK, &all, NULL);

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->pending_head && !p->stopping) {
			p->idle++;
			pthread_cond_wait(&p->work_cv, &p->mu);
			p->idle--;
		}
		if (!p->pending_head && p->stopping)
			break;
		struct job *j = p->pending_head;
		p->npending--;
		p->pending_head = j->next;
		if (!p->pending_head)
			p->pending_tail = NULL;
		j->next = p->running;
		j->prev = NULL;
		if (p->running)
			p->running->prev = j;
		p->running = j;
		j->running = true;
		j->worker = pthread_self();
		pthread_mutex_unlock(&p->mu);

		run_job(p, j);

		pthread_mutex_lock(&p->mu);
		list_remove_running(p, j);
		if (p->cancel_waiters)
			pthread_cond_broadcast(&p->done_cv);
		/* Freed under the lock: one lock round per job, and the next
		 * job (if any) is taken in the same section. */
		job_free(j);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Start one more worker. Caller holds p->mu. */
static int spawn_locked(struct hoop_pool *p)
{
	if (p->nworkers == p->nthreads_cap)
		return -EAGAIN;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 256 * 1024);
	int r = pthread_create(&p->threads[p->nworkers], &at, worker_main, p);
	pthread_attr_destroy(&at);
	if (r)
		return -r;
	p->nworkers++;
	return 0;
}

int hoop__pool_create(struct hoop_pool **out, unsigned max, int sig, bool take,
                      hoop__done_fn done, void *ctx)
{
	int err = hoop__pool_signal_claim(sig, take, NULL, 0);
	if (err < 0)
		return err;
	struct hoop_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->done = done;
	p->done_ctx = ctx;
	p->sig = sig;
	p->max_workers = max ? max : POOL_MAX_WORKERS;
	p->nthreads_cap = p->max_workers;
	p->threads = calloc(p->nthreads_cap, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	pthread_mutex_lock(&p->mu);
	unsigned start = POOL_MIN_WORKERS < p->max_workers ? POOL_MIN_WORKERS
	                                                   : p->max_workers;
	for (unsigned i = 0; i < start && !err; i++)
		err = spawn_locked(p);
	pthread_mutex_unlock(&p->mu);
	if (err) {
		hoop__pool_destroy(p);
		return err;
	}
	*out = p;
	return 0;
}

void hoop__pool_destroy(struct hoop_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->work_cv);
	unsigned n = p->nworkers;
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < n; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->done_cv);
	free(p->threads);
	free(p);
}

void hoop__pool_forget(struct hoop_pool *p)
{
	/* Jobs and locks may be mid-use by threads that only exist in the
	 * parent: leak them rather than touch them. */
	free(p->threads);
	free(p);
}

static struct job *job_new(const struct hoop_op *ops, const uint64_t *tokens,
                           unsigned n)
{
	/* One block: the job, then its ops, then its tokens. */
	struct job *j = malloc(sizeof(*j) + n * (sizeof(*ops) + sizeof(*tokens)));
	if (!j)
		return NULL;
	memset(j, 0, sizeof(*j));
	j->ops = (struct hoop_op *)(j + 1);
	j->tokens = (uint64_t *)(j->ops + n);
	memcpy(j->ops, ops, n * sizeof(*ops));
	memcpy(j->tokens, tokens, n * sizeof(*tokens));
	j->n = n;
	return j;
}

int hoop__pool_submit(struct hoop_pool *p, const struct hoop_op *ops,
                      const uint64_t *tokens, unsigned n)
{
	/* Split into chains: a chain ends at the first op without a link. */
	struct job *first = NULL, *last = NULL;
	unsigned njobs = 0;
	for (unsigned i = 0; i < n;) {
		unsigned k = i;
		while (k + 1 < n && (ops[k].sqe_flags &
		                     (HOOP_SQE_IO_LINK | HOOP_SQE_IO_HARDLINK)))
			k++;
		struct job *j = job_new(&ops[i], &tokens[i], k - i + 1);
		if (!j) {
			while (first) {
				struct job *nx = first->next;
				job_free(first);
				first = nx;
			}
			return -ENOMEM;
		}
		if (last)
			last->next = j;
		else
			first = j;
		last = j;
		njobs++;
		i = k + 1;
	}
	pthread_mutex_lock(&p->mu);
	if (p->pending_tail)
		p->pending_tail->next = first;
	else
		p->pending_head = first;
	p->pending_tail = last;
	p->npending += njobs;
	/*
	 * Blocking calls hold workers: make sure every queued job has a worker
	 * that will take it. `idle` counts workers asleep or already woken for
	 * earlier jobs they have not taken yet, so compare it with all queued
	 * jobs, not only the new ones.
	 */
	unsigned want = p->npending > p->idle ? p->npending - p->idle : 0;
	while (want-- && p->nworkers < p->max_workers)
		if (spawn_locked(p) < 0)
			break;
	/* One wake-up per job, not a broadcast: with many idle workers a
	 * broadcast wakes them all to find one job each at most. Signalled
	 * after the unlock, so a woken worker does not at once block on the
	 * mutex this thread still holds (a second switch per job). */
	unsigned wake = njobs < p->idle ? njobs : p->idle;
	pthread_mutex_unlock(&p->mu);
	while (wake--)
		pthread_cond_signal(&p->work_cv);
	return 0;
}

static bool job_matches(const struct job *j, uint64_t token, int fd, bool any)
{
	if (any)
		return true;
	/* Ops before j->cur have been delivered already: too late for them. */
	unsigned from = j->running ? atomic_load_explicit(&j->cur,
	                                                  memory_order_acquire)
	                           : 0;
	for (unsigned i = from; i < j->n; i++) {
		if (token && j->tokens[i] == token)
			return true;
		if (fd >= 0 && j->ops[i].fd == fd &&
		    !(j->ops[i].sqe_flags & HOOP_SQE_FIXED_FILE))
			return true;
	}
	return false;
}

int hoop__pool_cancel(struct hoop_pool *p, uint64_t token, int fd, bool any)
{
	int found = 0;
	struct job *cancelled_queued = NULL;
	pthread_mutex_lock(&p->mu);
	/* Queued: take them out; their ops complete with -ECANCELED below. */
	struct job **pp = &p->pending_head, *prev = NULL;
	while (*pp) {
		struct job *j = *pp;
		if (job_matches(j, token, fd, any)) {
			*pp = j->next;
			p->npending--;
			if (p->pending_tail == j)
				p->pending_tail = prev;
			j->next = cancelled_queued;
			cancelled_queued = j;
			found++;
			if (!any && token)
				break;
		} else {
			prev = j;
			pp = &j->next;
		}
	}
	/* Running: flag and interrupt until each has finished. */
	for (;;) {
		struct job *target = NULL;
		for (struct job *j = p->running; j; j = j->next)
			if (job_matches(j, token, fd, any)) {
				target = j;
				break;
			}
		if (!target)
			break;
		if (!job_cancelled(target))
			found++;
		atomic_store_explicit(&target->cancel, 1, memory_order_release);
		pthread_kill(target->worker, p->sig);
		/* The signal may land before the call starts: repeat until
		 * the job is gone. */
		struct timespec ts;
		hoop__cond_deadline(&ts, 1000000);
		p->cancel_waiters++;
		pthread_cond_timedwait(&p->done_cv, &p->mu, &ts);
		p->cancel_waiters--;
	}
	pthread_mutex_unlock(&p->mu);
	while (cancelled_queued) {
		struct job *j = cancelled_queued;
		cancelled_queued = j->next;
		for (unsigned i = 0; i < j->n; i++)
			p->done(p->done_ctx, j->tokens[i], -ECANCELED);
		job_free(j);
	}
	return found;
}

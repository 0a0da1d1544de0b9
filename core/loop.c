/*
 * core/loop.c - hoop_loop: an event loop with callbacks on a ring that one
 * thread owns.
 *
 * Operations live in slots; a slot's id (its user_data) is the index + 1 in
 * the low 32 bits and a generation in the high 32, so a late completion or a
 * stale id never reaches a reused slot. hoop_prep_* clear user_data, so the
 * loop keeps each SQE's user_data beside the SQ and writes it into every
 * unpublished SQE right before anything submits ("stamping").
 *
 * Completions are copied out of the CQ in batches and the head advanced
 * before any callback runs, so callbacks may do anything with the ring
 * (including a LEGACY buffer give-back, which submits and takes its own
 * result out of the CQ).
 *
 * Sends on one fd form a queue: one is in the kernel at a time, so they go
 * out in order and a short send is continued before the next starts. A
 * close waits until every receive, accept and send on its fd has had its
 * last callback, so its own callback is the last for the fd.
 *
 * hoop_loop_stop writes an eventfd that a multishot poll on the ring
 * watches; write(2) and an atomic store are all it does, both
 * async-signal-safe.
 */
#include "net_internal.h"
#include "ring_internal.h"
#include "slots.h" /* the token encoding, shared with the engine */

#include "hoop/inline.h"
#include "hoop/prep.h"
#include "hoop/probe.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define UD_IGNORE 0ull /* cancels: result not needed */
/* A cancel for an op carries the op's id with this bit (ids never have it:
 * their generation is at most GEN_MAX), so its result finds the op. */
#define UD_CANCEL (1ull << 63)
#define UD_STOP 0xffffffffffffff03ull /* the stop eventfd's poll */
#define GEN_MAX 0x7fffffffu

#define BATCH 64                        /* CQEs copied out at a time */
#define LOOP_MULTISHOT_MIN_NS 100000ull /* REPEAT timers faster: by hand */
#define ACCEPT_BACKOFF_NS 1000000ull /* before re-arming after -EMFILE etc. */

enum kind { K_RAW = 1, K_TIMER, K_ACCEPT, K_RECV, K_SEND, K_CLOSE };

struct lop {
	hoop_loop_fn fn;
	void *arg;
	uint32_t gen;
	uint8_t kind;
	bool live;
	bool in_kernel;   /* an SQE for it is queued or in the kernel */
	bool cancel_sent; /* a cancel for the current SQE was submitted */
	bool cancelled;   /* stop for good: no re-arm, no continuation */
	bool queued;      /* a send waiting behind another on its fd */
	bool manual;      /* REPEAT timer re-armed by hand (no multishot) */
	bool fired;       /* a timer that completed at least once */
	bool backoff;     /* accept: waiting out a pause before re-arming */
	bool bytes_done;  /* send: every byte went (or it failed) */
	bool deferred;    /* on the deferred list */
	bool retry;       /* on the retry list (no SQE was free) */
	int fd;
	unsigned flags;
	hoop_bufgroup *g;
	const unsigned char *buf;
	size_t len, done;
	int32_t result;  /* send: what fn gets; deferred: the result */
	uint32_t notifs; /* zero-copy notifications still to come */
	uint64_t ns;
	struct hoop_timespec ts;
	uint32_t next;  /* free list and fd send queue: index + 1 */
	uint32_t dnext; /* deferred / retry list: index + 1 */
};

struct fdent {
	uint32_t qhead, qtail; /* sends on the fd, in order: index + 1 */
	uint32_t nops;         /* receives, accepts and sends not yet final */
	uint32_t close_idx;    /* a close waiting for nops == 0: index + 1 */
};

struct hoop_loop {
	hoop_ring *ring;
	struct lop *ops;
	uint32_t nops, free_head, live;
	uint64_t *sq_ud; /* user_data of each SQ slot, stamped at submit */
	struct fdent *fds;
	unsigned nfds;
	uint32_t def_head, def_tail; /* deferred results */
	uint32_t retry_head;         /* ops waiting for an SQE */
	int efd;
	bool stop_armed;
	bool destroying;
	bool cancels_owed; /* a cancel found the SQ full: send it next round */
	bool bundles;      /* HOOP_FEAT_RECVSEND_BUNDLE */
	_Atomic int stop_req;
	struct hoop_loop *next_loop;
};

/* ---- loops by ring, for the LEGACY buffer-group hook ---- */

static pthread_mutex_t loops_lock = PTHREAD_MUTEX_INITIALIZER;
static hoop_loop *loops_head;

static void stamp(hoop_loop *l);

static void presubmit_hook(hoop_ring *r)
{
	pthread_mutex_lock(&loops_lock);
	for (hoop_loop *l = loops_head; l; l = l->next_loop)
		if (l->ring == r)
			stamp(l);
	pthread_mutex_unlock(&loops_lock);
}

static void loops_add(hoop_loop *l)
{
	pthread_mutex_lock(&loops_lock);
	l->next_loop = loops_head;
	loops_head = l;
	pthread_mutex_unlock(&loops_lock);
	__atomic_store_n(&hoop__bufgroup_presubmit, presubmit_hook,
	                 __ATOMIC_RELEASE);
}

static void loops_del(hoop_loop *l)
{
	pthread_mutex_lock(&loops_lock);
	for (hoop_loop **p = &loops_head; *p; p = &(*p)->next_loop) {
		if (*p == l) {
			*p = l->next_loop;
			break;
		}
	}
	pthread_mutex_unlock(&loops_lock);
}

/* ---- slots ---- */

static inline uint64_t op_ud(const hoop_loop *l, const struct lop *op)
{
	return hoop__token_make((uint32_t)(op - l->ops), op->gen);
}

static struct lop *op_from_ud(hoop_loop *l, uint64_t ud)
{
	uint32_t idx1 = hoop__token_index1(ud), gen = hoop__token_gen(ud);
	if (idx1 == 0 || idx1 > l->nops)
		return NULL;
	struct lop *op = &l->ops[idx1 - 1];
	if (!op->live || op->gen != gen)
		return NULL;
	return op;
}

static struct lop *op_alloc(hoop_loop *l, int kind, hoop_loop_fn fn, void *arg)
{
	if (!l->free_head)
		return NULL;
	struct lop *op = &l->ops[l->free_head - 1];
	l->free_head = op->next;
	uint32_t gen = op->gen;
	memset(op, 0, sizeof(*op));
	op->gen = gen;
	op->kind = (uint8_t)kind;
	op->fn = fn;
	op->arg = arg;
	op->live = true;
	op->fd = -1;
	l->live++;
	return op;
}

static struct fdent *fd_ent(hoop_loop *l, int fd, bool grow)
{
	if (fd < 0)
		return NULL;
	if ((unsigned)fd >= l->nfds) {
		if (!grow)
			return NULL;
		unsigned n = l->nfds ? l->nfds : 64;
		while (n <= (unsigned)fd)
			n *= 2;
		struct fdent *f = realloc(l->fds, n * sizeof(*f));
		if (!f)
			return NULL;
		memset(f + l->nfds, 0, (n - l->nfds) * sizeof(*f));
		l->fds = f;
		l->nfds = n;
	}
	return &l->fds[fd];
}

static bool counts_on_fd(const struct lop *op)
{
	return op->kind == K_RECV || op->kind == K_ACCEPT || op->kind == K_SEND;
}

static void arm(hoop_loop *l, struct lop *op);

static void op_free(hoop_loop *l, struct lop *op)
{
	int fd = op->fd;
	bool on_fd = counts_on_fd(op);
	op->live = false;
	op->gen = op->gen >= GEN_MAX ? 1 : op->gen + 1;
	op->next = l->free_head;
	l->free_head = (uint32_t)(op - l->ops) + 1;
	l->live--;
	if (!on_fd)
		return;
	struct fdent *f = fd_ent(l, fd, false);
	if (!f)
		return;
	f->nops--;
	/* The last callback for the fd has run: a waiting close may go. */
	if (f->nops == 0 && f->close_idx)
		arm(l, &l->ops[f->close_idx - 1]);
}

/* Run the final callback and free the slot. */
static void finish(hoop_loop *l, struct lop *op, int32_t res, uint32_t flags)
{
	if (op->fn)
		op->fn(l, op->arg, res, flags & ~HOOP_CQE_F_MORE);
	op_free(l, op);
}

/* Deliver `res` as the op's final result on the next dispatch round. */
static void defer(hoop_loop *l, struct lop *op, int32_t res)
{
	if (op->deferred)
		return;
	op->deferred = true;
	op->result = res;
	op->dnext = 0;
	uint32_t i = (uint32_t)(op - l->ops) + 1;
	if (l->def_tail)
		l->ops[l->def_tail - 1].dnext = i;
	else
		l->def_head = i;
	l->def_tail = i;
}

/* ---- SQEs ---- */

/* Give every unpublished SQE the user_data the loop chose for it. */
static void stamp(hoop_loop *l)
{
	hoop_ring *r = l->ring;
	for (unsigned i = r->sqe_head; i != r->sqe_tail; i++)
		r->sqes[(i & r->sq_mask) << r->sqe_shift].user_data =
		        l->sq_ud[i & r->sq_mask];
}

static int submit(hoop_loop *l)
{
	stamp(l);
	return hoop_ring_submit(l->ring);
}

/* An SQE that will carry `ud`, or NULL when the SQ stays full. */
static struct hoop_sqe *get_sqe(hoop_loop *l, uint64_t ud)
{
	hoop_ring *r = l->ring;
	struct hoop_sqe *sqe = hoop_ring_get_sqe(r);
	if (!sqe) {
		submit(l);
		sqe = hoop_ring_get_sqe(r);
		if (!sqe)
			return NULL;
	}
	l->sq_ud[(r->sqe_tail - 1) & r->sq_mask] = ud;
	return sqe;
}

static void stamp_one(struct hoop_sqe *sqe, uint64_t ud)
{
	sqe->user_data = ud;
}

/*
 * Ask the kernel to cancel whatever carries `ud`. The cancel's own CQE
 * carries `self`: UD_IGNORE, or ud | UD_CANCEL for an op's cancel, whose
 * -ENOENT on_cancel_cqe looks at. Returns false when the SQ stays full
 * (the kernel took no SQE when asked: -EBUSY or -EAGAIN): nothing was
 * sent, and the loop owes the cancel (resend_owed on the next round).
 */
static bool send_cancel(hoop_loop *l, uint64_t ud, uint64_t self)
{
	struct hoop_sqe *sqe = get_sqe(l, self);
	if (!sqe) {
		l->cancels_owed = true;
		return false;
	}
	hoop_prep_cancel(sqe, ud, HOOP_ASYNC_CANCEL_ALL);
	stamp_one(sqe, self);
	return true;
}

/*
 * The result of an op's cancel. Nothing found while the op is still in the
 * kernel means the cancel fell into a gap: a firing timeout is off the kernel's
 * timeout list until task work re-arms it (multishot) or posts it, and a
 * fast REPEAT timer is in that gap nearly all the time (measured: 1 us
 * periods ran on for seconds after one cancel). The op is still ours to
 * end, so ask again; its final CQE ends the asking (in_kernel false, or
 * the id no longer live). A count of 1 is no proof either: a multishot
 * timeout whose expiry was running on another CPU is counted and fires on
 * (on_timer asks again at its next expiry).
 */
static void on_cancel_cqe(hoop_loop *l, uint64_t self, int32_t res)
{
	/* With CANCEL_ALL the result is how many were cancelled: 0 is the
	 * not-found answer, -ENOENT only for a cancel without ALL. */
	if (res != 0 && res != -ENOENT)
		return;
	uint64_t ud = self & ~UD_CANCEL;
	struct lop *op = op_from_ud(l, ud);
	if (op && op->in_kernel && op->cancel_sent)
		op->cancel_sent = send_cancel(l, ud, self);
}

static void cancel_op(hoop_loop *l, struct lop *op)
{
	if (op->kind == K_CLOSE)
		return;
	op->cancelled = true;
	if (op->queued) {
		/* Never started: leave the fd's queue (never its head, which
		 * is the send in flight) and fail. */
		struct fdent *f = fd_ent(l, op->fd, false);
		uint32_t me = (uint32_t)(op - l->ops) + 1, prev = 0;
		uint32_t cur = f->qhead;
		while (cur && cur != me) {
			prev = cur;
			cur = l->ops[cur - 1].next;
		}
		if (cur) {
			if (prev)
				l->ops[prev - 1].next = op->next;
			else
				f->qhead = op->next;
			if (f->qtail == me)
				f->qtail = prev;
		}
		op->queued = false;
		defer(l, op, -ECANCELED);
		return;
	}
	if (op->in_kernel && !op->cancel_sent)
		op->cancel_sent = send_cancel(l, op_ud(l, op),
		                              op_ud(l, op) | UD_CANCEL);
	/* Otherwise it is between completions (in its own callback, or a
	 * zero-copy send waiting for its notification): dispatch sees the
	 * flag. */
}

static void retry_later(hoop_loop *l, struct lop *op)
{
	if (op->retry)
		return;
	op->retry = true;
	op->dnext = l->retry_head;
	l->retry_head = (uint32_t)(op - l->ops) + 1;
}

static void ns_to_ts(uint64_t ns, struct hoop_timespec *ts)
{
	ts->tv_sec = (int64_t)(ns / 1000000000ull);
	ts->tv_nsec = (int64_t)(ns % 1000000000ull);
}

/* Put the op's next SQE in the SQ (or on the retry list). */
static void arm(hoop_loop *l, struct lop *op)
{
	struct hoop_sqe *sqe = get_sqe(l, op_ud(l, op));
	if (!sqe) {
		retry_later(l, op);
		return;
	}
	switch (op->kind) {
	case K_TIMER: {
		unsigned tf = 0;
		if ((op->flags & HOOP_LOOP_TIMER_REPEAT) && !op->manual)
			tf = HOOP_TIMEOUT_MULTISHOT;
		hoop_prep_timeout(sqe, &op->ts, 0, tf);
		break;
	}
	case K_ACCEPT:
		if (op->backoff) {
			ns_to_ts(ACCEPT_BACKOFF_NS, &op->ts);
			hoop_prep_timeout(sqe, &op->ts, 0, 0);
		} else if (op->flags & HOOP_LOOP_DIRECT) {
			hoop_prep_multishot_accept_direct(sqe, op->fd, NULL,
			                                  NULL, 0);
		} else {
			hoop_prep_multishot_accept(sqe, op->fd, NULL, NULL,
			                           SOCK_CLOEXEC);
		}
		break;
	case K_RECV:
		hoop_prep_recv_multishot(sqe, op->fd, NULL, 0, 0);
		hoop_sqe_set_buf_group(sqe, hoop_bufgroup_id(op->g));
		if ((op->flags & HOOP_LOOP_BUNDLE) && l->bundles)
			sqe->ioprio |= HOOP_RECVSEND_BUNDLE;
		break;
	case K_SEND: {
		size_t n = op->len - op->done;
		/* WAITALL: the kernel itself continues short sends on a
		 * stream socket; NOSIGNAL: a reset peer is -EPIPE, not a
		 * SIGPIPE. */
		int mf = MSG_NOSIGNAL | MSG_WAITALL;
		if (op->flags & HOOP_LOOP_ZC)
			hoop_prep_send_zc(sqe, op->fd, op->buf + op->done, n,
			                  mf, 0);
		else
			hoop_prep_send(sqe, op->fd, op->buf + op->done, n, mf);
		break;
	}
	case K_CLOSE:
		hoop_prep_close(sqe, op->fd);
		break;
	default:
		hoop_prep_nop(sqe);
		break;
	}
	stamp_one(sqe, op_ud(l, op));
	op->in_kernel = true;
	op->cancel_sent = false;
}

/* ---- completions ---- */

/* The next send on the fd, if any, goes into the kernel. */
static void send_next(hoop_loop *l, struct lop *op)
{
	struct fdent *f = fd_ent(l, op->fd, false);
	uint32_t me = (uint32_t)(op - l->ops) + 1;
	if (!f || f->qhead != me)
		return;
	f->qhead = op->next;
	if (f->qtail == me)
		f->qtail = 0;
	if (f->qhead) {
		struct lop *nx = &l->ops[f->qhead - 1];
		nx->queued = false;
		arm(l, nx);
	}
}

static bool accept_error_transient(int32_t res)
{
	return res == -ENFILE || res == -EMFILE || res == -ENOMEM ||
	       res == -ENOBUFS || res == -EAGAIN || res == -EINTR ||
	       res == -ECONNABORTED;
}

static bool ending(hoop_loop *l, struct lop *op)
{
	if (op->cancelled || l->destroying)
		return true;
	struct fdent *f = fd_ent(l, op->fd, false);
	return f && f->close_idx;
}

static void on_timer(hoop_loop *l, struct lop *op, int32_t res, uint32_t fl)
{
	bool repeat = (op->flags & HOOP_LOOP_TIMER_REPEAT) != 0;
	if (fl & HOOP_CQE_F_MORE) {
		op->fired = true;
		/*
		 * Still firing after a cancel: the cancel may have met the
		 * expiry running on another CPU, which the kernel answers
		 * -EALREADY, and CANCEL_ALL counts that as one cancelled, so
		 * nothing else asks again. The timer is back on the kernel's
		 * list now (re-armed before this CQE): ask again. One that
		 * was cancelled for real just finds nothing.
		 */
		if (op->cancelled && op->cancel_sent)
			op->cancel_sent = send_cancel(l, op_ud(l, op),
			                              op_ud(l, op) | UD_CANCEL);
		op->fn(l, op->arg, res, fl);
		return;
	}
	op->in_kernel = false;
	if (repeat && !op->manual && !op->fired && res == -EINVAL &&
	    !op->cancelled) {
		op->manual = true; /* no multishot timeouts (before 6.4) */
		arm(l, op);
		return;
	}
	if (repeat && op->manual && res == -ETIME) {
		/* A repeat timer ends only by a cancel: one that fired
		 * before its cancel landed ends as cancelled all the same. */
		if (ending(l, op)) {
			finish(l, op, -ECANCELED, 0);
			return;
		}
		op->fired = true;
		op->fn(l, op->arg, res, HOOP_CQE_F_MORE);
		if (!ending(l, op))
			arm(l, op);
		else
			finish(l, op, -ECANCELED, 0);
		return;
	}
	finish(l, op, res, fl);
}

static void on_accept(hoop_loop *l, struct lop *op, int32_t res, uint32_t fl)
{
	if (op->backoff) {
		op->in_kernel = false;
		op->backoff = false;
		if (ending(l, op))
			finish(l, op, -ECANCELED, 0);
		else
			arm(l, op);
		return;
	}
	if (fl & HOOP_CQE_F_MORE) {
		op->fn(l, op->arg, res, fl);
		return;
	}
	op->in_kernel = false;
	if (ending(l, op) || (res < 0 && !accept_error_transient(res))) {
		finish(l, op, res, fl);
		return;
	}
	/* The kernel ended the multishot for a reason that passes (a full
	 * fd table, no memory, or none): tell fn, which may cancel, then
	 * re-arm, after a pause if it was an error. */
	op->fn(l, op->arg, res, fl | HOOP_CQE_F_MORE);
	if (ending(l, op)) {
		finish(l, op, -ECANCELED, 0);
		return;
	}
	op->backoff = res < 0;
	arm(l, op);
}

static void on_recv(hoop_loop *l, struct lop *op, int32_t res, uint32_t fl)
{
	if (fl & HOOP_CQE_F_BUFFER)
		hoop__bufgroup_note(op->g, fl >> HOOP_CQE_BUFFER_SHIFT, res);
	if (fl & HOOP_CQE_F_MORE) {
		op->fn(l, op->arg, res, fl);
		return;
	}
	op->in_kernel = false;
	if (res <= 0 || ending(l, op)) {
		finish(l, op, res, fl);
		return;
	}
	/* Data, and the kernel stopped on its own: keep receiving. */
	op->fn(l, op->arg, res, fl | HOOP_CQE_F_MORE);
	if (ending(l, op))
		finish(l, op, -ECANCELED, 0);
	else
		arm(l, op);
}

static void send_result(hoop_loop *l, struct lop *op, int32_t res)
{
	op->bytes_done = true;
	op->result = res;
	send_next(l, op);
	if (op->notifs == 0)
		finish(l, op, op->result, 0);
}

static void on_send(hoop_loop *l, struct lop *op, int32_t res, uint32_t fl)
{
	if (fl & HOOP_CQE_F_NOTIF) {
		/* The kernel is done with the buffer of one zero-copy send. */
		if (op->notifs)
			op->notifs--;
		if (op->bytes_done && op->notifs == 0)
			finish(l, op, op->result, 0);
		return;
	}
	if (fl & HOOP_CQE_F_MORE)
		op->notifs++; /* a notification will follow */
	op->in_kernel = false;
	if (res < 0) {
		send_result(l, op, res);
		return;
	}
	op->done += (size_t)res;
	if (op->done >= op->len) {
		send_result(l, op, (int32_t)op->len);
		return;
	}
	if (res == 0) {
		send_result(l, op, -EPIPE); /* no progress on a stream */
		return;
	}
	if (op->cancelled || l->destroying) {
		send_result(l, op, -ECANCELED);
		return;
	}
	arm(l, op); /* the rest of a short send */
}

static void on_close(hoop_loop *l, struct lop *op, int32_t res, uint32_t fl)
{
	struct fdent *f = fd_ent(l, op->fd, false);
	if (f)
		f->close_idx = 0;
	(void)fl;
	finish(l, op, res, 0);
}

static void on_stop_cqe(hoop_loop *l, uint32_t fl)
{
	uint64_t v;
	while (read(l->efd, &v, sizeof(v)) > 0)
		;
	if (fl & HOOP_CQE_F_MORE)
		return;
	l->stop_armed = false;
	if (l->destroying)
		return;
	struct hoop_sqe *sqe = get_sqe(l, UD_STOP);
	if (sqe) {
		hoop_prep_poll_multishot(sqe, l->efd, POLLIN);
		stamp_one(sqe, UD_STOP);
		l->stop_armed = true;
	}
}

/* Route one completion; returns 1 if a callback ran. */
static int dispatch(hoop_loop *l, const struct hoop_cqe *c)
{
	if (c->user_data == UD_STOP) {
		on_stop_cqe(l, c->flags);
		return 0;
	}
	if (c->user_data & UD_CANCEL) {
		on_cancel_cqe(l, c->user_data, c->res);
		return 0;
	}
	struct lop *op = op_from_ud(l, c->user_data);
	if (!op)
		return 0; /* cancels, LEGACY provides, late arrivals */
	switch (op->kind) {
	case K_TIMER:
		on_timer(l, op, c->res, c->flags);
		break;
	case K_ACCEPT:
		on_accept(l, op, c->res, c->flags);
		break;
	case K_RECV:
		on_recv(l, op, c->res, c->flags);
		break;
	case K_SEND:
		on_send(l, op, c->res, c->flags);
		break;
	case K_CLOSE:
		on_close(l, op, c->res, c->flags);
		break;
	default:
		if (c->flags & HOOP_CQE_F_MORE) {
			op->fn(l, op->arg, c->res, c->flags);
		} else {
			op->in_kernel = false;
			finish(l, op, c->res, c->flags);
		}
		break;
	}
	return 1;
}

static int run_deferred(hoop_loop *l)
{
	int n = 0;
	while (l->def_head) {
		struct lop *op = &l->ops[l->def_head - 1];
		l->def_head = op->dnext;
		if (!l->def_head)
			l->def_tail = 0;
		op->deferred = false;
		finish(l, op, op->result, 0);
		n++;
	}
	return n;
}

static void run_retries(hoop_loop *l)
{
	uint32_t i = l->retry_head;
	l->retry_head = 0;
	while (i) {
		struct lop *op = &l->ops[i - 1];
		i = op->dnext;
		op->retry = false;
		if (op->live)
			arm(l, op);
	}
}

/*
 * Completions kept in the overflow backlog, or task work the kernel defers
 * until we enter, need an enter to show up. Without TASKRUN_FLAG a
 * DEFER_TASKRUN ring does not say so: enter anyway.
 */
static bool needs_enter(const hoop_ring *r)
{
	if (hoop_load_relaxed(r->sq_kflags) &
	    (HOOP_SQ_CQ_OVERFLOW | HOOP_SQ_TASKRUN))
		return true;
	return (r->setup_flags & HOOP_SETUP_DEFER_TASKRUN) &&
	       !(r->setup_flags & HOOP_SETUP_TASKRUN_FLAG);
}

/* Copy out and dispatch what the CQ holds; returns callbacks run. */
static int drain(hoop_loop *l, unsigned limit)
{
	hoop_ring *r = l->ring;
	struct hoop_cqe batch[BATCH];
	int ran = 0;
	unsigned seen = 0;
	bool flushed = false;
	const struct hoop_ring_view *v = hoop_ring_view_of(r);
	while (seen < limit) {
		unsigned head = hoop_load_relaxed(r->cq_khead), h = head, n = 0;
		unsigned tail = hoop_load_acquire(r->cq_ktail);
		struct hoop_cqe *c;
		/* The ring's stepping (CQE_MIXED: big CQEs, padding). */
		while (n < BATCH &&
		       (c = hoop_ring_cq_entry_inline(v, &h, tail)) != NULL) {
			batch[n++] = *c;
			h += hoop_ring_cq_steps_inline(v, c);
		}
		if (h != head) /* Release: copied before the kernel reuses. */
			hoop_store_release(r->cq_khead, h);
		if (n == 0) {
			if (h != head)
				continue; /* padding only */
			if (flushed || !needs_enter(r))
				break;
			hoop_ring_get_events(r);
			flushed = true;
			continue;
		}
		for (unsigned i = 0; i < n; i++)
			ran += dispatch(l, &batch[i]);
		seen += n;
		flushed = false;
	}
	return ran;
}

/* One round: submit, wait up to timeout_ns, run callbacks. */
/*
 * Send the cancels an earlier call could not (the SQ was full and the
 * kernel took nothing): every op cancelled, still in the kernel and not
 * yet asked. Without this, hoop_loop_cancel on a full SQ was lost and the
 * op ran on until it ended by itself.
 */
static void resend_owed(hoop_loop *l)
{
	l->cancels_owed = false;
	for (uint32_t i = 0; i < l->nops && !l->cancels_owed; i++) {
		struct lop *op = &l->ops[i];
		if (op->live && op->cancelled && op->in_kernel && !op->cancel_sent)
			cancel_op(l, op);
	}
}

static int run_round(hoop_loop *l, int64_t timeout_ns)
{
	int ran = run_deferred(l);
	run_retries(l);
	if (l->cancels_owed)
		resend_owed(l);
	if (ran || atomic_load_explicit(&l->stop_req, memory_order_relaxed))
		timeout_ns = 0;
	stamp(l);
	int r;
	if (timeout_ns == 0) {
		r = hoop_ring_submit(l->ring);
	} else {
		struct hoop_timespec ts;
		if (timeout_ns > 0)
			ns_to_ts((uint64_t)timeout_ns, &ts);
		r = hoop_ring_submit_and_wait_timeout(
		        l->ring, NULL, 1, timeout_ns > 0 ? &ts : NULL, NULL);
	}
	/* A timeout or a signal ends the wait; EBUSY/EAGAIN mean the kernel
	 * wants completions reaped before it takes more: both are for us to
	 * handle here, not results. */
	if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY && r != -EAGAIN)
		return r;
	ran += drain(l, 4 * l->ring->cq_entries);
	ran += run_deferred(l);
	return ran;
}

/* ---- public ---- */

static int loop_ring(hoop_loop *l, const hoop_loop_params *p)
{
	static const uint32_t ladder[] = {
	        HOOP_SETUP_COOP_TASKRUN | HOOP_SETUP_TASKRUN_FLAG |
	                HOOP_SETUP_SINGLE_ISSUER | HOOP_SETUP_DEFER_TASKRUN,
	        HOOP_SETUP_COOP_TASKRUN | HOOP_SETUP_TASKRUN_FLAG |
	                HOOP_SETUP_SINGLE_ISSUER,
	        HOOP_SETUP_COOP_TASKRUN | HOOP_SETUP_TASKRUN_FLAG,
	        0,
	};
	unsigned entries = p && p->entries ? p->entries : 256;
	if (entries > 32768)
		return -EINVAL;
	unsigned cq = entries * 4 > 65536 ? 65536 : entries * 4;
	int e = -EINVAL;
	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++) {
		hoop_ring_params rp;
		memset(&rp, 0, sizeof(rp));
		rp.flags = (p && p->setup_flags ? p->setup_flags : ladder[i]) |
		           HOOP_SETUP_CQSIZE;
		rp.cq_entries = cq;
		rp.min_entries = entries < 16 ? entries : 16;
		/* Kernels older than a flag refuse it with EINVAL. */
		e = hoop_ring_create(&l->ring, entries, &rp);
		if (e != -EINVAL || (p && p->setup_flags))
			break;
	}
	return e;
}

int hoop_loop_create(hoop_loop **out, const hoop_loop_params *params)
{
	if (!out)
		return -EINVAL;
	if (params) {
		for (size_t i = 0;
		     i < sizeof(params->resv) / sizeof(params->resv[0]); i++)
			if (params->resv[i])
				return -EINVAL;
	}
	hoop_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->efd = -1;
	int e = loop_ring(l, params);
	if (e < 0) {
		free(l);
		return e;
	}
	hoop_ring *r = l->ring;
	l->bundles = (r->features & HOOP_FEAT_RECVSEND_BUNDLE) != 0;
	l->nops = r->cq_entries;
	l->ops = calloc(l->nops, sizeof(*l->ops));
	l->sq_ud = calloc(r->sq_entries, sizeof(*l->sq_ud));
	l->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!l->ops || !l->sq_ud || l->efd < 0) {
		e = l->efd < 0 ? -errno : -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < l->nops; i++) {
		l->ops[i].gen = 1;
		l->ops[i].next = i + 2 <= l->nops ? i + 2 : 0;
	}
	l->free_head = 1;
	struct hoop_sqe *sqe = get_sqe(l, UD_STOP);
	hoop_prep_poll_multishot(sqe, l->efd, POLLIN);
	stamp_one(sqe, UD_STOP);
	l->stop_armed = true;
	e = submit(l);
	if (e < 0)
		goto fail;
	loops_add(l);
	*out = l;
	return 0;
fail:
	if (l->efd >= 0)
		close(l->efd);
	free(l->ops);
	free(l->sq_ud);
	hoop_ring_destroy(l->ring);
	free(l);
	return e;
}

/* Cancel every op in the kernel that has not been asked yet. */
static void cancel_pass(hoop_loop *l)
{
	for (uint32_t i = 0; i < l->nops; i++) {
		struct lop *op = &l->ops[i];
		if (!op->live)
			continue;
		if (op->queued)
			cancel_op(l, op);
		else if (op->in_kernel && !op->cancel_sent && op->kind != K_CLOSE)
			cancel_op(l, op);
	}
	if (l->stop_armed && send_cancel(l, UD_STOP, UD_IGNORE))
		l->stop_armed = false;
}

void hoop_loop_destroy(hoop_loop *l)
{
	if (!l)
		return;
	l->destroying = true;
	/* Every op ends with a final callback; closes still run (no fd is
	 * left open), nothing is re-armed or continued. */
	while (l->live) {
		cancel_pass(l);
		int r = run_round(l, 100000000ll);
		if (r < 0 && r != -EINTR)
			break; /* a dead ring: the kernel cancels on close */
	}
	loops_del(l);
	hoop__bufgroup_ring_gone(l->ring);
	hoop_ring_destroy(l->ring);
	close(l->efd);
	free(l->ops);
	free(l->sq_ud);
	free(l->fds);
	free(l);
}

hoop_ring *hoop_loop_ring(hoop_loop *l) { return l ? l->ring : NULL; }

struct hoop_sqe *hoop_loop_sqe(hoop_loop *l, hoop_loop_fn fn, void *arg)
{
	if (!l || !fn || l->destroying)
		return NULL;
	struct lop *op = op_alloc(l, K_RAW, fn, arg);
	if (!op)
		return NULL;
	uint64_t ud = op_ud(l, op);
	struct hoop_sqe *sqe = get_sqe(l, ud);
	if (!sqe) {
		op_free(l, op);
		return NULL;
	}
	hoop_prep_nop(sqe); /* a defined SQE until the caller fills it */
	stamp_one(sqe, ud);
	op->in_kernel = true;
	return sqe;
}

uint64_t hoop_loop_sqe_id(const struct hoop_sqe *sqe)
{
	return sqe ? sqe->user_data : 0;
}

int hoop_loop_run_once(hoop_loop *l, int64_t timeout_ns)
{
	if (!l || l->destroying)
		return -EINVAL;
	int stopped = atomic_exchange(&l->stop_req, 0);
	int r = run_round(l, stopped ? 0 : timeout_ns);
	return r;
}

int hoop_loop_run(hoop_loop *l)
{
	if (!l || l->destroying)
		return -EINVAL;
	for (;;) {
		if (atomic_exchange(&l->stop_req, 0))
			return 0;
		int r = run_round(l, -1);
		if (r < 0)
			return r;
	}
}

int hoop_loop_stop(hoop_loop *l)
{
	if (!l)
		return -EINVAL;
	atomic_store(&l->stop_req, 1);
	uint64_t one = 1;
	if (write(l->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

unsigned hoop_loop_pending(const hoop_loop *l) { return l ? l->live : 0; }

int hoop_loop_cancel(hoop_loop *l, uint64_t id)
{
	if (!l)
		return -EINVAL;
	struct lop *op = op_from_ud(l, id);
	if (!op || op->deferred)
		return -ENOENT;
	if (op->kind == K_CLOSE)
		return -EALREADY;
	if (op->cancelled)
		return 0;
	cancel_op(l, op);
	return 0;
}

/* Common start of the helpers: a slot of `kind`, or -errno. */
static int start(hoop_loop *l, int kind, hoop_loop_fn fn, void *arg,
                 struct lop **out)
{
	if (l->destroying)
		return -ESHUTDOWN;
	struct lop *op = op_alloc(l, kind, fn, arg);
	if (!op)
		return -EBUSY;
	*out = op;
	return 0;
}

int hoop_loop_timer(hoop_loop *l, uint64_t ns, unsigned flags, hoop_loop_fn fn,
                    void *arg, uint64_t *id_out)
{
	if (!l || !fn || ns == 0 || (flags & ~HOOP_LOOP_TIMER_REPEAT))
		return -EINVAL;
	struct lop *op;
	int e = start(l, K_TIMER, fn, arg, &op);
	if (e < 0)
		return e;
	op->flags = flags;
	op->ns = ns;
	/* A multishot timeout firing this fast is off the kernel's list
	 * (waiting for task work to re-arm it) nearly whenever a cancel looks
	 * for it, so a cancel keeps missing it (on_cancel_cqe). Re-arming a
	 * one-shot timeout after each fire costs an SQE per fire but ends at
	 * once when cancelled. */
	op->manual = (flags & HOOP_LOOP_TIMER_REPEAT) && ns < LOOP_MULTISHOT_MIN_NS;
	ns_to_ts(ns, &op->ts);
	arm(l, op);
	if (id_out)
		*id_out = op_ud(l, op);
	return 0;
}

/* Attach an op to its fd: refused while a close of the fd is pending. */
static int fd_attach(hoop_loop *l, struct lop *op, int fd)
{
	struct fdent *f = fd_ent(l, fd, true);
	if (!f)
		return -ENOMEM;
	if (f->close_idx)
		return -EBADF;
	op->fd = fd;
	f->nops++;
	return 0;
}

static int start_fd(hoop_loop *l, int kind, int fd, unsigned flags,
                    hoop_loop_fn fn, void *arg, struct lop **out)
{
	int e = start(l, kind, fn, arg, out);
	if (e < 0)
		return e;
	(*out)->flags = flags;
	e = fd_attach(l, *out, fd);
	if (e < 0) {
		(*out)->kind = K_RAW; /* not counted on the fd */
		op_free(l, *out);
	}
	return e;
}

int hoop_loop_accept(hoop_loop *l, int fd, unsigned flags, hoop_loop_fn fn,
                     void *arg, uint64_t *id_out)
{
	if (!l || fd < 0 || !fn || (flags & ~HOOP_LOOP_DIRECT))
		return -EINVAL;
	struct lop *op;
	int e = start_fd(l, K_ACCEPT, fd, flags, fn, arg, &op);
	if (e < 0)
		return e;
	arm(l, op);
	if (id_out)
		*id_out = op_ud(l, op);
	return 0;
}

int hoop_loop_recv(hoop_loop *l, int fd, hoop_bufgroup *g, unsigned flags,
                   hoop_loop_fn fn, void *arg, uint64_t *id_out)
{
	if (!l || fd < 0 || !g || !fn || (flags & ~HOOP_LOOP_BUNDLE) ||
	    hoop__bufgroup_ring(g) != l->ring)
		return -EINVAL;
	struct lop *op;
	int e = start_fd(l, K_RECV, fd, flags, fn, arg, &op);
	if (e < 0)
		return e;
	op->g = g;
	arm(l, op);
	if (id_out)
		*id_out = op_ud(l, op);
	return 0;
}

int hoop_loop_send(hoop_loop *l, int fd, const void *buf, size_t len,
                   unsigned flags, hoop_loop_fn fn, void *arg)
{
	if (!l || fd < 0 || (!buf && len) || len > INT32_MAX ||
	    (flags & ~HOOP_LOOP_ZC))
		return -EINVAL;
	struct lop *op;
	int e = start_fd(l, K_SEND, fd, flags, fn, arg, &op);
	if (e < 0)
		return e;
	op->buf = buf;
	op->len = len;
	struct fdent *f = fd_ent(l, fd, false);
	uint32_t me = (uint32_t)(op - l->ops) + 1;
	if (f->qtail) {
		l->ops[f->qtail - 1].next = me;
		f->qtail = me;
		op->queued = true; /* behind an earlier send on this fd */
		return 0;
	}
	f->qhead = f->qtail = me;
	arm(l, op);
	return 0;
}

int hoop_loop_close(hoop_loop *l, int fd, unsigned flags, hoop_loop_fn fn, void *arg)
{
	if (!l || fd < 0 || (flags & ~HOOP_LOOP_ABORT))
		return -EINVAL;
	struct fdent *f = fd_ent(l, fd, true);
	if (!f)
		return -ENOMEM;
	if (f->close_idx)
		return -EALREADY;
	struct lop *op;
	int e = start(l, K_CLOSE, fn, arg, &op);
	if (e < 0)
		return e;
	op->fd = fd;
	op->flags = flags;
	f->close_idx = (uint32_t)(op - l->ops) + 1;
	if (flags & HOOP_LOOP_ABORT) {
		/* A reset instead of a FIN; not a socket: nothing to do. */
		struct linger lg = {1, 0};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	/* close(2) does not stop operations in flight on the fd: cancel
	 * them first (graceful: receives and accepts; abort: sends too). */
	for (uint32_t i = 0; i < l->nops; i++) {
		struct lop *o = &l->ops[i];
		if (!o->live || o->fd != fd || !counts_on_fd(o))
			continue;
		if (o->kind != K_SEND || (flags & HOOP_LOOP_ABORT))
			cancel_op(l, o);
	}
	if (f->nops == 0)
		arm(l, op);
	return 0;
}

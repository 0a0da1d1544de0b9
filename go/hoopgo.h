/*
 * go/hoopgo.h - glue between the Go package and hoop's C API: converts Go's
 * request records to hoop_ops with the core's own helpers and combines calls
 * so that Go crosses into C once per batch. No logic of its own.
 */
#ifndef HOOPGO_H
#define HOOPGO_H

#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include "hoop.h"

/* One request as Go hands it over: the fields every supported operation */
/* needs, converted to a hoop_op by the core's own helpers. */
struct hoopgo_req {
	uint64_t id;    /* caller's tag, becomes the op's user_data */
	uint64_t addr;  /* buffer, iovec array, path or sockaddr */
	uint64_t addr2; /* statx buffer, accept's socklen_t */
	int64_t off;
	uint32_t len;   /* bytes, iovec count, open mode or statx mask */
	uint32_t flags; /* fsync, open, statx, accept or MSG_* flags */
	int32_t fd;
	uint8_t op;
	uint8_t bufsel;     /* recv: select a buffer from group buf_group */
	uint16_t buf_group;
	uint8_t mshot;      /* accept, recv: multishot (recv needs bufsel) */
};

/* Set in the user_data of a receive selecting from the engine's own group: */
/* hoopgo_add and hoopgo_collect record its buffer as out of the kernel */
/* (hoop_bufgroup_bundle) as they collect it, before any give-back. */
#define HOOPGO_UD_GROUP (1ull << 62)

static inline int hoopgo_fill(struct hoop_op *op, const struct hoopgo_req *r)
{
	void *addr = (void *)(uintptr_t)r->addr;
	uint64_t off = (uint64_t)r->off;
	struct hoop_sqe sqe;
	switch (r->op) {
	case HOOP_OP_NOP:
		hoop_op_nop(op);
		break;
	case HOOP_OP_READ:
		hoop_op_read(op, r->fd, addr, r->len, off);
		break;
	case HOOP_OP_WRITE:
		hoop_op_write(op, r->fd, addr, r->len, off);
		break;
	case HOOP_OP_READV:
		hoop_op_readv(op, r->fd, addr, r->len, off);
		break;
	case HOOP_OP_WRITEV:
		hoop_op_writev(op, r->fd, addr, r->len, off);
		break;
	case HOOP_OP_FSYNC:
		hoop_op_fsync(op, r->fd, r->flags);
		break;
	case HOOP_OP_OPENAT:
		hoop_prep_openat(&sqe, r->fd, addr, (int)r->flags, (mode_t)r->len);
		hoop_op_from_sqe(op, &sqe);
		break;
	case HOOP_OP_CLOSE:
		hoop_prep_close(&sqe, r->fd);
		hoop_op_from_sqe(op, &sqe);
		break;
	case HOOP_OP_ACCEPT: /* addr: sockaddr or 0, addr2: its socklen_t */
		if (r->mshot)
			hoop_prep_multishot_accept(&sqe, r->fd, addr,
			                           (socklen_t *)(uintptr_t)r->addr2,
			                           (int)r->flags);
		else
			hoop_prep_accept(&sqe, r->fd, addr,
			                 (socklen_t *)(uintptr_t)r->addr2,
			                 (int)r->flags);
		hoop_op_from_sqe(op, &sqe);
		break;
	case HOOP_OP_CONNECT: /* addr: sockaddr, len: its length */
		hoop_prep_connect(&sqe, r->fd, addr, (socklen_t)r->len);
		hoop_op_from_sqe(op, &sqe);
		break;
	case HOOP_OP_RECV:
		if (r->mshot)
			hoop_prep_recv_multishot(&sqe, r->fd, NULL, 0,
			                         (int)r->flags);
		else
			hoop_prep_recv(&sqe, r->fd, addr, r->len, (int)r->flags);
		if (r->bufsel || r->mshot) {
			sqe.flags |= HOOP_SQE_BUFFER_SELECT;
			hoop_sqe_set_buf_group(&sqe, r->buf_group);
		}
		hoop_op_from_sqe(op, &sqe);
		break;
	case HOOP_OP_SEND:
		hoop_prep_send(&sqe, r->fd, addr, r->len, (int)r->flags);
		hoop_op_from_sqe(op, &sqe);
		break;
	case HOOP_OP_STATX:
		hoop_prep_statx(&sqe, r->fd, addr, (int)r->flags, r->len,
		                (struct statx *)(uintptr_t)r->addr2);
		hoop_op_from_sqe(op, &sqe);
		break;
	default:
		return -EINVAL;
	}
	op->user_data = r->id;
	return 0;
}

/* Record the buffers of the collected receives tagged HOOPGO_UD_GROUP as */
/* out of the kernel (g may be NULL: no such receives). */
static inline void hoopgo_mark(hoop_bufgroup *g, const struct hoop_completion *c,
                               int n)
{
	if (!g)
		return;
	for (int i = 0; i < n; i++) {
		int bid = hoop_bufgroup_cqe_bid(c[i].flags);
		if ((c[i].user_data & HOOPGO_UD_GROUP) && bid >= 0 && c[i].res > 0) {
			struct iovec iov;
			hoop_bufgroup_bundle(g, (unsigned)bid, c[i].res, &iov,
			                     NULL, 1);
		}
	}
}

/* Give n buffers of g back in one call; returns the first error or 0. */
static inline int hoopgo_return(hoop_bufgroup *g, const uint16_t *bids,
                                unsigned n)
{
	int err = 0;
	for (unsigned i = 0; i < n; i++) {
		int r = hoop_bufgroup_return(g, bids[i]);
		if (r < 0 && err == 0)
			err = r;
	}
	return err;
}

/* Convert n requests and add them to q in one call; then, when max > 0, */
/* collect whatever has already completed (reaping without waiting) into */
/* out[0..*nout), marking the engine group's buffers (g) as it goes. */
/* Returns n or -errno (nothing added). */
static inline int hoopgo_add(hoop_queue *q, const struct hoopgo_req *reqs, unsigned n,
                      uint64_t *tokens, struct hoop_completion *out,
                      unsigned max, int *nout, hoop_bufgroup *g)
{
	struct hoop_op small[16];
	struct hoop_op *ops = small;
	int r;
	*nout = 0;
	if (n > 16) {
		ops = malloc(n * sizeof(*ops));
		if (!ops)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		if ((r = hoopgo_fill(&ops[i], &reqs[i])) < 0)
			goto out;
	}
	r = hoop_queue_add(q, ops, n, tokens, 0);
	if (r >= 0 && max > 0) {
		int w = hoop_queue_wait(q, out, max, 1, 0);
		if (w > 0) {
			*nout = w;
			hoopgo_mark(g, out, w);
		}
	}
out:
	if (ops != small)
		free(ops);
	return r;
}

/* Collect completions: with min 0, whatever is there after reaping once, */
/* without waiting (-ETIME becomes 0); g as for hoopgo_add. */
static inline int hoopgo_collect(hoop_queue *q, struct hoop_completion *out,
                          unsigned max, hoop_bufgroup *g)
{
	int w = hoop_queue_wait(q, out, max, 1, 0);
	if (w > 0)
		hoopgo_mark(g, out, w);
	return w == -ETIME ? 0 : w;
}

#endif

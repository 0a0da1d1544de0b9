/*
 * core/op.c - hoop_op records: filled through the SQE preparers, so an op
 * and the SQE it becomes always agree.
 */
#include "hoop/engine.h"
#include "hoop/prep.h"

#include <string.h>

void hoop_op_from_sqe(struct hoop_op *op, const struct hoop_sqe *sqe)
{
	memcpy(op, sqe, sizeof(*op));
}

#define OP_VIA_SQE(call)                                                       \
	do {                                                                   \
		struct hoop_sqe sqe;                                           \
		call;                                                          \
		memcpy(op, &sqe, sizeof(*op));                                 \
	} while (0)

void hoop_op_nop(struct hoop_op *op) { OP_VIA_SQE(hoop_prep_nop(&sqe)); }

void hoop_op_read(struct hoop_op *op, int fd, void *buf, uint32_t len, uint64_t off)
{
	OP_VIA_SQE(hoop_prep_read(&sqe, fd, buf, len, off));
}

void hoop_op_write(struct hoop_op *op, int fd, const void *buf, uint32_t len,
                   uint64_t off)
{
	OP_VIA_SQE(hoop_prep_write(&sqe, fd, buf, len, off));
}

void hoop_op_readv(struct hoop_op *op, int fd, const struct iovec *iov,
                   unsigned nr, uint64_t off)
{
	OP_VIA_SQE(hoop_prep_readv(&sqe, fd, iov, nr, off));
}

void hoop_op_writev(struct hoop_op *op, int fd, const struct iovec *iov,
                    unsigned nr, uint64_t off)
{
	OP_VIA_SQE(hoop_prep_writev(&sqe, fd, iov, nr, off));
}

void hoop_op_fsync(struct hoop_op *op, int fd, unsigned flags)
{
	OP_VIA_SQE(hoop_prep_fsync(&sqe, fd, flags));
}

void hoop_op_timeout(struct hoop_op *op, const struct hoop_timespec *ts,
                     unsigned count, unsigned flags)
{
	OP_VIA_SQE(hoop_prep_timeout(&sqe, ts, count, flags));
}

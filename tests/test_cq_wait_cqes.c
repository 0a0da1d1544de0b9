/*
 * hoop_ring_wait_cqes with wait_nr > 1: returns 0 only once all of them are
 * there. Three reads on an empty pipe, each linked to a link timeout of 5,
 * 10 and 15 ms, give six completions spread over 15 ms; a NOP is also
 * queued. wait_cqes submits pending SQEs itself. With fewer in flight than
 * wait_nr it gives -ETIME. hoop_ring_wait_cqe_nr waits without a timeout.
 *
 * Link timeouts are used instead of plain timeouts on purpose: a plain
 * timeout completing wakes every waiter in the kernel early (see
 * test_cq_wait_cqes_timer_wake).
 */
#include "helpers.h"

#include <errno.h>
#include <unistd.h>

int main(void)
{
	int fds0 = t_fd_count();
	int p[2];
	CHECK_EQ(pipe(p), 0);
	hoop_ring *ring = t_ring(8, 0);
	if (!(hoop_ring_features(ring) & HOOP_FEAT_EXT_ARG))
		SKIP("kernel lacks HOOP_FEAT_EXT_ARG");
	struct hoop_timespec timers[3] = {{0, 5 * 1000000},
	                                  {0, 10 * 1000000},
	                                  {0, 15 * 1000000}};
	char buf[3][8];
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 100);
	for (int i = 0; i < 3; i++) {
		sqe = t_sqe(ring);
		hoop_prep_read(sqe, p[0], buf[i], sizeof(buf[i]), 0);
		hoop_sqe_set_data(sqe, (uint64_t)(1 + i));
		hoop_sqe_set_flags(sqe, HOOP_SQE_IO_LINK);
		sqe = t_sqe(ring);
		hoop_prep_link_timeout(sqe, &timers[i], 0);
		hoop_sqe_set_data(sqe, (uint64_t)(11 + i));
	}

	struct hoop_timespec ts = {2, 0};
	struct hoop_cqe *cqe = NULL;
	uint64_t t0 = t_now_ns();
	CHECK_EQ(hoop_ring_wait_cqes(ring, &cqe, 7, &ts, NULL), 0);
	CHECK(t_now_ns() - t0 >= 13 * 1000000ull);
	CHECK_EQ(hoop_ring_sq_ready(ring), 0);
	CHECK_EQ(hoop_ring_cq_ready(ring), 7);
	CHECK(cqe != NULL);
	CHECK_EQ(cqe->user_data, 100); /* the NOP finished first */
	struct hoop_cqe *batch[7];
	CHECK_EQ(hoop_ring_peek_batch_cqe(ring, batch, 7), 7);
	int reads = 0, timers_fired = 0;
	for (int i = 1; i < 7; i++) {
		uint64_t ud = batch[i]->user_data;
		if (ud >= 1 && ud <= 3) {
			CHECK_EQ(batch[i]->res, -ECANCELED);
			reads++;
		} else {
			CHECK(ud >= 11 && ud <= 13);
			CHECK_EQ(batch[i]->res, -ETIME);
			timers_fired++;
		}
	}
	CHECK_EQ(reads, 3);
	CHECK_EQ(timers_fired, 3);
	hoop_ring_cq_advance(ring, 7);

	/* One in flight, two wanted: -ETIME, the one is there. */
	sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 5);
	struct hoop_timespec short_ts = {0, 10 * 1000000};
	CHECK_EQ(hoop_ring_wait_cqes(ring, &cqe, 2, &short_ts, NULL), -ETIME);
	CHECK(cqe != NULL);
	CHECK_EQ(cqe->user_data, 5);
	hoop_ring_cqe_seen(ring, cqe);

	/* wait_cqe_nr: two timers, both needed. */
	for (int i = 0; i < 2; i++) {
		sqe = t_sqe(ring);
		hoop_prep_timeout(sqe, &timers[i], 0, 0);
		hoop_sqe_set_data(sqe, (uint64_t)(6 + i));
	}
	CHECK_EQ(hoop_ring_submit(ring), 2);
	CHECK_EQ(hoop_ring_wait_cqe_nr(ring, &cqe, 2), 0);
	CHECK_EQ(hoop_ring_cq_ready(ring), 2);
	CHECK_EQ(cqe->user_data, 6);
	hoop_ring_cq_advance(ring, 2);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	hoop_ring_destroy(ring);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}

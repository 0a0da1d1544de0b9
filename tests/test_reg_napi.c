/*
 * NAPI busy polling: hoop_ring_register_napi / hoop_ring_unregister_napi.
 *
 * - Each register call hands back the settings in force before it: none
 *   at first (0, 0, tracking inactive), then what the previous call set;
 *   unregister hands back the last settings, and after it they are gone.
 * - Static tracking: adding a NAPI id needs static tracking (-EINVAL under
 *   dynamic tracking); an invalid id (0) is -EINVAL.
 * - With busy polling on, a TCP recv on 127.0.0.1 still completes (loopback
 *   has no NAPI context to poll), also through a timed wait.
 * - Bad input (NULL, pad or resv not zero, unknown opcode or mode) is
 *   -EINVAL and changes neither the caller's struct nor the settings.
 *
 * A kernel built without busy polling answers -EOPNOTSUPP; then the test
 * skips.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct hoop_napi napi_of(uint32_t to, uint8_t prefer, uint8_t op,
                                uint32_t param)
{
	struct hoop_napi n;
	memset(&n, 0, sizeof(n));
	n.busy_poll_to = to;
	n.prefer_busy_poll = prefer;
	n.opcode = op;
	n.op_param = param;
	return n;
}

/* Register `n` and check what comes back as the previous settings. */
static void reg_expect_prev(hoop_ring *ring, struct hoop_napi n, uint32_t to,
                            uint8_t prefer, uint32_t mode)
{
	CHECK_EQ(hoop_ring_register_napi(ring, &n), 0);
	CHECK_EQ(n.busy_poll_to, to);
	CHECK_EQ(n.prefer_busy_poll, prefer);
	CHECK_EQ(n.op_param, mode);
}

static void bad(hoop_ring *ring, struct hoop_napi n)
{
	struct hoop_napi before = n;
	CHECK_EQ(hoop_ring_register_napi(ring, &n), -EINVAL);
	CHECK(memcmp(&n, &before, sizeof(n)) == 0);
}

int main(void)
{
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);

	struct hoop_napi n = napi_of(100, 1, HOOP_NAPI_REGISTER_OP,
	                             HOOP_NAPI_TRACKING_DYNAMIC);
	int r = hoop_ring_register_napi(ring, &n);
	if (r == -EOPNOTSUPP) {
		hoop_ring_destroy(ring);
		SKIP("kernel built without NAPI busy polling (-EOPNOTSUPP)");
	}
	if (r == -EINVAL && hoop_opcode_supported(HOOP_OP_FTRUNCATE) == 0) {
		hoop_ring_destroy(ring);
		SKIP("NAPI registration needs 6.9");
	}
	CHECK_EQ(r, 0);
	if (!t_kernel_at_least(6, 13)) {
		/* 6.9 .. 6.12: no tracking modes; opcode and op_param are
		 * padding, handed back as they were (zero). */
		CHECK_EQ(n.busy_poll_to, 0);
		CHECK_EQ(n.prefer_busy_poll, 0);
		CHECK_EQ(n.op_param, 0);
		struct hoop_napi prev;
		memset(&prev, 0, sizeof(prev));
		CHECK_EQ(hoop_ring_unregister_napi(ring, &prev), 0);
		CHECK_EQ(prev.busy_poll_to, 100);
		CHECK_EQ(prev.prefer_busy_poll, 1);
		hoop_ring_destroy(ring);
		CHECK_EQ(t_fd_count(), fds_before);
		SKIP("NAPI tracking modes need 6.13 (register and unregister "
		     "checked)");
	}
	/* Nothing was set before: tracking inactive. */
	CHECK_EQ(n.busy_poll_to, 0);
	CHECK_EQ(n.prefer_busy_poll, 0);
	CHECK_EQ(n.op_param, HOOP_NAPI_TRACKING_INACTIVE);

	/* Bad input: refused, nothing changed (checked below). */
	CHECK_EQ(hoop_ring_register_napi(ring, NULL), -EINVAL);
	struct hoop_napi b = napi_of(7, 0, 0, 0);
	b.pad[0] = 1;
	bad(ring, b);
	b = napi_of(7, 0, 0, 0);
	b.pad[1] = 1;
	bad(ring, b);
	b = napi_of(7, 0, 0, 0);
	b.resv = 1;
	bad(ring, b);
	bad(ring, napi_of(7, 0, 9, 0));                     /* unknown opcode */
	bad(ring, napi_of(7, 0, HOOP_NAPI_REGISTER_OP, 3)); /* unknown mode */
	/* A static id operation under dynamic tracking. */
	bad(ring, napi_of(0, 0, HOOP_NAPI_STATIC_ADD_ID, 0x12345));

	/* The settings are still the first call's. */
	reg_expect_prev(ring,
	                napi_of(50, 0, HOOP_NAPI_REGISTER_OP,
	                        HOOP_NAPI_TRACKING_DYNAMIC),
	                100, 1, HOOP_NAPI_TRACKING_DYNAMIC);

	/* Busy polling on: a loopback TCP recv still completes. */
	int cl, sv;
	CHECK_EQ(t_tcp_pair(&cl, &sv), 0);
	char buf[16];
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_recv(sqe, sv, buf, sizeof(buf), 0);
	hoop_sqe_set_data(sqe, 1);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	CHECK_EQ(send(cl, "napi", 4, 0), 4);
	struct hoop_cqe *cqe;
	struct hoop_timespec ts = {5, 0};
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &ts), 0);
	CHECK_EQ(cqe->user_data, 1);
	CHECK_EQ(cqe->res, 4);
	CHECK(memcmp(buf, "napi", 4) == 0);
	hoop_ring_cqe_seen(ring, cqe);
	/* And a wait that times out still times out. */
	struct hoop_timespec short_ts = {0, 20000000};
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &short_ts), -ETIME);

	/* Static tracking: ids can be added only now; id 0 is invalid. */
	reg_expect_prev(ring,
	                napi_of(20, 1, HOOP_NAPI_REGISTER_OP,
	                        HOOP_NAPI_TRACKING_STATIC),
	                50, 0, HOOP_NAPI_TRACKING_DYNAMIC);
	bad(ring, napi_of(0, 0, HOOP_NAPI_STATIC_ADD_ID, 0));

	/* Unregister hands back the last settings; then none are left. */
	struct hoop_napi prev;
	memset(&prev, 0xff, sizeof(prev));
	CHECK_EQ(hoop_ring_unregister_napi(ring, &prev), 0);
	CHECK_EQ(prev.busy_poll_to, 20);
	CHECK_EQ(prev.prefer_busy_poll, 1);
	CHECK_EQ(hoop_ring_unregister_napi(ring, NULL), 0);
	reg_expect_prev(ring,
	                napi_of(10, 0, HOOP_NAPI_REGISTER_OP,
	                        HOOP_NAPI_TRACKING_DYNAMIC),
	                0, 0, HOOP_NAPI_TRACKING_INACTIVE);
	hoop_ring_destroy(ring);

	/* An IOPOLL ring has no use for it. */
	ring = t_ring(4, HOOP_SETUP_IOPOLL);
	n = napi_of(10, 0, HOOP_NAPI_REGISTER_OP, HOOP_NAPI_TRACKING_DYNAMIC);
	r = hoop_ring_register_napi(ring, &n);
	printf("IOPOLL ring: register_napi gives %d (%s)\n", r, hoop_strerror(r));
	CHECK(r == -EINVAL || r == 0);
	hoop_ring_destroy(ring);

	close(cl);
	close(sv);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}

/*
 * Per-opcode fallback on the kernel as it is (no HOOP_ENGINE_MASK_OPS):
 * FTRUNCATE (6.9), BIND and LISTEN (6.11) go through an io_uring engine;
 * where the probe says the kernel lacks them they are served by the thread
 * pool (pool_ops counts them), else by the ring (pool_ops stays 0), with
 * the same results either way. FUTEX_WAIT (6.7) on a word that does not
 * hold the expected value: the kernel gives -EAGAIN; the pool has no futex
 * call, so where the kernel lacks it the engine answers -EOPNOTSUPP and
 * must not send it to the ring (which would give -EINVAL). tests/kernels
 * runs this on 6.1 (all four missing) and 6.12 (none missing).
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int32_t run_one(hoop_engine *e, const struct hoop_sqe *sqe)
{
	struct hoop_op op;
	uint64_t tok;
	hoop_op_from_sqe(&op, sqe);
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 10000000000ll), 0);
	return c.res;
}

int main(void)
{
	const char *be = getenv("HOOP_BACKEND");
	if (!be || strcmp(be, "uring") != 0)
		SKIP("checks the io_uring engine's choice: run with "
		     "HOOP_BACKEND=uring");
	hoop_engine *e = t_engine(NULL);
	CHECK_EQ(hoop_engine_backend(e), HOOP_BACKEND_URING);
	int has_trunc = hoop_opcode_supported(HOOP_OP_FTRUNCATE) == 1;
	int has_bind = hoop_opcode_supported(HOOP_OP_BIND) == 1;
	int has_listen = hoop_opcode_supported(HOOP_OP_LISTEN) == 1;
	int has_futex = hoop_opcode_supported(HOOP_OP_FUTEX_WAIT) == 1;
	printf("kernel has ftruncate %d bind %d listen %d futex_wait %d\n",
	       has_trunc, has_bind, has_listen, has_futex);
	unsigned pool_expected = !has_trunc + !has_bind + !has_listen;

	struct hoop_sqe sqe;
	int fd = t_tmpfile(4096, NULL);
	hoop_prep_ftruncate(&sqe, fd, 100);
	CHECK_EQ(run_one(e, &sqe), 0);
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 100);
	close(fd);

	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	hoop_prep_bind(&sqe, s, (struct sockaddr *)&a, sizeof(a));
	CHECK_EQ(run_one(e, &sqe), 0);
	hoop_prep_listen(&sqe, s, 4);
	CHECK_EQ(run_one(e, &sqe), 0);
	/* Really listening: a connection is accepted into the backlog. */
	socklen_t len = sizeof(a);
	CHECK_EQ(getsockname(s, (struct sockaddr *)&a, &len), 0);
	CHECK(a.sin_port != 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	close(c);
	close(s);

	static uint32_t word = 1;
	hoop_prep_futex_wait(&sqe, &word, 2,
	                     0xffffffffu /* FUTEX_BITSET_MATCH_ANY */,
	                     0x02 /* FUTEX2_SIZE_U32 */, 0);
	CHECK_EQ(run_one(e, &sqe), has_futex ? -EAGAIN : -EOPNOTSUPP);

	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.pool_ops, pool_expected + !has_futex);
	hoop_engine_destroy(e);
	return T_PASS;
}

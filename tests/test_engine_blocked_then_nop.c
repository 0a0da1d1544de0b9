/*
 * A few reads blocked on empty pipes, submitted one call at a time, then a
 * NOP: the NOP must complete at once, however many reads went before it
 * (a fresh engine each time, 1 to 8 reads). A backend that runs operations
 * on worker threads must not let the blocked reads starve it.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define MAXR 8

int main(void)
{
	int fds = t_fd_count();
	for (int k = 1; k <= MAXR; k++) {
		hoop_engine *e = t_engine(NULL);
		int r;
		int p[2];
		CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
		unsigned char buf[MAXR];
		uint64_t tok[MAXR], ntok;
		struct hoop_op op;
		for (int i = 0; i < k; i++) {
			hoop_op_read(&op, p[0], &buf[i], 1, (uint64_t)-1);
			CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok[i], 0), 1);
		}
		hoop_op_nop(&op);
		op.user_data = 99;
		CHECK_EQ(hoop_engine_submit(e, &op, 1, &ntok, 0), 1);
		struct hoop_completion c;
		r = hoop_engine_wait(e, ntok, &c, 2000000000ll);
		if (r != 0)
			fprintf(stderr, "NOP after %d blocked reads (%s): %s\n", k,
			        hoop_engine_backend_reason(e), hoop_strerror(r));
		CHECK_EQ(r, 0);
		CHECK_EQ(c.res, 0);
		CHECK_EQ(c.user_data, 99);
		CHECK_EQ(hoop_engine_cancel_fd(e, p[0], 0), k);
		for (int i = 0; i < k; i++) {
			CHECK_EQ(hoop_engine_wait(e, tok[i], &c, 5000000000ll), 0);
			CHECK_EQ(c.res, -ECANCELED);
		}
		hoop_engine_destroy(e);
		close(p[0]);
		close(p[1]);
	}
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}

/*
 * hoop_queue_destroy with reads still blocked on pipes: it returns, nothing
 * leaks, the engine's count of operations in flight drops to 0, and the
 * kernel never writes into the reads' buffers afterwards (the bytes written
 * into the pipes later are still in the pipes, the canary is intact).
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define NPIPES 8
#define PER_PIPE 4
#define NREADS (NPIPES * PER_PIPE)
#define CANARY 0xc3

int main(void)
{
	int fds = t_fd_count();
	hoop_engine *e = t_engine(NULL);

	for (int round = 0; round < 2; round++) {
		hoop_queue *q = NULL;
		CHECK_EQ(hoop_queue_create(&q, e, NREADS + 1), 0);
		int p[NPIPES][2];
		static unsigned char bufs[NREADS][8];
		memset(bufs, CANARY, sizeof(bufs));
		struct hoop_op ops[NREADS];
		for (int i = 0; i < NPIPES; i++)
			CHECK_EQ(pipe2(p[i], O_CLOEXEC), 0);
		for (int i = 0; i < NREADS; i++) {
			hoop_op_read(&ops[i], p[i / PER_PIPE][0], bufs[i], 8,
			             (uint64_t)-1);
			ops[i].user_data = (uint64_t)i;
		}
		CHECK_EQ(hoop_queue_add(q, ops, NREADS, NULL, 0), NREADS);
		/* Round 1 also has one completion waiting, never collected. */
		if (round == 1) {
			struct hoop_op nop;
			hoop_op_nop(&nop);
			CHECK_EQ(hoop_queue_add(q, &nop, 1, NULL, 0), 1);
			uint64_t until = t_now_ns() + 5000000000ull;
			while (hoop_queue_ready(q) != 1) {
				CHECK(t_now_ns() < until);
				usleep(100);
			}
		}
		struct hoop_engine_metrics m;
		CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
		CHECK_EQ(m.inflight, NREADS);
		hoop_queue_destroy(q);
		CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
		CHECK_EQ(m.inflight, 0);
		CHECK_EQ(m.completed, m.submitted);

		for (int i = 0; i < NPIPES; i++)
			CHECK_EQ(write(p[i][1], "datadata", 8), 8);
		for (int i = 0; i < NREADS; i++)
			for (int k = 0; k < 8; k++)
				CHECK_EQ(bufs[i][k], CANARY);
		for (int i = 0; i < NPIPES; i++) {
			char back[16];
			CHECK_EQ(read(p[i][0], back, sizeof(back)), 8);
			CHECK_EQ(memcmp(back, "datadata", 8), 0);
			close(p[i][0]);
			close(p[i][1]);
		}
	}
	/* The engine is still fine. */
	struct hoop_op nop;
	uint64_t tok;
	struct hoop_completion c;
	hoop_op_nop(&nop);
	CHECK_EQ(hoop_engine_submit(e, &nop, 1, &tok, 0), 1);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, 0);
	hoop_engine_destroy(e);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}

/*
 * hoop_engine_destroy while submitters are blocked waiting for room (every
 * slot is held by a read on an empty pipe): each blocked submit returns
 * -ESHUTDOWN, and destroy does not free the engine under them (the
 * sanitizer builds catch a use after free). Repeated to widen the window.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define ROUNDS 20
#define NSUB 4

static hoop_engine *eng;
static atomic_int started;
static int results[NSUB];

static void *submitter(void *arg)
{
	int *res = arg;
	struct hoop_op op;
	uint64_t tok;
	hoop_op_nop(&op);
	atomic_fetch_add(&started, 1);
	*res = hoop_engine_submit(eng, &op, 1, &tok, 0);
	return NULL;
}

int main(void)
{
	int fds = t_fd_count();
	for (int round = 0; round < ROUNDS; round++) {
		hoop_engine_params prm;
		memset(&prm, 0, sizeof(prm));
		prm.sq_entries = 8;
		prm.cq_entries = 8;
		eng = t_engine(&prm);
		unsigned maxf = hoop_engine_max_inflight(eng);
		CHECK_EQ(maxf, 6);

		/* Fill every slot with a read that never completes. */
		int p[2];
		CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
		static unsigned char buf[6];
		struct hoop_op ops[6];
		uint64_t tok[6];
		for (unsigned i = 0; i < maxf; i++)
			hoop_op_read(&ops[i], p[0], &buf[i], 1, (uint64_t)-1);
		CHECK_EQ(hoop_engine_submit(eng, ops, maxf, tok, 0), (int)maxf);

		atomic_store(&started, 0);
		pthread_t th[NSUB];
		for (int i = 0; i < NSUB; i++) {
			results[i] = 12345;
			CHECK_EQ(pthread_create(&th[i], NULL, submitter,
			                        &results[i]),
			         0);
		}
		/* All submitters are in, and they block (bounded: 10 s). */
		uint64_t until = t_now_ns() + 10000000000ull;
		struct hoop_engine_metrics m;
		for (;;) {
			CHECK_EQ(hoop_engine_get_metrics(eng, &m, sizeof(m)), 0);
			if (atomic_load(&started) == NSUB && m.submit_blocked >= NSUB)
				break;
			CHECK(t_now_ns() < until);
			usleep(500);
		}
		CHECK_EQ(m.submitted, maxf);
		usleep(2000);
		hoop_engine_destroy(eng);
		eng = NULL;
		for (int i = 0; i < NSUB; i++) {
			pthread_join(th[i], NULL);
			CHECK_EQ(results[i], -ESHUTDOWN);
		}
		close(p[0]);
		close(p[1]);
	}
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}

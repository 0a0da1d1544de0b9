/*
 * Sends on one fd go out in the order they were started, one at a time,
 * short sends continued: 300 sends of 1 byte to 256 KiB (every third
 * zero-copy) while a thread reads and checks the stream; each callback
 * runs once with the full length, plain sends' in order. (Queued sends
 * that are cancelled: see netloop_destroy and netloop_reset.)
 */
#include "test_net_util.h"

#include <pthread.h>

#define NS 300
static size_t lens[NS];
static int cb_count[NS], plain_order[NS], nplain;
static int32_t res_of[NS];
static int ndone;

static void on_sent(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	(void)flags;
	int i = (int)(intptr_t)arg;
	cb_count[i]++;
	res_of[i] = res;
	if (i % 3)
		plain_order[nplain++] = i;
	ndone++;
}

static int cfd;
static unsigned char *expect;
static size_t total;

int main(void)
{
	int fds = t_fd_count();
	hoop_loop *l = tn_loop();
	int s;
	CHECK_EQ(t_tcp_pair(&cfd, &s), 0);
	tn_timeout(cfd);
	unsigned char **bufs = calloc(NS, sizeof(*bufs));
	size_t all = 0;
	for (int i = 0; i < NS; i++) {
		lens[i] = (size_t)1 << (i % 19);
		all += lens[i];
	}
	expect = malloc(all);
	for (int i = 0; i < NS; i++) {
		bufs[i] = malloc(lens[i]);
		for (size_t k = 0; k < lens[i]; k++)
			bufs[i][k] = (unsigned char)(i + k * 3);
		memcpy(expect + total, bufs[i], lens[i]);
		total += lens[i];
		CHECK_EQ(hoop_loop_send(l, s, bufs[i], lens[i],
		                        i % 3 ? 0 : HOOP_LOOP_ZC, on_sent,
		                        (void *)(intptr_t)i),
		         0);
	}
	CHECK_EQ(hoop_loop_pending(l), NS);
	pthread_t th;
	struct tn_reader rd = {cfd, expect, total, 0, 0};
	CHECK_EQ(pthread_create(&th, NULL, tn_reader_main, &rd), 0);
	TN_RUN_UNTIL(l, ndone == NS);
	pthread_join(th, NULL);
	for (int i = 0; i < NS; i++) {
		CHECK_EQ(cb_count[i], 1);
		CHECK_EQ(res_of[i], (int32_t)lens[i]);
	}
	for (int i = 1; i < nplain; i++)
		CHECK(plain_order[i - 1] < plain_order[i]);
	hoop_loop_destroy(l);
	for (int i = 0; i < NS; i++)
		free(bufs[i]);
	free(bufs);
	free(expect);
	close(cfd);
	close(s);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}

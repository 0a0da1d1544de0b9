/*
 * Zero-copy sends through the loop: fn runs only after the kernel has let
 * go of the buffer. Each callback poisons its buffer and frees it (ASan
 * builds catch any later use by hoop); the peer starts reading only after a
 * pause, so the 1 MiB send's pages are still queued in the socket when its
 * result arrives, and every byte it reads must be the original, in the
 * order the sends were started. Each fn runs exactly once with its full
 * length (in the order the notifications come, which need not be the
 * order of the sends).
 */
#include "test_net_util.h"

#include <pthread.h>

#define NSEND 6
static const size_t lens[NSEND] = {1 << 20, 1, 4096, 100, 65536, 1 << 20};
static int done_count[NSEND], ndone;

struct zbuf {
	int idx;
	size_t len;
	unsigned char data[];
};

static unsigned char pat(int idx, size_t i)
{
	return (unsigned char)(idx * 41 + i * 7 + (i >> 9));
}

static void on_sent(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	struct zbuf *z = arg;
	CHECK_EQ(flags & HOOP_CQE_F_MORE, 0);
	CHECK_EQ(res, (int32_t)z->len);
	done_count[z->idx]++;
	ndone++;
	memset(z->data, 0xEE, z->len);
	free(z);
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
	for (int i = 0; i < NSEND; i++)
		total += lens[i];
	expect = malloc(total);
	size_t at = 0;
	for (int i = 0; i < NSEND; i++) {
		struct zbuf *z = malloc(sizeof(*z) + lens[i]);
		z->idx = i;
		z->len = lens[i];
		for (size_t k = 0; k < lens[i]; k++)
			expect[at + k] = z->data[k] = pat(i, k);
		at += lens[i];
		CHECK_EQ(hoop_loop_send(l, s, z->data, z->len, HOOP_LOOP_ZC,
		                        on_sent, z),
		         0);
	}
	pthread_t th;
	struct tn_reader rd = {cfd, expect, total, 100000, 0};
	CHECK_EQ(pthread_create(&th, NULL, tn_reader_main, &rd), 0);
	TN_RUN_UNTIL(l, ndone == NSEND);
	pthread_join(th, NULL);
	CHECK_EQ(rd.ok, 1);
	for (int i = 0; i < NSEND; i++)
		CHECK_EQ(done_count[i], 1);
	CHECK_EQ(hoop_loop_pending(l), 0);
	hoop_loop_destroy(l);
	close(cfd);
	close(s);
	free(expect);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}

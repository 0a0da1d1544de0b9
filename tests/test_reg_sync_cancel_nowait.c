/*
 * Synchronous cancel without waiting (HOOP_SYNC_CANCEL_NO_WAIT, the
 * kernel's {0, 0} timeout).
 *
 * - A request that has not started (a read blocked on an empty pipe) is
 *   cancelled as with any timeout: 0, then its -ECANCELED completion.
 * - Nothing matching: -ENOENT, at once.
 * - A request running in an io-wq worker that a cancel cannot stop early (a
 *   big buffered write to a memfd; the worker only stops for a fatal
 *   signal): NO_WAIT gives -ETIME while the write is still going (the
 *   memfd's size is still growing, no completion yet); a later cancel with
 *   timeout_ns 0 keeps its old meaning, waits until the write is over and
 *   returns 0 with the write's completion (the full length) already posted.
 * - Bad input: an unknown hoop_flags bit, NO_WAIT with a timeout, and a
 *   non-zero resv are -EINVAL and cancel nothing.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BIG (48u << 20)

static char small[16];

static struct hoop_cqe next_cqe(hoop_ring *ring)
{
	struct hoop_timespec ts = {10, 0};
	struct hoop_cqe *cqe = NULL;
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &ts), 0);
	struct hoop_cqe copy = *cqe;
	hoop_ring_cqe_seen(ring, cqe);
	return copy;
}

static off_t fsize(int fd)
{
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	return st.st_size;
}

static void nowait_cancel_of(hoop_ring *ring, struct hoop_sync_cancel *sc,
                             uint64_t data)
{
	memset(sc, 0, sizeof(*sc));
	sc->user_data = data;
	sc->hoop_flags = HOOP_SYNC_CANCEL_NO_WAIT;
	(void)ring;
}

/*
 * One round of the running-write case. Returns 1 if NO_WAIT was seen to
 * return -ETIME on a running write, 0 if the write was not caught running
 * (it had not started or was already over: allowed, the caller retries).
 */
static int running_round(hoop_ring *ring, const char *buf)
{
	int mfd = memfd_create("hoop-sync-cancel", MFD_CLOEXEC);
	CHECK(mfd >= 0);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_write(sqe, mfd, buf, BIG, 0);
	hoop_sqe_set_flags(sqe, HOOP_SQE_ASYNC);
	hoop_sqe_set_data(sqe, 100);
	CHECK_EQ(hoop_ring_submit(ring), 1);

	/* Wait until the worker is inside the write: the size moves. */
	struct timespec pause = {0, 100000};
	for (int i = 0; i < 100000 && fsize(mfd) == 0; i++)
		nanosleep(&pause, NULL);

	struct hoop_sync_cancel sc;
	nowait_cancel_of(ring, &sc, 100);
	off_t before = fsize(mfd);
	int r = hoop_ring_register_sync_cancel(ring, &sc);
	off_t after = fsize(mfd);
	struct hoop_cqe *cqe = NULL;
	int posted = hoop_ring_peek_cqe(ring, &cqe) == 0;
	int caught = 0;
	if (before > 0 && after < (off_t)BIG && !posted) {
		/* Running before and after the call: the kernel saw it
		 * running, and NO_WAIT must not have waited for it. */
		CHECK_EQ(r, -ETIME);
		caught = 1;

		/* timeout_ns 0 keeps meaning "as long as it takes". */
		memset(&sc, 0, sizeof(sc));
		sc.user_data = 100;
		r = hoop_ring_register_sync_cancel(ring, &sc);
		CHECK(r == 0 || r == -ENOENT);
		if (r == 0) {
			/* It waited: the completion is there already. */
			CHECK_EQ(hoop_ring_peek_cqe(ring, &cqe), 0);
		}
	} else {
		/* Not caught running: cancelled before it started
		 * (0, -ECANCELED) or already over (-ENOENT, or 0). */
		CHECK(r == 0 || r == -ENOENT || r == -ETIME);
	}
	struct hoop_cqe c = next_cqe(ring);
	CHECK_EQ(c.user_data, 100);
	if (caught)
		CHECK_EQ(c.res, (int)BIG); /* a running write is not cut short */
	else
		CHECK(c.res == (int)BIG || c.res == -ECANCELED ||
		      c.res == -EINTR || (c.res > 0 && c.res < (int)BIG));
	close(mfd);
	return caught;
}

int main(void)
{
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	int p[2];
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	struct hoop_sync_cancel sc;
	struct hoop_cqe *cqe;

	/* Bad input first: nothing may be cancelled by it. */
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, p[0], small, sizeof(small), 0);
	hoop_sqe_set_data(sqe, 1);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	nowait_cancel_of(ring, &sc, 1);
	sc.hoop_flags = 0x02;
	CHECK_EQ(hoop_ring_register_sync_cancel(ring, &sc), -EINVAL);
	nowait_cancel_of(ring, &sc, 1);
	sc.timeout_ns = 1000000;
	CHECK_EQ(hoop_ring_register_sync_cancel(ring, &sc), -EINVAL);
	nowait_cancel_of(ring, &sc, 1);
	sc.timeout_ns = -1;
	CHECK_EQ(hoop_ring_register_sync_cancel(ring, &sc), -EINVAL);
	nowait_cancel_of(ring, &sc, 1);
	sc.resv[0] = 1;
	CHECK_EQ(hoop_ring_register_sync_cancel(ring, &sc), -EINVAL);
	CHECK_EQ(hoop_ring_peek_cqe(ring, &cqe), -EAGAIN);

	/* A request that has not started: cancelled, 0. */
	nowait_cancel_of(ring, &sc, 1);
	CHECK_EQ(hoop_ring_register_sync_cancel(ring, &sc), 0);
	struct hoop_cqe c = next_cqe(ring);
	CHECK_EQ(c.user_data, 1);
	CHECK_EQ(c.res, -ECANCELED);

	/* Nothing matches. */
	CHECK_EQ(hoop_ring_register_sync_cancel(ring, &sc), -ENOENT);
	sc.flags = HOOP_ASYNC_CANCEL_ANY;
	CHECK_EQ(hoop_ring_register_sync_cancel(ring, &sc), 0);

	/* A running request: NO_WAIT returns -ETIME without waiting. */
	char *buf = mmap(NULL, BIG, PROT_READ | PROT_WRITE,
	                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	memset(buf, 0x5a, BIG);
	int caught = 0;
	for (int round = 0; round < 20 && !caught; round++)
		caught = running_round(ring, buf);
	if (!caught)
		fprintf(stderr, "note: NO_WAIT never returned while the write "
		                "was still running\n");
	CHECK(caught);
	munmap(buf, BIG);

	hoop_ring_destroy(ring);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}

/*
 * bench/soak.c - a bounded soak of one engine (RELIABILITY.md, issue 9).
 *
 * Many threads share one engine for --seconds (default 600) with a random
 * mix: NOPs, file reads (content checked), pipe reads that block and are
 * then fed, cancelled, timed out and cancelled, cancelled by fd, or ended by
 * closing the pipe's write end; timeouts (some cancelled); batches through
 * a per-thread queue; callbacks; released tokens; a rare cancel_all. At the
 * end every accepted operation must have exactly one final result:
 *   submitted (engine) == completed (engine) == delivered + released (ours)
 * and the fd count must be back to where it was; RSS and fd count are
 * sampled at 10 %, 50 % and 100 % of the run. Prints one JSON line; exit 0
 * when every check holds, 1 otherwise.
 *
 *   soak [--seconds N] [--threads T]     (HOOP_BACKEND selects the backend)
 */
#include "hoop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FILE_SIZE (1u << 20)
#define QCAP 8

static hoop_engine *eng;
static int file_fd;
static atomic_int stop;
static atomic_ulong n_submitted, n_delivered, n_released, n_cancelled, n_bad;
static atomic_ulong n_cancel_all;

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static unsigned char pattern(uint64_t i) { return (unsigned char)(i * 13 + 5); }

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	struct dirent *e;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;
}

static long rss_kb(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &res) != 2)
		res = -1;
	fclose(f);
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

#define BAD(...)                                                               \
	do {                                                                   \
		fprintf(stderr, "soak: " __VA_ARGS__);                         \
		fprintf(stderr, "\n");                                         \
		atomic_fetch_add(&n_bad, 1);                                   \
	} while (0)

struct worker {
	unsigned id;
	unsigned seed;
	int pipe[2];
	hoop_queue *q;
	atomic_ulong cb_done;
	unsigned long cb_sent;
	char buf[4096];
	char qbuf[QCAP][512];
	struct hoop_timespec ts[QCAP + 1];
};

static unsigned rnd(struct worker *w)
{
	w->seed = w->seed * 1103515245u + 12345u;
	return w->seed >> 8;
}

/* Submit one op to be waited on; returns its token or 0 (counted bad). */
static uint64_t submit1(struct hoop_op *op)
{
	uint64_t tok;
	int r = hoop_engine_submit(eng, op, 1, &tok, 0);
	if (r != 1) {
		BAD("submit: %d", r);
		return 0;
	}
	atomic_fetch_add(&n_submitted, 1);
	return tok;
}

/* Wait for the final result; -ECANCELED is always acceptable (cancel_all). */
static int wait1(uint64_t tok, int64_t timeout_ns, struct hoop_completion *c)
{
	int r = hoop_engine_wait(eng, tok, c, timeout_ns);
	if (r == 0) {
		atomic_fetch_add(&n_delivered, 1);
		if (c->res == -ECANCELED)
			atomic_fetch_add(&n_cancelled, 1);
	}
	return r;
}

static void expect(const struct hoop_completion *c, int want, const char *what)
{
	if (c->res != want && c->res != -ECANCELED)
		BAD("%s: res %d, expected %d", what, c->res, want);
}

static void new_pipe(struct worker *w)
{
	if (pipe2(w->pipe, O_CLOEXEC) < 0) {
		BAD("pipe: %s", strerror(errno));
		exit(1);
	}
}

static void op_pipe_read(struct worker *w)
{
	struct hoop_op op;
	struct hoop_completion c;
	hoop_op_read(&op, w->pipe[0], w->buf, 64, 0);
	uint64_t tok = submit1(&op);
	if (!tok)
		return;
	int r;
	switch (rnd(w) % 5) {
	case 0: /* feed it */
		if (write(w->pipe[1], "soak", 4) != 4)
			BAD("write");
		if (wait1(tok, -1, &c) == 0) {
			expect(&c, 4, "pipe read");
			if (c.res == -ECANCELED) {
				/* cancel_all beat the data: drop the pipe
				 * with its 4 unread bytes. */
				close(w->pipe[0]);
				close(w->pipe[1]);
				new_pipe(w);
			}
		}
		break;
	case 1: /* cancel it */
		r = hoop_engine_cancel(eng, tok);
		if (r != 0 && r != -ENOENT)
			BAD("cancel: %d", r);
		if (wait1(tok, -1, &c) == 0)
			expect(&c, -ECANCELED, "cancelled read");
		break;
	case 2: /* give up waiting, then cancel */
		r = wait1(tok, 1000000, &c);
		if (r == 0) {
			if (c.res != -ECANCELED) /* only cancel_all may end it */
				BAD("blocked read completed: %d", c.res);
			break;
		}
		if (r != -ETIME)
			BAD("wait: %d", r);
		hoop_engine_cancel(eng, tok);
		if (wait1(tok, -1, &c) == 0)
			expect(&c, -ECANCELED, "timed-out read");
		break;
	case 3: /* cancel by fd, then close and replace the pipe */
		r = hoop_engine_cancel_fd(eng, w->pipe[0], 0);
		if (r < 0)
			BAD("cancel_fd: %d", r);
		if (wait1(tok, -1, &c) == 0)
			expect(&c, -ECANCELED, "read cancelled by fd");
		close(w->pipe[0]);
		close(w->pipe[1]);
		new_pipe(w);
		break;
	default: /* close the write end: the read ends with EOF */
		close(w->pipe[1]);
		if (wait1(tok, -1, &c) == 0)
			expect(&c, 0, "read at EOF");
		close(w->pipe[0]);
		new_pipe(w);
		break;
	}
}

static void op_file_read(struct worker *w)
{
	struct hoop_op op;
	struct hoop_completion c;
	uint64_t off = (rnd(w) % (FILE_SIZE / 512)) * 512;
	hoop_op_read(&op, file_fd, w->buf, 4096, off);
	uint64_t tok = submit1(&op);
	if (tok && wait1(tok, -1, &c) == 0) {
		unsigned want = off + 4096 <= FILE_SIZE
		                        ? 4096
		                        : FILE_SIZE - (unsigned)off;
		expect(&c, (int)want, "file read");
		if (c.res > 0 && ((unsigned char)w->buf[0] != pattern(off) ||
		                  (unsigned char)w->buf[c.res - 1] !=
		                          pattern(off + (uint64_t)c.res - 1)))
			BAD("file read: wrong bytes at %llu",
			    (unsigned long long)off);
	}
}

static void op_timeout(struct worker *w)
{
	struct hoop_op op;
	struct hoop_completion c;
	w->ts[QCAP].tv_sec = 0;
	w->ts[QCAP].tv_nsec = rnd(w) % 2000000;
	hoop_op_timeout(&op, &w->ts[QCAP], 0, 0);
	uint64_t tok = submit1(&op);
	if (!tok)
		return;
	if (rnd(w) % 4 == 0)
		hoop_engine_cancel(eng, tok); /* may be too late: either result */
	if (wait1(tok, -1, &c) == 0)
		expect(&c, -ETIME, "timeout");
}

static void op_nop(struct worker *w)
{
	(void)w;
	struct hoop_op op;
	struct hoop_completion c;
	hoop_op_nop(&op);
	op.user_data = 42;
	uint64_t tok = submit1(&op);
	if (tok && wait1(tok, -1, &c) == 0) {
		expect(&c, 0, "nop");
		if (c.user_data != 42)
			BAD("nop: user_data %llu", (unsigned long long)c.user_data);
	}
}

/* A batch through the queue: NOPs, file reads and timeouts, tagged. */
static void op_queue(struct worker *w)
{
	struct hoop_op ops[QCAP];
	unsigned n = 1 + rnd(w) % QCAP;
	for (unsigned i = 0; i < n; i++) {
		switch (rnd(w) % 3) {
		case 0:
			hoop_op_nop(&ops[i]);
			ops[i].user_data = ((uint64_t)i << 32) | 0;
			break;
		case 1:
			hoop_op_read(&ops[i], file_fd, w->qbuf[i], 512, 0);
			ops[i].user_data = ((uint64_t)i << 32) | 512;
			break;
		default:
			w->ts[i].tv_sec = 0;
			w->ts[i].tv_nsec = rnd(w) % 500000;
			hoop_op_timeout(&ops[i], &w->ts[i], 0, 0);
			ops[i].user_data = ((uint64_t)i << 32) | (uint32_t)-ETIME;
		}
	}
	int r = hoop_queue_add(w->q, ops, n, NULL, 0);
	if (r != (int)n) {
		BAD("queue_add: %d", r);
		return;
	}
	atomic_fetch_add(&n_submitted, n);
	struct hoop_completion c[QCAP];
	unsigned got = 0;
	while (got < n) {
		r = hoop_queue_wait(w->q, c, QCAP, 1, -1);
		if (r < 0) {
			BAD("queue_wait: %d", r);
			return;
		}
		for (int k = 0; k < r; k++) {
			if (c[k].res == -ECANCELED)
				atomic_fetch_add(&n_cancelled, 1);
			else if (c[k].res != (int32_t)(uint32_t)c[k].user_data)
				BAD("queue op: res %d for tag %#llx", c[k].res,
				    (unsigned long long)c[k].user_data);
		}
		got += (unsigned)r;
		atomic_fetch_add(&n_delivered, (unsigned long)r);
	}
}

static void on_cb(void *arg, const struct hoop_completion *c)
{
	struct worker *w = arg;
	if (c->res != 0 && c->res != -ECANCELED)
		BAD("callback nop: %d", c->res);
	atomic_fetch_add(&n_delivered, 1);
	atomic_fetch_add(&w->cb_done, 1);
}

static void op_callbacks(struct worker *w)
{
	struct hoop_op ops[4];
	for (int i = 0; i < 4; i++)
		hoop_op_nop(&ops[i]);
	uint64_t tok[4];
	int r = hoop_engine_submit_cb(eng, ops, 4, tok, 0, on_cb, w);
	if (r != 4) {
		BAD("submit_cb: %d", r);
		return;
	}
	atomic_fetch_add(&n_submitted, 4);
	w->cb_sent += 4;
}

static void op_release(struct worker *w)
{
	struct hoop_op op;
	/* The timespec must outlive the op: the kernel reads it at submit,
	 * which this call has done by the time it returns (batch_count 0). */
	w->ts[QCAP].tv_sec = 0;
	w->ts[QCAP].tv_nsec = 100000;
	hoop_op_timeout(&op, &w->ts[QCAP], 0, 0);
	uint64_t tok = submit1(&op);
	if (tok) {
		int r = hoop_engine_release(eng, tok);
		if (r != 0)
			BAD("release: %d", r);
		else
			atomic_fetch_add(&n_released, 1);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	new_pipe(w);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned k = rnd(w) % 100;
		if (k < 25)
			op_pipe_read(w);
		else if (k < 45)
			op_file_read(w);
		else if (k < 60)
			op_nop(w);
		else if (k < 72)
			op_timeout(w);
		else if (k < 87)
			op_queue(w);
		else if (k < 96)
			op_callbacks(w);
		else if (k < 99)
			op_release(w);
		else if (rnd(w) % 200 == 0) {
			hoop_engine_cancel_all(eng);
			atomic_fetch_add(&n_cancel_all, 1);
		}
	}
	/* Our callbacks must all have arrived before the queue goes. */
	uint64_t until = now_ns() + 30000000000ull;
	while (atomic_load(&w->cb_done) < w->cb_sent && now_ns() < until)
		usleep(1000);
	if (atomic_load(&w->cb_done) != w->cb_sent)
		BAD("thread %u: %lu of %lu callbacks", w->id,
		    (unsigned long)atomic_load(&w->cb_done), w->cb_sent);
	close(w->pipe[0]);
	close(w->pipe[1]);
	return NULL;
}

static void usage(const char *p)
{
	fprintf(stderr, "usage: %s [--seconds N] [--threads T]\n", p);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned seconds = 600, nthreads = 16;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--seconds") == 0)
			seconds = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "--threads") == 0)
			nthreads = (unsigned)strtoul(argv[++i], NULL, 10);
		else
			usage(argv[0]);
	}
	if (!seconds || !nthreads || nthreads > 1024)
		usage(argv[0]);

	int fds0 = fd_count();
	char path[] = "/tmp/hoop-soak-XXXXXX";
	file_fd = mkstemp(path);
	if (file_fd < 0)
		return 1;
	unlink(path);
	static unsigned char data[FILE_SIZE];
	for (unsigned i = 0; i < FILE_SIZE; i++)
		data[i] = pattern(i);
	if (write(file_fd, data, FILE_SIZE) != FILE_SIZE)
		return 1;

	hoop_engine_params ep;
	memset(&ep, 0, sizeof(ep));
	ep.sq_entries = 128;
	int r = hoop_engine_create(&eng, &ep);
	if (r < 0) {
		fprintf(stderr, "soak: engine: %s\n", hoop_strerror(r));
		return 1;
	}
	struct worker *w = calloc(nthreads, sizeof(*w));
	pthread_t *th = calloc(nthreads, sizeof(*th));
	for (unsigned i = 0; i < nthreads; i++) {
		w[i].id = i;
		w[i].seed = 2654435761u * (i + 1);
		if ((r = hoop_queue_create(&w[i].q, eng, QCAP)) < 0) {
			fprintf(stderr, "soak: queue: %s\n", hoop_strerror(r));
			return 1;
		}
	}
	uint64_t t0 = now_ns();
	for (unsigned i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker_main, &w[i]);

	/* Samples at 10 %, 50 % and the end (workers stopped, engine alive). */
	long rss[3];
	int fds[3];
	unsigned long ops_at[3];
	unsigned marks[2] = {seconds * 100 / 1000, seconds * 500 / 1000};
	for (int s = 0; s < 2; s++) {
		while (now_ns() - t0 <
		       (uint64_t)(marks[s] ? marks[s] : 1) * 1000000000ull)
			usleep(100000);
		rss[s] = rss_kb();
		fds[s] = fd_count();
		ops_at[s] = atomic_load(&n_submitted);
		fprintf(stderr, "soak: %us: rss %ld KiB, fds %d, %lu ops\n",
		        marks[s], rss[s], fds[s], ops_at[s]);
	}
	while (now_ns() - t0 < (uint64_t)seconds * 1000000000ull)
		usleep(100000);
	atomic_store(&stop, 1);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	double elapsed = (double)(now_ns() - t0) / 1e9;
	/* Released tokens complete on their own: wait for inflight 0. */
	struct hoop_engine_metrics m;
	uint64_t until = now_ns() + 10000000000ull;
	do {
		hoop_engine_get_metrics(eng, &m, sizeof(m));
		if (m.inflight)
			usleep(1000);
	} while (m.inflight && now_ns() < until);
	rss[2] = rss_kb();
	for (unsigned i = 0; i < nthreads; i++)
		hoop_queue_destroy(w[i].q);
	fds[2] = fd_count();
	ops_at[2] = atomic_load(&n_submitted);

	unsigned long sub = atomic_load(&n_submitted),
	              del = atomic_load(&n_delivered);
	unsigned long rel = atomic_load(&n_released);
	int ok = atomic_load(&n_bad) == 0 && m.submitted == sub &&
	         m.completed == m.submitted && del + rel == sub &&
	         m.inflight == 0 && m.unknown_cqes == 0;
	if (m.submitted != sub || m.completed != m.submitted || del + rel != sub)
		fprintf(stderr,
		        "soak: counts differ: engine submitted %llu "
		        "completed %llu, ours submitted %lu delivered %lu "
		        "released %lu\n",
		        (unsigned long long)m.submitted,
		        (unsigned long long)m.completed, sub, del, rel);
	const char *backend = hoop_engine_backend(eng) == HOOP_BACKEND_URING
	                              ? "uring"
	                              : "threads";
	hoop_engine_destroy(eng);
	close(file_fd);
	int fds_end = fd_count();
	if (fds_end != fds0) {
		fprintf(stderr, "soak: fds %d at start, %d at the end\n", fds0,
		        fds_end);
		ok = 0;
	}
	/* Flat memory: after the first 10 % (allocator warmed up) RSS may not
	 * keep growing; allow 8 MiB of noise. */
	if (rss[2] - rss[0] > 8192) {
		fprintf(stderr, "soak: RSS grew from %ld to %ld KiB\n", rss[0],
		        rss[2]);
		ok = 0;
	}
	printf("{\"bench\":\"soak\",\"backend\":\"%s\",\"seconds\":%.1f,"
	       "\"threads\":%u,\"submitted\":%lu,\"completed\":%llu,"
	       "\"delivered\":%lu,\"released\":%lu,\"cancelled\":%lu,"
	       "\"cancel_all\":%lu,\"cqes\":%llu,\"overflow_flushes\":%llu,"
	       "\"ops_per_s\":%.0f,\"rss_kib\":[%ld,%ld,%ld],"
	       "\"fds\":[%d,%d,%d],\"fds_before_after\":[%d,%d],"
	       "\"errors\":%lu,\"ok\":%s}\n",
	       backend, elapsed, nthreads, sub, (unsigned long long)m.completed,
	       del, rel, (unsigned long)atomic_load(&n_cancelled),
	       (unsigned long)atomic_load(&n_cancel_all),
	       (unsigned long long)m.cqes,
	       (unsigned long long)m.overflow_flushes, (double)sub / elapsed,
	       rss[0], rss[1], rss[2], fds[0], fds[1], fds[2], fds0, fds_end,
	       (unsigned long)atomic_load(&n_bad), ok ? "true" : "false");
	free(w);
	free(th);
	return ok ? 0 : 1;
}

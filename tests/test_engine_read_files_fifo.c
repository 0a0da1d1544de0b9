/*
 * hoop_read_files on a FIFO, as a read loop (os.ReadFile) sees it:
 * - a stream longer than size_guess and the tail read (200 KiB with a
 *   guess of 4 KiB) is returned whole, from its first byte: the bytes the
 *   first reads took from the stream cannot be read again by a new open;
 * - a writer that comes 200 ms after the call started is waited for, and
 *   its data returned (not an empty result);
 * - a writer that opens and closes without writing gives an empty result.
 * Each with the calling thread's pass (the default engine) and without it
 * (HOOP_ENGINE_NO_INLINE: the engine opens the FIFO), alone and in a list
 * of 40 paths (the call's own ring without the pass); on whichever backend
 * HOOP_BACKEND chooses. No descriptor left open. Every wait is bounded: a
 * watchdog fails the test after 60 s, a writer gives up after 10 s.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NPATHS 40
#define BIG (200u * 1024u)
#define LATE_DATA "written by a late writer\n"

static char dir[64];

struct writer {
	pthread_t th;
	int delay_ms;     /* before its open; < 0: a blocking open at once */
	const char *data; /* NULL: BIG bytes of t_pattern */
	size_t len;
};

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void *fifo_writer(void *arg)
{
	struct writer *w = arg;
	char path[128];
	snprintf(path, sizeof(path), "%s/fifo", dir);
	int fd = -1;
	if (w->delay_ms < 0) {
		fd = open(path, O_WRONLY | O_CLOEXEC); /* waits for a reader */
	} else {
		sleep_ms(w->delay_ms);
		/* Without a reader (one that gave up), ENXIO: bounded. */
		for (int i = 0; i < 1000 && fd < 0; i++) {
			fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
			if (fd < 0 && errno != ENXIO)
				return (void *)1;
			if (fd < 0)
				sleep_ms(10);
		}
		if (fd < 0 || fcntl(fd, F_SETFL, 0) < 0) {
			fprintf(stderr, "writer: no reader came\n");
			return (void *)1;
		}
	}
	if (fd < 0)
		return (void *)1;
	static unsigned char big[BIG];
	if (!w->data)
		for (size_t i = 0; i < BIG; i++)
			big[i] = t_pattern(i);
	const char *p = w->data ? w->data : (const char *)big;
	size_t left = w->len;
	while (left > 0) {
		ssize_t r = write(fd, p, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close(fd);
			return (void *)1;
		}
		p += r;
		left -= (size_t)r;
	}
	close(fd);
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "watchdog: hoop_read_files did not return\n";
	ssize_t r = write(2, msg, sizeof(msg) - 1);
	(void)r;
	_exit(T_FAIL);
}

/* One call with the FIFO at paths[where] of n (the others: small regular
 * files r<i>), its writer `w`; the FIFO's outcome checked against `w`. */
static void one(hoop_engine *e, size_t n, struct writer *w, const char *what)
{
	char names[NPATHS][32];
	const char *paths[NPATHS];
	size_t where = n / 2;
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "r%zu", i);
		paths[i] = i == where ? "fifo" : names[i];
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dfd >= 0);
	int fds = t_fd_count();
	CHECK_EQ(pthread_create(&w->th, NULL, fifo_writer, w), 0);
	if (w->delay_ms < 0)
		sleep_ms(50); /* the writer is usually in its open by now */
	hoop_read_files_params p = {0};
	p.size_guess = 4096;
	struct hoop_file_data out[NPATHS];
	hoop_files *mem = NULL;
	int r = hoop_read_files(e, dfd, paths, n, &p, out, &mem);
	void *wr = (void *)1;
	CHECK_EQ(pthread_join(w->th, &wr), 0);
	CHECK_EQ(r, 0);
	CHECK(wr == NULL);
	CHECK_EQ(t_fd_count(), fds);
	for (size_t i = 0; i < n; i++) {
		const struct hoop_file_data *o = &out[i];
		if (i != where) {
			CHECK_EQ(o->res, (long long)strlen(names[i]));
			CHECK(memcmp(o->data, names[i], strlen(names[i])) == 0);
			continue;
		}
		if (o->res != (long long)w->len)
			fprintf(stderr,
			        "%s, %zu paths: FIFO gave %lld bytes, "
			        "%zu written\n",
			        what, n, (long long)o->res, w->len);
		CHECK_EQ(o->res, (long long)w->len);
		CHECK_EQ(o->op, 0u);
		if (w->len == 0) {
			CHECK(o->data == NULL);
			continue;
		}
		const unsigned char *d = o->data;
		for (size_t k = 0; k < w->len; k++) {
			unsigned char want = w->data ? (unsigned char)w->data[k]
			                             : t_pattern(k);
			if (d[k] != want) {
				fprintf(stderr,
				        "%s: byte %zu of %zu is %u, not %u\n",
				        what, k, w->len, d[k], want);
				exit(T_FAIL);
			}
		}
	}
	hoop_files_free(mem);
	close(dfd);
}

static void run(hoop_engine *e)
{
	static const size_t sizes[] = {1, NPATHS};
	for (size_t i = 0; i < 2; i++) {
		size_t n = sizes[i];
		struct writer big = {.delay_ms = -1, .data = NULL, .len = BIG};
		one(e, n, &big, "200 KiB stream");
		struct writer late = {.delay_ms = 200,
		                      .data = LATE_DATA,
		                      .len = strlen(LATE_DATA)};
		one(e, n, &late, "writer 200 ms late");
		struct writer none = {.delay_ms = 200, .data = "", .len = 0};
		one(e, n, &none, "writer that writes nothing");
		struct writer late_big = {.delay_ms = 200, .data = NULL, .len = BIG};
		one(e, n, &late_big, "200 KiB from a late writer");
	}
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* a writer without reader: EPIPE */
	signal(SIGALRM, on_alarm);
	alarm(60);
	strcpy(dir, "/tmp/hoop_rff_XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	char path[128];
	for (unsigned i = 0; i < NPATHS; i++) {
		snprintf(path, sizeof(path), "%s/r%u", dir, i);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		CHECK(fd >= 0);
		snprintf(path, sizeof(path), "r%u", i);
		CHECK_EQ(write(fd, path, strlen(path)), (ssize_t)strlen(path));
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK_EQ(mkfifo(path, 0600), 0);

	for (int inl = 0; inl < 2; inl++) {
		hoop_engine_params ep = {0};
		ep.flags = inl ? 0 : HOOP_ENGINE_NO_INLINE;
		hoop_engine *e = t_engine(&ep);
		run(e);
		hoop_engine_destroy(e);
	}

	unlink(path);
	for (unsigned i = 0; i < NPATHS; i++) {
		snprintf(path, sizeof(path), "%s/r%u", dir, i);
		unlink(path);
	}
	rmdir(dir);
	return T_PASS;
}

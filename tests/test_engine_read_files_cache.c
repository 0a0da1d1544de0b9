/*
 * hoop_read_files, the calling thread's pass for cached files and what it
 * hands to the ring: one list mixing files in the page cache, files just
 * evicted (fsync + POSIX_FADV_DONTNEED; a fast device may have them back
 * already, so only their contents are asserted), missing paths, a
 * directory, a FIFO whose writer waits in open, /proc/self/status (short
 * reads, no RWF_NOWAIT) and a file larger than the guess, relative to a
 * directory descriptor. Exact contents and errors, with the pass (the
 * default engine) and without it (HOOP_ENGINE_NO_INLINE), on whichever
 * backend HOOP_BACKEND chooses; no descriptor left open. A list of cached
 * files only is read without one engine operation.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NCACHED 12
#define NCOLD 12
#define FIFO_DATA "fifo data, written once\n"

static char dir[64];

static size_t size_of(unsigned i)
{
	return 100 + (size_t)i * 613; /* 100 .. 7 KiB, some page-sized runs */
}

static void put(const char *name, size_t size, unsigned seed, int evict)
{
	t_put_pattern(dir, name, size, seed, evict);
}

static void expect(const struct hoop_file_data *o, size_t size, unsigned seed)
{
	t_expect_pattern(o, size, seed);
}

struct writer {
	pthread_t th;
	pid_t tid;
	char path[256];
};

static void *fifo_writer(void *arg)
{
	struct writer *w = arg;
	__atomic_store_n(&w->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	int fd = open(w->path, O_WRONLY | O_CLOEXEC); /* waits for a reader */
	if (fd < 0)
		return (void *)1;
	ssize_t r = write(fd, FIFO_DATA, strlen(FIFO_DATA));
	close(fd);
	return r == (ssize_t)strlen(FIFO_DATA) ? NULL : (void *)1;
}

/* Start the writer and return once it waits in its open (its current
 * system call, as /proc shows it, is openat). */
static void writer_start(struct writer *w)
{
	snprintf(w->path, sizeof(w->path), "%s/fifo", dir);
	w->tid = 0;
	CHECK_EQ(pthread_create(&w->th, NULL, fifo_writer, w), 0);
	char want[16], proc[64], got[64];
	snprintf(want, sizeof(want), "%ld ", (long)SYS_openat);
	for (int tries = 0; tries < 20000; tries++) {
		pid_t tid = __atomic_load_n(&w->tid, __ATOMIC_ACQUIRE);
		if (tid) {
			snprintf(proc, sizeof(proc),
			         "/proc/self/task/%d/syscall", (int)tid);
			int fd = open(proc, O_RDONLY | O_CLOEXEC);
			CHECK(fd >= 0);
			ssize_t r = read(fd, got, sizeof(got) - 1);
			close(fd);
			if (r > 0) {
				got[r] = 0;
				if (strncmp(got, want, strlen(want)) == 0)
					return;
			}
		}
		usleep(500);
	}
	fprintf(stderr, "the FIFO writer never reached its open\n");
	exit(T_FAIL);
}

static void run(hoop_engine *e, uint32_t guess)
{
	enum { N = NCACHED + NCOLD + 6 };
	char names[N][64];
	const char *paths[N];
	for (unsigned i = 0; i < NCACHED; i++)
		snprintf(names[i], sizeof(names[i]), "c%u", i);
	for (unsigned i = 0; i < NCOLD; i++) {
		snprintf(names[NCACHED + i], sizeof(names[0]), "e%u", i);
		put(names[NCACHED + i], size_of(i), 0x30 + i, 1);
	}
	unsigned k = NCACHED + NCOLD;
	const unsigned missing = k, sub = k + 1, fifo = k + 2, status = k + 3,
	               big = k + 4, missing2 = k + 5;
	strcpy(names[missing], "missing");
	strcpy(names[sub], "sub");
	strcpy(names[fifo], "fifo");
	strcpy(names[status], "/proc/self/status");
	strcpy(names[big], "big");
	strcpy(names[missing2], "sub/missing");
	size_t bigsize = 3 * (size_t)guess + 123;
	put("big", bigsize, 0x77, 0);
	for (unsigned i = 0; i < N; i++)
		paths[i] = names[i];
	/* Cached and evicted files interleaved with the rest. */
	const char *t = paths[3];
	paths[3] = paths[fifo];
	paths[fifo] = t;
	unsigned where[N];
	for (unsigned i = 0; i < N; i++)
		where[i] = i;
	where[3] = fifo;
	where[fifo] = 3;

	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dfd >= 0);
	struct writer w;
	writer_start(&w);
	int fds = t_fd_count();
	hoop_read_files_params prm = {0};
	prm.size_guess = guess;
	prm.max_open = 4;
	struct hoop_file_data out[N];
	memset(out, 0xa5, sizeof(out));
	hoop_files *mem = NULL;
	CHECK_EQ(hoop_read_files(e, dfd, paths, N, &prm, out, &mem), 0);
	void *wr = (void *)2;
	CHECK_EQ(pthread_join(w.th, &wr), 0);
	CHECK(wr == NULL);
	CHECK_EQ(t_fd_count(), fds);
	for (unsigned j = 0; j < N; j++) {
		unsigned i = where[j]; /* paths[j] is names[i] */
		const struct hoop_file_data *o = &out[j];
		if (i < NCACHED) {
			expect(o, size_of(i), i);
		} else if (i < NCACHED + NCOLD) {
			expect(o, size_of(i - NCACHED), 0x30 + i - NCACHED);
		} else if (i == missing || i == missing2) {
			CHECK_EQ(o->res, -ENOENT);
			CHECK_EQ(o->op, HOOP_OP_OPENAT);
			CHECK(o->data == NULL);
		} else if (i == sub) {
			CHECK_EQ(o->res, -EISDIR);
			CHECK_EQ(o->op, HOOP_OP_READ);
			CHECK(o->data == NULL);
		} else if (i == fifo) {
			CHECK_EQ(o->res, (long long)strlen(FIFO_DATA));
			CHECK(memcmp(o->data, FIFO_DATA, strlen(FIFO_DATA)) == 0);
		} else if (i == status) {
			/* Several short reads: the whole of it, as read(2) gives. */
			CHECK(o->res > 100);
			CHECK(memcmp(o->data, "Name:\t", 6) == 0);
			char pid[32];
			snprintf(pid, sizeof(pid), "\nPid:\t%d\n", (int)getpid());
			CHECK(memmem(o->data, (size_t)o->res, pid, strlen(pid)) !=
			      NULL);
			CHECK_EQ(((const char *)o->data)[o->res - 1], '\n');
		} else if (i == big) {
			expect(o, bigsize, 0x77);
		}
	}
	hoop_files_free(mem);
	close(dfd);
}

/* Cached files only: all read by the calling thread, no engine operation
 * (fewer than 32 paths would otherwise go to the engine's own ring). */
static void cached_only(hoop_engine *e)
{
	char names[NCACHED][256];
	const char *paths[NCACHED];
	for (unsigned i = 0; i < NCACHED; i++) {
		snprintf(names[i], sizeof(names[i]), "%s/c%u", dir, i);
		paths[i] = names[i];
	}
	struct hoop_engine_metrics m0, m1;
	CHECK_EQ(hoop_engine_get_metrics(e, &m0, sizeof(m0)), 0);
	struct hoop_file_data out[NCACHED];
	hoop_files *mem = NULL;
	CHECK_EQ(hoop_read_files(e, AT_FDCWD, paths, NCACHED, NULL, out, &mem), 0);
	CHECK_EQ(hoop_engine_get_metrics(e, &m1, sizeof(m1)), 0);
	for (unsigned i = 0; i < NCACHED; i++)
		expect(&out[i], size_of(i), i);
	hoop_files_free(mem);
	CHECK_EQ(m1.submitted - m0.submitted, 0);
}

int main(void)
{
	strcpy(dir, "/tmp/hoop_rfc_XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	char path[256];
	for (unsigned i = 0; i < NCACHED; i++) {
		snprintf(path, sizeof(path), "c%u", i);
		put(path, size_of(i), i, 0);
	}
	snprintf(path, sizeof(path), "%s/sub", dir);
	CHECK_EQ(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK_EQ(mkfifo(path, 0600), 0);

	for (int inl = 0; inl < 2; inl++) {
		hoop_engine_params ep = {0};
		ep.flags = inl ? 0 : HOOP_ENGINE_NO_INLINE;
		hoop_engine *e = t_engine(&ep);
		run(e, 4096);
		run(e, 65536);
		if (inl)
			cached_only(e);
		hoop_engine_destroy(e);
	}

	const char *rm[] = {"fifo", "big"};
	for (size_t i = 0; i < sizeof(rm) / sizeof(rm[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, rm[i]);
		unlink(path);
	}
	for (unsigned i = 0; i < NCACHED + NCOLD; i++) {
		snprintf(path, sizeof(path), "%s/%c%u", dir,
		         i < NCACHED ? 'c' : 'e', i < NCACHED ? i : i - NCACHED);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
	return T_PASS;
}

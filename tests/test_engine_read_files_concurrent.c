/*
 * hoop_read_files from several threads at once on one engine, for about
 * 3 s: one call at a time holds the direct-descriptor table, the others
 * meet EBUSY and use ordinary descriptors; the result blocks of all of
 * them go through the one per-process cache. Every call's results are
 * checked byte for byte, then scribbled over; a thread keeps its previous
 * call's results (and their scribble) across its next call and checks
 * them again before freeing them, and every out[] has canaries on both
 * sides: a read that lands after its call returned, or in memory another
 * call owns, shows up as a wrong byte.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NTHREADS 8
#define RUN_NS (3000000000ull)
#define MAXP 96
#define CANARY 0xc3

static char dir[64];
static hoop_engine *eng;
static atomic_int failed;
static atomic_ulong ncalls;

struct file {
	const char *name;
	size_t size; /* SIZE_MAX: an error */
	int err;     /* expected -errno */
	unsigned seed;
};

static const struct file files[] = {
        {"empty", 0, 0, 0},
        {"small", 100, 0, 1},
        {"page", 4096, 0, 2},
        {"g4k1", 4097, 0, 3},
        {"big", 300 * 1024, 0, 4},
        {"k64", 64 * 1024, 0, 5},
        {"k64p1", 64 * 1024 + 1, 0, 6},
        {"k20", 20000, 0, 7},
        {"missing", SIZE_MAX, -ENOENT, 0},
        {"sub", SIZE_MAX, -EISDIR, 0},
        {"small/x", SIZE_MAX, -ENOTDIR, 0},
        {"m1", 1 << 20, 0, 8},
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static char fpath[NFILES][128];

static unsigned char byte_of(const struct file *f, size_t i)
{
	return (unsigned char)(t_pattern(i) ^ f->seed);
}

static void put(const struct file *f, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	unsigned char *b = malloc(f->size + 1);
	CHECK(b != NULL);
	for (size_t i = 0; i < f->size; i++)
		b[i] = byte_of(f, i);
	CHECK_EQ(write(fd, b, f->size), (long long)f->size);
	free(b);
	close(fd);
}

static void fail(const char *what, size_t k, const struct file *f, long long a,
                 long long b)
{
	fprintf(stderr, "%s: path %zu (%s): %lld, want %lld\n", what, k,
	        f->name, a, b);
	atomic_store(&failed, 1);
}

/* One call's results: each file's contents exactly, or its error. */
static int check(const struct hoop_file_data *out, const unsigned *which,
                 size_t n, const char *what)
{
	for (size_t k = 0; k < n; k++) {
		const struct file *f = &files[which[k]];
		const struct hoop_file_data *o = &out[k];
		if (f->size == SIZE_MAX) {
			if (o->res != f->err || o->data != NULL) {
				fail(what, k, f, o->res, f->err);
				return -1;
			}
			continue;
		}
		if (o->res != (int64_t)f->size ||
		    (f->size == 0) != (o->data == NULL)) {
			fail(what, k, f, o->res, (long long)f->size);
			return -1;
		}
		const unsigned char *d = o->data;
		for (size_t i = 0; i < f->size; i++)
			if (d[i] != byte_of(f, i)) {
				fail(what, k, f, (long long)i, d[i]);
				return -1;
			}
	}
	return 0;
}

/* After a call's check: its contents become a known scribble. */
static void scribble(const struct hoop_file_data *out, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (out[k].res > 0)
			memset((void *)(uintptr_t)out[k].data, 0xa5,
			       (size_t)out[k].res);
}

static int scribble_intact(const struct hoop_file_data *out, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const unsigned char *d = out[k].data;
		for (int64_t i = 0; i < out[k].res; i++)
			if (d[i] != 0xa5) {
				fprintf(stderr,
				        "held result %zu byte %lld overwritten "
				        "(0x%02x) after its call returned\n",
				        k, (long long)i, d[i]);
				atomic_store(&failed, 1);
				return -1;
			}
	}
	return 0;
}

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0xffffff;
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
	uint64_t end = t_now_ns() + RUN_NS;
	/* out[] with MAXP entries and a canary block on each side. */
	const size_t guard = 64;
	size_t bytes = MAXP * sizeof(struct hoop_file_data) + 2 * guard;
	unsigned char *raw[2];
	struct hoop_file_data *out[2];
	unsigned which[2][MAXP];
	size_t nheld = 0;
	hoop_files *held = NULL;
	for (int b = 0; b < 2; b++) {
		raw[b] = malloc(bytes);
		CHECK(raw[b] != NULL);
		out[b] = (struct hoop_file_data *)(raw[b] + guard);
	}
	int cur = 0;
	while (t_now_ns() < end && !atomic_load(&failed)) {
		size_t n = 1 + rnd(&seed) % MAXP;
		const char *paths[MAXP];
		for (size_t k = 0; k < n; k++) {
			which[cur][k] = rnd(&seed) % NFILES;
			paths[k] = fpath[which[cur][k]];
		}
		hoop_read_files_params prm;
		memset(&prm, 0, sizeof(prm));
		switch (rnd(&seed) % 4) {
		case 0:
			break; /* defaults */
		case 1:
			prm.size_guess = 4096;
			prm.max_open = 8;
			break;
		case 2:
			prm.size_guess = 1000;
			prm.max_open = 3;
			break;
		case 3:
			prm.flags = HOOP_READ_FILES_NO_DIRECT;
			break;
		}
		memset(raw[cur], CANARY, bytes);
		hoop_files *mem = (hoop_files *)(uintptr_t)1;
		int r = hoop_read_files(eng, AT_FDCWD, paths, n, &prm, out[cur],
		                        &mem);
		atomic_fetch_add(&ncalls, 1);
		if (r != 0) {
			fprintf(stderr, "hoop_read_files: %s\n", hoop_strerror(r));
			atomic_store(&failed, 1);
			break;
		}
		for (size_t i = 0; i < guard; i++)
			if (raw[cur][i] != CANARY ||
			    raw[cur][guard + n * sizeof(out[0][0]) + i] != CANARY) {
				fprintf(stderr, "out[] canary overwritten\n");
				atomic_store(&failed, 1);
			}
		if (check(out[cur], which[cur], n, "result") < 0)
			break;
		scribble(out[cur], n);
		/* The previous call's memory, held across this call. */
		if (held || nheld) {
			if (scribble_intact(out[!cur], nheld) < 0)
				break;
			hoop_files_free(held);
		}
		held = mem;
		nheld = n;
		cur = !cur;
	}
	hoop_files_free(held);
	free(raw[0]);
	free(raw[1]);
	return NULL;
}

int main(void)
{
	strcpy(dir, "/tmp/hoop_rfc_XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	for (size_t i = 0; i < NFILES; i++) {
		snprintf(fpath[i], sizeof(fpath[i]), "%s/%s", dir, files[i].name);
		if (files[i].size != SIZE_MAX)
			put(&files[i], fpath[i]);
	}
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	CHECK_EQ(mkdir(sub, 0755), 0);

	eng = t_engine(NULL);
	int fds_before = t_fd_count();
	pthread_t th[NTHREADS];
	for (uintptr_t i = 0; i < NTHREADS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, worker, (void *)i), 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(t_fd_count(), fds_before);
	hoop_engine_destroy(eng);
	fprintf(stderr, "%lu calls\n", (unsigned long)atomic_load(&ncalls));

	for (size_t i = 0; i < NFILES; i++)
		if (files[i].size != SIZE_MAX)
			unlink(fpath[i]);
	rmdir(sub);
	rmdir(dir);
	return atomic_load(&failed) ? T_FAIL : T_PASS;
}

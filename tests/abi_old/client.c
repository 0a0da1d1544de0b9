/*
 * tests/abi_old/client.c - a program of the previous release, run against
 * the new library (CTest test abi_old_client; tests/abi_old/run.sh).
 *
 * Compiled with the public headers of release 0.1 (commit 1a3fa69, saved in
 * tests/abi_old/include) and linked against a stand-in with that release's
 * version map (stub.c), so it is what a 0.1 program was: it calls
 * hoop_engine_get_metrics with two arguments, hoop_probe_run without
 * setting out->size, and passes the 0.1 layouts of hoop_engine_params,
 * hoop_op, hoop_completion, hoop_engine_metrics and hoop_probe. run.sh then
 * runs it with the new libhoop.so.0, which must serve it through the
 * HOOP_0.1 symbol versions: engine create, submit, wait and get_metrics
 * give the right results, and the structs hoop fills for it are written
 * within their old size only (each sits at the end of a page followed by
 * an inaccessible page; the bytes before it are checked too).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <hoop.h>

#define NREAD 8
#define CHUNK 512
#define FILL 0xA5

static int failed;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n",         \
			        __FILE__, __LINE__, #cond);                  \
			failed = 1;                                          \
		}                                                            \
	} while (0)

/*
 * `size` bytes filled with FILL that end where an inaccessible page starts:
 * a write past them faults. *page receives the start of the mapping.
 */
static unsigned char *guarded(size_t size, unsigned char **page)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
	                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m + pg, pg, PROT_NONE) != 0) {
		perror("mmap");
		exit(1);
	}
	memset(m, FILL, pg);
	*page = m;
	return m + pg - size;
}

/* The bytes of the page before the struct are still FILL. */
static int untouched_before(const unsigned char *page, const unsigned char *p)
{
	for (const unsigned char *q = page; q < p; q++)
		if (*q != FILL)
			return 0;
	return 1;
}

static int all_fill(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != FILL)
			return 0;
	return 1;
}

int main(void)
{
	/* A file with known contents. */
	char path[] = "/tmp/hoop_abi_old_XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	unlink(path);
	static unsigned char data[NREAD * CHUNK];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 3);
	if (write(fd, data, sizeof(data)) != (ssize_t)sizeof(data)) {
		perror("write");
		return 1;
	}

	/* The 0.1 params layout (backend, then resv[7]), zeroed. */
	hoop_engine_params params;
	memset(&params, 0, sizeof(params));
	params.sq_entries = 64;
	hoop_engine *e = NULL;
	int rc = hoop_engine_create(&e, &params);
	if (rc < 0) {
		fprintf(stderr, "hoop_engine_create: %s\n", hoop_strerror(rc));
		return 1;
	}
	printf("engine backend %d\n", hoop_engine_backend(e));

	/* NREAD reads of CHUNK bytes each and a NOP, as one submission. */
	static unsigned char bufs[NREAD][CHUNK];
	struct hoop_op ops[NREAD + 1];
	uint64_t tokens[NREAD + 1];
	for (unsigned i = 0; i < NREAD; i++) {
		hoop_op_read(&ops[i], fd, bufs[i], CHUNK, (uint64_t)i * CHUNK);
		ops[i].user_data = 100 + i;
	}
	hoop_op_nop(&ops[NREAD]);
	ops[NREAD].user_data = 999;
	rc = hoop_engine_submit(e, ops, NREAD + 1, tokens, 0);
	CHECK(rc == NREAD + 1);
	if (rc != NREAD + 1) {
		fprintf(stderr, "hoop_engine_submit: %d (%s)\n", rc, hoop_strerror(rc));
		return 1;
	}
	for (unsigned i = 0; i <= NREAD; i++) {
		struct hoop_completion c;
		memset(&c, 0, sizeof(c));
		rc = hoop_engine_wait(e, tokens[i], &c, 5000000000LL);
		CHECK(rc == 0);
		CHECK(c.token == tokens[i]);
		if (i < NREAD) {
			CHECK(c.user_data == 100 + i);
			CHECK(c.res == CHUNK);
			CHECK(memcmp(bufs[i], data + i * CHUNK, CHUNK) == 0);
		} else {
			CHECK(c.user_data == 999);
			CHECK(c.res == 0);
		}
	}

	/*
	 * hoop_engine_get_metrics(e, out) of 0.1, into the 0.1 struct (15
	 * fields, 120 bytes) and into the first layout (12 fields, 96 bytes,
	 * which programs of 0.1's predecessors had): nothing past either.
	 */
	size_t sizes[2] = {sizeof(struct hoop_engine_metrics), 12 * sizeof(uint64_t)};
	CHECK(sizes[0] == 15 * sizeof(uint64_t));
	for (int k = 0; k < 2; k++) {
		unsigned char *page;
		unsigned char *p = guarded(sizes[k], &page);
		struct hoop_engine_metrics *m = (struct hoop_engine_metrics *)p;
		rc = hoop_engine_get_metrics(e, m);
		CHECK(rc == 0);
		CHECK(untouched_before(page, p));
		CHECK(m->submitted == NREAD + 1);
		CHECK(m->completed == NREAD + 1);
		CHECK(m->inflight == 0);
		CHECK(m->unknown_cqes == 0);
		if (k == 0)
			printf("metrics (%zu bytes): submitted %llu completed %llu; "
			       "fields 13-15 %s\n", sizes[k],
			       (unsigned long long)m->submitted,
			       (unsigned long long)m->completed,
			       all_fill(p + 96, 24) ? "left untouched" : "filled");
	}

	/*
	 * hoop_probe_run(out) of 0.1: out->size is not set (FILL bytes); hoop
	 * fills the 0.1 layout and nothing past it.
	 */
	{
		unsigned char *page;
		unsigned char *p = guarded(sizeof(struct hoop_probe), &page);
		struct hoop_probe *pr = (struct hoop_probe *)p;
		rc = hoop_probe_run(pr);
		CHECK(rc == 0);
		CHECK(untouched_before(page, p));
		CHECK(pr->size == sizeof(struct hoop_probe));
		CHECK(pr->usable == 0 || pr->usable == 1);
		CHECK(memchr(pr->kernel_release, 0, sizeof(pr->kernel_release)) != NULL);
		CHECK(pr->kernel_release[0] != 0);
		printf("probe (%zu bytes): usable %d, kernel %s\n",
		       sizeof(struct hoop_probe), pr->usable, pr->kernel_release);
	}

	hoop_engine_destroy(e);
	close(fd);
	if (failed)
		return 1;
	printf("a 0.1 program ran against the new library\n");
	return 0;
}

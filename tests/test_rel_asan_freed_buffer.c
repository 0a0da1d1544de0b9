/*
 * The ASan buffer check (core/asan_check.c): in an AddressSanitizer build,
 * submitting a read into a heap buffer that was already freed is reported
 * at the submitting call, before the kernel could write into freed memory.
 * Each case runs in a forked child, which must die with a report that
 * names the check, the opcode, ASan's diagnosis and the submitting call:
 *   hoop_ring_submit of a READ into a freed buffer (heap-use-after-free);
 *   hoop_engine_submit of a READV whose iovec buffer is freed;
 *   hoop_ring_submit of a WRITE whose length runs past its buffer
 *   (heap-buffer-overflow).
 * The parent checks nothing leaked. Other builds skip, saying why.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

#ifdef HAVE_ASAN
static int file_fd;

static void ring_read_freed(void)
{
	hoop_ring *ring = t_ring(4, 0);
	char *buf = malloc(4096);
	CHECK(buf != NULL);
	/* Through an integer, so the compiler does not see the bug. */
	volatile uintptr_t addr = (uintptr_t)buf;
	free(buf); /* the bug: the kernel would write here */
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, file_fd, (void *)addr, 4096, 0);
	hoop_ring_submit(ring); /* must not return */
}

static void engine_readv_freed(void)
{
	hoop_engine *e;
	hoop_engine_params ep;
	memset(&ep, 0, sizeof(ep));
	ep.backend = HOOP_BACKEND_URING;
	CHECK_EQ(hoop_engine_create(&e, &ep), 0);
	static char ok[64];
	struct iovec iov[2] = {{ok, sizeof(ok)}, {malloc(256), 256}};
	free(iov[1].iov_base);
	struct hoop_op op;
	uint64_t tok;
	/* A pipe, not a file: the engine may serve file reads inline
	 * (preadv in the calling thread) without an SQE. */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	hoop_op_readv(&op, p[0], iov, 2, 0);
	hoop_engine_submit(e, &op, 1, &tok, 0); /* must not return */
}

static void ring_write_overflow(void)
{
	hoop_ring *ring = t_ring(4, 0);
	char *buf = malloc(100);
	CHECK(buf != NULL);
	memset(buf, 'x', 100);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_write(sqe, file_fd, buf, 200, 0); /* 100 bytes too many */
	hoop_ring_submit(ring);
}

/* Run fn in a child with stderr captured; return what it wrote. */
static char *run_child(void (*fn)(void), int *status)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		fn();
		fprintf(stderr, "child: the check did not fire\n");
		_exit(0);
	}
	close(p[1]);
	static char out[65536];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(out) - 1 &&
	       (r = read(p[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(p[0]);
	CHECK_EQ(waitpid(pid, status, 0), pid);
	return out;
}

static void expect_report(void (*fn)(void), const char *opname,
                          const char *diag, const char *caller)
{
	int st;
	char *out = run_child(fn, &st);
	/* ASan exits 1 after a report by default. */
	int died = (WIFEXITED(st) && WEXITSTATUS(st) != 0) || WIFSIGNALED(st);
	if (!died || !strstr(out, "hoop ASan buffer check") ||
	    !strstr(out, opname) || !strstr(out, diag) || !strstr(out, caller)) {
		fprintf(stderr,
		        "expected %s / %s / %s in the child's report "
		        "(status %#x):\n%s\n",
		        opname, diag, caller, st, out);
		exit(T_FAIL);
	}
	/* Show the first line of the report in the test log. */
	char *nl = strchr(strstr(out, "hoop ASan buffer check"), '\n');
	if (nl)
		*nl = 0;
	fprintf(stderr, "ok: %s\n", strstr(out, "hoop ASan buffer check"));
}
#endif

int main(void)
{
#ifndef HAVE_ASAN
	SKIP("not an AddressSanitizer build: the buffer check is compiled "
	     "only there (cmake -DHOOP_SANITIZE=address)");
#else
	int fds0 = t_fd_count();
	file_fd = t_tmpfile(8192, NULL);
	hoop_ring *probe = t_ring(4, 0); /* skips without io_uring */
	hoop_ring_destroy(probe);
	expect_report(ring_read_freed, "a read SQE", "heap-use-after-free",
	              "hoop_ring_submit");
	expect_report(engine_readv_freed, "a readv SQE", "heap-use-after-free",
	              "hoop_engine_submit");
	expect_report(ring_write_overflow, "a write SQE",
	              "heap-buffer-overflow", "hoop_ring_submit");
	close(file_fd);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
#endif
}

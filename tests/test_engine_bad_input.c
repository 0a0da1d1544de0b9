/*
 * Bad input to the engine: refused synchronously with -EINVAL / -ENOENT and
 * nothing consumed; an invalid opcode fails only its own op; no fd leaks
 * from refused creates. In AddressSanitizer builds, a read into a freed
 * buffer that the inline fast path (preadv2 in the submitting thread, no
 * SQE) would serve is reported at hoop_engine_submit, like one that goes
 * through the ring (in a forked child, which must die with the report).
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

static void noop_cb(void *arg, const struct hoop_completion *c)
{
	(void)arg;
	(void)c;
}

static int try_create(uint32_t sq, uint32_t cq, uint32_t maxf, uint32_t flags,
                      uint32_t backend)
{
	hoop_engine_params prm;
	memset(&prm, 0, sizeof(prm));
	prm.sq_entries = sq;
	prm.cq_entries = cq;
	prm.max_inflight = maxf;
	prm.flags = flags;
	prm.backend = backend;
	hoop_engine *e = NULL;
	int r = hoop_engine_create(&e, &prm);
	if (r == 0)
		hoop_engine_destroy(e);
	return r;
}

static void test_params(void)
{
	CHECK_EQ(hoop_engine_create(NULL, NULL), -EINVAL);
	CHECK_EQ(try_create(8, 64, 0, 0, 3), -EINVAL); /* backend */
	CHECK_EQ(try_create(8, 64, 0, 0, 0xffffffffu), -EINVAL);
	CHECK_EQ(try_create(8, 64, 0, 0x100, 0), -EINVAL); /* flags */
	CHECK_EQ(try_create(8, 64, 0, 0x80000000u, 0), -EINVAL);
	CHECK_EQ(try_create(64, 32, 0, 0, 0), -EINVAL); /* cq < sq */
	CHECK_EQ(try_create(8, 64, 65, 0, 0), -EINVAL); /* > CQ */
	CHECK_EQ(try_create(8, 64, 64, 0, 0), -EINVAL);
	CHECK_EQ(try_create(8, 64, 1u << 20, 0, 0), -EINVAL);
	CHECK_EQ(try_create(1u << 20, 0, 0, 0, 0), -EINVAL); /* huge SQ */
	CHECK_EQ(try_create(8, 1u << 24, 0, 0, 0), -EINVAL); /* huge CQ */
	/* A valid bound just below the CQ is accepted. */
	CHECK_EQ(try_create(8, 64, 62, 0, 0), 0);
}

#ifdef HAVE_ASAN
/* In a child with stderr on `errfd`: an inline-eligible read (a cached
 * file, explicit offset, one op) into a freed buffer; must not return. */
static void inline_read_freed(int errfd)
{
	int fd = t_tmpfile(4096, NULL);
	CHECK(fd >= 0);
	hoop_engine *e;
	CHECK_EQ(hoop_engine_create(&e, NULL), 0);
	char *buf = malloc(4096);
	CHECK(buf != NULL);
	volatile uintptr_t addr = (uintptr_t)buf; /* hide the bug */
	free(buf);
	struct hoop_op op;
	uint64_t tok;
	hoop_op_read(&op, fd, (void *)addr, 4096, 0);
	dup2(errfd, 2);
	hoop_engine_submit(e, &op, 1, &tok, 0);
	fprintf(stderr, "child: the check did not fire\n");
	_exit(0);
}

static void test_asan_inline(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		inline_read_freed(p[1]);
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
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) != 0));
	if (!strstr(out, "hoop ASan buffer check: a read SQE") ||
	    !strstr(out, "heap-use-after-free") ||
	    /* the inline path (in engine_inline.c), not the ring */
	    !strstr(out, "engine_inline.c") || !strstr(out, "hoop_engine_submit")) {
		fprintf(stderr, "unexpected child report:\n%s\n", out);
		exit(T_FAIL);
	}
}
#else
static void test_asan_inline(void) {}
#endif

int main(void)
{
	int fds = t_fd_count();
	hoop_engine *e = NULL;
	hoop_engine_params prm;
	memset(&prm, 0, sizeof(prm));
	prm.sq_entries = 8;
	prm.cq_entries = 64;
	e = t_engine(&prm);
	int fds_engine = t_fd_count();
	test_params();
	test_asan_inline();
	CHECK_EQ(t_fd_count(), fds_engine); /* refused creates leak nothing */

	struct hoop_op ops[16];
	uint64_t tok[16];
	struct hoop_completion c;
	for (int i = 0; i < 16; i++) {
		hoop_op_nop(&ops[i]);
		ops[i].user_data = 40 + i;
	}
	struct hoop_engine_metrics m0, m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m0, sizeof(m0)), 0);
	CHECK_EQ(hoop_engine_submit(NULL, ops, 1, tok, 0), -EINVAL);
	CHECK_EQ(hoop_engine_submit(e, NULL, 1, tok, 0), -EINVAL);
	CHECK_EQ(hoop_engine_submit(e, ops, 1, NULL, 0), -EINVAL);
	CHECK_EQ(hoop_engine_submit(e, ops, 0, NULL, 0), 0);
	CHECK_EQ(hoop_engine_submit_cb(NULL, ops, 1, tok, 0, noop_cb, NULL),
	         -EINVAL);
	CHECK_EQ(hoop_engine_submit_cb(e, NULL, 1, tok, 0, noop_cb, NULL), -EINVAL);
	CHECK_EQ(hoop_engine_flush(NULL), -EINVAL);
	CHECK_EQ(hoop_engine_wait(NULL, 1, &c, 0), -EINVAL);
	CHECK_EQ(hoop_engine_release(NULL, 1), -EINVAL);
	CHECK_EQ(hoop_engine_cancel(NULL, 1), -EINVAL);
	CHECK_EQ(hoop_engine_cancel_all(NULL), -EINVAL);
	CHECK_EQ(hoop_engine_cancel_fd(NULL, 0, 0), -EINVAL);
	CHECK_EQ(hoop_engine_get_metrics(NULL, &m, sizeof(m)), -EINVAL);
	CHECK_EQ(hoop_engine_get_metrics(e, NULL, sizeof(m)), -EINVAL);
	hoop_engine_destroy(NULL);
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, m0.submitted);
	CHECK_EQ(m.enters, m0.enters);

	/* Tokens that name nothing. */
	CHECK_EQ(hoop_engine_wait(e, 0, &c, 0), -ENOENT);
	CHECK_EQ(hoop_engine_wait(e, 0xffffffffull, &c, 0), -ENOENT);
	CHECK_EQ(hoop_engine_wait(e, ~0ull, &c, 0), -ENOENT);
	CHECK_EQ(hoop_engine_wait(e, 1, &c, 0), -ENOENT); /* never used */
	CHECK_EQ(hoop_engine_release(e, 0), -ENOENT);
	CHECK_EQ(hoop_engine_cancel(e, ~0ull), -ENOENT);

	/* Waiting on an in-flight callback op is -EINVAL; a NULL out too. */
	int p[2];
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	unsigned char b;
	struct hoop_op rd;
	hoop_op_read(&rd, p[0], &b, 1, (uint64_t)-1);
	CHECK_EQ(hoop_engine_submit_cb(e, &rd, 1, tok, 0, noop_cb, NULL), 1);
	CHECK_EQ(hoop_engine_wait(e, tok[0], &c, 0), -EINVAL);
	CHECK_EQ(hoop_engine_wait(e, tok[0], NULL, 0), -EINVAL);
	CHECK_EQ(hoop_engine_cancel_fd(e, p[0], 0), 1);

	/* An invalid opcode in the middle of a batch: only its op fails. */
	ops[3].opcode = 250;
	CHECK_EQ(hoop_engine_submit(e, ops, 8, tok, 0), 8);
	for (int i = 0; i < 8; i++) {
		CHECK_EQ(hoop_engine_wait(e, tok[i], &c, 5000000000ll), 0);
		CHECK_EQ(c.user_data, 40 + i);
		CHECK_EQ(c.res, i == 3 ? -EINVAL : 0);
	}
	/* A bad SQE flag bit likewise. */
	hoop_op_nop(&ops[3]);
	ops[3].sqe_flags = 0x80;
	ops[3].user_data = 43;
	CHECK_EQ(hoop_engine_submit(e, ops, 8, tok, 0), 8);
	for (int i = 0; i < 8; i++) {
		CHECK_EQ(hoop_engine_wait(e, tok[i], &c, 5000000000ll), 0);
		CHECK_EQ(c.res, i == 3 ? -EINVAL : 0);
	}

	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, m0.submitted + 17);
	CHECK_EQ(m.completed, m.submitted);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.unknown_cqes, 0);
	/* Last (a failure here hides nothing else): "-EINVAL (n larger than
	 * the SQ ...)", whichever backend serves the engine. */
	CHECK_EQ(hoop_engine_submit(e, ops, 9, tok, 0), -EINVAL);
	CHECK_EQ(hoop_engine_submit_cb(e, ops, 9, tok, 0, noop_cb, NULL), -EINVAL);
	CHECK_EQ(hoop_engine_get_metrics(e, &m0, sizeof(m0)), 0);
	CHECK_EQ(m0.submitted, m.submitted);
	hoop_engine_destroy(e);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}

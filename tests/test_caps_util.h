/*
 * tests/test_caps_util.h - pieces shared by the capability tests
 * (test_caps_*.c): run a function in a forked child, become an unprivileged
 * user, and prove that an engine and a queue do real work.
 */
#ifndef HOOP_TEST_CAPS_UTIL_H
#define HOOP_TEST_CAPS_UTIL_H

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

/*
 * Run fn() in a forked child, bounded by an alarm; returns its exit code
 * (0, 1 or 77). A child killed by a signal fails the test.
 */
static inline int caps_run_child(void (*fn)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		alarm(30);
		fn();
		exit(T_PASS);
	}
	int st = 0;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		fprintf(stderr, "child killed by signal %d\n", WTERMSIG(st));
	CHECK(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/*
 * Set RLIMIT_MEMLOCK to `limit` bytes, then give up root for `uid` and gid
 * 65534 (no supplementary groups). Exits 77 if that is impossible.
 */
static inline void caps_drop_root(rlim_t limit, uid_t uid)
{
	struct rlimit rl = {limit, limit};
	CHECK_EQ(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	if (setgroups(0, NULL) != 0 || setgid(65534) != 0)
		SKIP("cannot switch to gid 65534: %s", strerror(errno));
	if (setuid(uid) != 0)
		SKIP("cannot switch to uid %u: %s", (unsigned)uid, strerror(errno));
	/* Losing root clears "dumpable", which LeakSanitizer needs. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	CHECK_EQ(getuid(), uid);
	CHECK_EQ(geteuid(), uid);
}

/* Submit one op, wait for its result and check the tag; returns res. */
static inline int caps_engine_run(hoop_engine *e, struct hoop_op *op, uint64_t tag)
{
	uint64_t tok = 0;
	struct hoop_completion c;
	op->user_data = tag;
	CHECK_EQ(hoop_engine_submit(e, op, 1, &tok, 0), 1);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
	CHECK_EQ(c.user_data, tag);
	CHECK_EQ(c.token, tok);
	return c.res;
}

/*
 * The engine does real work: 16 NOPs, a read of a real file at an offset,
 * and a queue round trip of a NOP, a read and a write.
 */
static inline void caps_engine_smoke(hoop_engine *e)
{
	struct hoop_op op;
	for (uint64_t i = 0; i < 16; i++) {
		hoop_op_nop(&op);
		CHECK_EQ(caps_engine_run(e, &op, 100 + i), 0);
	}

	int fd = t_tmpfile(8192, NULL);
	CHECK(fd >= 0);
	unsigned char buf[4000];
	memset(buf, 0, sizeof(buf));
	hoop_op_read(&op, fd, buf, sizeof(buf), 100);
	CHECK_EQ(caps_engine_run(e, &op, 7), 4000);
	for (unsigned i = 0; i < sizeof(buf); i++)
		CHECK_EQ(buf[i], t_pattern(100 + i));

	hoop_queue *q = NULL;
	CHECK_EQ(hoop_queue_create(&q, e, 8), 0);
	unsigned char rbuf[64], wbuf[64];
	memset(rbuf, 0, sizeof(rbuf));
	memset(wbuf, 0xab, sizeof(wbuf));
	struct hoop_op ops[3];
	hoop_op_nop(&ops[0]);
	ops[0].user_data = 1;
	hoop_op_read(&ops[1], fd, rbuf, sizeof(rbuf), 8000);
	ops[1].user_data = 2;
	hoop_op_write(&ops[2], fd, wbuf, sizeof(wbuf), 8192);
	ops[2].user_data = 3;
	CHECK_EQ(hoop_queue_add(q, ops, 3, NULL, 0), 3);
	struct hoop_completion got[3];
	int n = 0;
	while (n < 3) {
		int r = hoop_queue_wait(q, got + n, 3 - (unsigned)n, 1,
		                        5000000000ll);
		CHECK(r >= 1);
		n += r;
	}
	int seen = 0;
	for (int i = 0; i < 3; i++) {
		seen |= 1 << got[i].user_data;
		/* The NOP gives 0; the read (192 bytes remain) and the
		 * write give their full 64 bytes. */
		CHECK_EQ(got[i].res, got[i].user_data == 1 ? 0 : 64);
	}
	CHECK_EQ(seen, 0xe);
	for (unsigned i = 0; i < sizeof(rbuf); i++)
		CHECK_EQ(rbuf[i], t_pattern(8000 + i));
	CHECK_EQ(hoop_queue_ready(q), 0);
	hoop_queue_destroy(q);
	close(fd);
}

#endif

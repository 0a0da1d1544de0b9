/*
 * A one-op hoop_engine_submit of a cached read completes in the submitting
 * thread and leaves its result in one of the engine's result cells (not a
 * slot). Its token must behave as every token does: hoop_engine_wait from
 * any thread gets the result once, release drops it, cancel and a second
 * wait or release answer -ENOENT, a stale or made-up token never matches,
 * a thread may hold many results at once, inline_ops counts each op, a
 * forked child gets -ECHILD, and destroy frees results never collected.
 * Then threads reuse the cells while another waits, releases and cancels
 * collected tokens: always -ENOENT, and every owner gets its own result.
 * Both backends.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096u
#define PAGES 64u
#define MANY 200
#define THREADS 4
#define ROUNDS 3000

static hoop_engine *eng;
static int fd;

static uint64_t submit_read(char *buf, unsigned page, uint64_t tag)
{
	struct hoop_op op;
	uint64_t t = 0;
	hoop_op_read(&op, fd, buf, PAGE, (uint64_t)page * PAGE);
	op.user_data = tag;
	CHECK_EQ(hoop_engine_submit(eng, &op, 1, &t, 0), 1);
	CHECK(t != 0);
	return t;
}

static void check_page(const char *buf, unsigned page)
{
	for (unsigned i = 0; i < PAGE; i += 509)
		CHECK_EQ((unsigned char)buf[i],
		         t_pattern((uint64_t)page * PAGE + i));
}

static void check_done(uint64_t t, uint64_t tag)
{
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_wait(eng, t, &c, -1), 0);
	CHECK_EQ(c.res, (int)PAGE);
	CHECK_EQ(c.user_data, tag);
	CHECK_EQ(c.token, t);
	CHECK_EQ(c.flags, 0);
}

static uint64_t handed;
static void *wait_elsewhere(void *arg)
{
	(void)arg;
	check_done(handed, 42);
	return NULL;
}

/* The stress: owners reuse the cells; one thread pokes collected tokens. */
static _Atomic uint64_t collected[64];
static atomic_uint wrong;
static atomic_int owners_left;

static void *owner_main(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	char *buf = aligned_alloc(PAGE, PAGE);
	CHECK(buf != NULL);
	for (unsigned r = 0; r < ROUNDS; r++) {
		unsigned page = (id * 7 + r) % PAGES;
		uint64_t tag = ((uint64_t)id << 32) | r;
		struct hoop_op op;
		uint64_t t;
		hoop_op_read(&op, fd, buf, PAGE, (uint64_t)page * PAGE);
		op.user_data = tag;
		if (hoop_engine_submit(eng, &op, 1, &t, 0) != 1) {
			atomic_fetch_add(&wrong, 1);
			break;
		}
		struct hoop_completion c;
		if (hoop_engine_wait(eng, t, &c, -1) != 0 ||
		    c.res != (int)PAGE || c.user_data != tag || c.token != t ||
		    (unsigned char)buf[100] !=
		            t_pattern((uint64_t)page * PAGE + 100)) {
			atomic_fetch_add(&wrong, 1);
			break;
		}
		atomic_store(&collected[(id * 16 + r) % 64], t);
	}
	free(buf);
	atomic_fetch_sub(&owners_left, 1);
	return NULL;
}

static void *poker_main(void *arg)
{
	(void)arg;
	unsigned long pokes = 0;
	for (;;) {
		/* One more pass after the owners are done: every entry then
		 * holds a collected token. */
		int left = atomic_load(&owners_left);
		for (unsigned i = 0; i < 64; i++) {
			uint64_t t = atomic_load(&collected[i]);
			if (!t)
				continue;
			struct hoop_completion c;
			int a = hoop_engine_wait(eng, t, &c, 0);
			int b = hoop_engine_release(eng, t);
			int d = hoop_engine_cancel(eng, t);
			if (a != -ENOENT || b != -ENOENT || d != -ENOENT) {
				fprintf(stderr, "stale token %#llx: %d %d %d\n",
				        (unsigned long long)t, a, b, d);
				atomic_fetch_add(&wrong, 1);
			}
			pokes++;
		}
		if (!left)
			break;
		sched_yield();
	}
	return (void *)pokes;
}

int main(void)
{
	fd = t_tmpfile(PAGE * PAGES, NULL);
	eng = t_engine(NULL);
	static char buf[MANY][PAGE] __attribute__((aligned(4096)));

	/* One read, waited for: done inline (or the case is not here). */
	uint64_t t = submit_read(buf[0], 3, 7);
	if (t_inline_ops(eng) != 1) {
		check_done(t, 7);
		hoop_engine_destroy(eng);
		SKIP("reads of this file system are not done inline");
	}
	check_done(t, 7);
	check_page(buf[0], 3);
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_wait(eng, t, &c, 0), -ENOENT);
	CHECK_EQ(hoop_engine_wait(eng, t, &c, -1), -ENOENT);
	CHECK_EQ(hoop_engine_release(eng, t), -ENOENT);
	CHECK_EQ(hoop_engine_cancel(eng, t), -ENOENT);

	/* Released before the wait: gone. Cancel of a done op: -ENOENT, and
	 * the result stays. */
	t = submit_read(buf[0], 4, 8);
	CHECK_EQ(hoop_engine_cancel(eng, t), -ENOENT);
	CHECK_EQ(hoop_engine_release(eng, t), 0);
	CHECK_EQ(hoop_engine_release(eng, t), -ENOENT);
	CHECK_EQ(hoop_engine_wait(eng, t, &c, -1), -ENOENT);

	/* Waited for by another thread. */
	handed = submit_read(buf[0], 5, 42);
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, wait_elsewhere, NULL), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	check_page(buf[0], 5);

	/* Many results held by one thread at once, collected in reverse. */
	uint64_t many[MANY];
	for (unsigned i = 0; i < MANY; i++)
		many[i] = submit_read(buf[i], i % PAGES, 1000 + i);
	for (unsigned i = 0; i < MANY; i++)
		for (unsigned j = 0; j < i; j++)
			CHECK(many[i] != many[j]);
	for (unsigned i = MANY; i-- > 0;) {
		check_done(many[i], 1000 + i);
		check_page(buf[i], i % PAGES);
	}
	CHECK_EQ(t_inline_ops(eng), 3 + MANY);
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(eng, &m, sizeof m), 0);
	CHECK_EQ(m.submitted, m.completed);
	CHECK_EQ(m.inflight, 0);

	/* Made-up tokens: unknown, at once (a wait that never ends would
	 * hang here). */
	static const uint64_t junk[] = {
	        1ull << 16,
	        (1ull << 16) | 63,
	        (1ull << 16) | (2u << 8),
	        (1ull << 16) | 0x3ff,
	        ~0ull,
	        0xffffffffffff0000ull,
	        (5ull << 17) | (1ull << 16) | 64,
	};
	for (unsigned i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		CHECK_EQ(hoop_engine_wait(eng, junk[i], &c, -1), -ENOENT);
		CHECK_EQ(hoop_engine_release(eng, junk[i]), -ENOENT);
		CHECK_EQ(hoop_engine_cancel(eng, junk[i]), -ENOENT);
	}
	/* A token with the state bits of a held result set is not one. */
	t = submit_read(buf[0], 6, 9);
	CHECK_EQ(hoop_engine_wait(eng, t | (2u << 8), &c, -1), -ENOENT);
	CHECK_EQ(hoop_engine_release(eng, t | (3u << 8)), -ENOENT);

	/* A forked child's wait: -ECHILD; the parent's result is untouched. */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct hoop_completion cc;
		_exit(hoop_engine_wait(eng, t, &cc, 0) == -ECHILD ? 0 : 1);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	check_done(t, 9);

	/* Stress: owners reuse the cells, the poker tries collected tokens. */
	pthread_t own[THREADS], poker;
	atomic_store(&owners_left, THREADS);
	for (unsigned i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_create(&own[i], NULL, owner_main,
		                        (void *)(uintptr_t)i),
		         0);
	CHECK_EQ(pthread_create(&poker, NULL, poker_main, NULL), 0);
	for (unsigned i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_join(own[i], NULL), 0);
	void *pokes;
	CHECK_EQ(pthread_join(poker, &pokes), 0);
	CHECK_EQ(atomic_load(&wrong), 0);
	CHECK(pokes != NULL);
	CHECK_EQ(hoop_engine_get_metrics(eng, &m, sizeof m), 0);
	CHECK_EQ(m.submitted, m.completed);
	CHECK_EQ(m.inflight, 0);

	/* Results never collected: destroy frees them (ASan: no leak). */
	for (unsigned i = 0; i < 8; i++)
		(void)submit_read(buf[i], i, i);
	hoop_engine_destroy(eng);
	close(fd);
	return T_PASS;
}

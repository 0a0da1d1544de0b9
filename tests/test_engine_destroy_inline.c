/*
 * hoop_engine_destroy must not free the engine under a call that is still
 * running in it, on the two paths that never sleep: the inline read of a
 * one-op hoop_engine_submit, and hoop_engine_wait taking a result that is
 * already there. Each call is held inside the engine deterministically: its
 * buffer (the read's, or the completion the wait writes) is a page
 * registered with userfaultfd, so the call blocks in a page fault until the
 * test resolves it. Meanwhile another thread destroys the engine: destroy
 * must still be waiting when the fault is resolved (it counts the call as a
 * caller). If destroy returns first, the test fails at once, without letting
 * the call go on in freed memory (so it cannot hang or crash either).
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096

static hoop_engine *eng;
static int ffd = -1;
static char *page;
static uint64_t wait_token;
static atomic_int destroyed, call_done;
static int call_result;

/* A fresh anonymous page registered for missing-page faults, or skip. */
static int uffd_page(char **out)
{
	int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP("userfaultfd refused: %s", strerror(errno));
	struct uffdio_api api = {.api = UFFD_API};
	if (ioctl(uffd, UFFDIO_API, &api) != 0)
		SKIP("UFFDIO_API refused: %s", strerror(errno));
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	struct uffdio_register reg = {
	        .range = {(unsigned long)p, PAGE},
	        .mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) != 0)
		SKIP("UFFDIO_REGISTER refused: %s", strerror(errno));
	*out = p;
	return uffd;
}

static void *submitter(void *arg)
{
	(void)arg;
	struct hoop_op op;
	uint64_t tok;
	hoop_op_read(&op, ffd, page, PAGE, 0);
	call_result = hoop_engine_submit(eng, &op, 1, &tok, 0);
	atomic_store(&call_done, 1);
	return NULL;
}

static void *waiter(void *arg)
{
	(void)arg;
	struct hoop_completion *c = (struct hoop_completion *)(void *)page;
	call_result = hoop_engine_wait(eng, wait_token, c, -1);
	atomic_store(&call_done, 1);
	return NULL;
}

static void *destroyer(void *arg)
{
	(void)arg;
	hoop_engine_destroy(eng);
	atomic_store(&destroyed, 1);
	return NULL;
}

/*
 * Run `call` in a thread until it faults on `page`, destroy the engine from
 * another, and check destroy waits (skip if the call had returned).
 */
static void hold_and_destroy(void *(*call)(void *), const char *what)
{
	int uffd = uffd_page(&page);
	atomic_store(&destroyed, 0);
	atomic_store(&call_done, 0);
	pthread_t c, d;
	CHECK_EQ(pthread_create(&c, NULL, call, NULL), 0);
	struct pollfd pfd = {uffd, POLLIN, 0};
	int pr = poll(&pfd, 1, 10000);
	CHECK_EQ(pr, 1);
	struct uffd_msg msg;
	CHECK_EQ(read(uffd, &msg, sizeof msg), (ssize_t)sizeof msg);
	CHECK_EQ(msg.event, UFFD_EVENT_PAGEFAULT);
	static char src[PAGE] __attribute__((aligned(PAGE)));
	memset(src, 0, sizeof src);
	struct uffdio_copy cp = {.dst = (unsigned long)page,
	                         .src = (unsigned long)src,
	                         .len = PAGE};
	if (atomic_load(&call_done)) {
		/* The call has returned and the fault is elsewhere (a read the
		 * file system would not do with RWF_NOWAIT went to the ring,
		 * whose worker faults): nothing of the call to hold. */
		CHECK_EQ(ioctl(uffd, UFFDIO_COPY, &cp), 0);
		CHECK_EQ(pthread_join(c, NULL), 0);
		hoop_engine_destroy(eng);
		SKIP("%s: the op was not done inline here", what);
	}
	CHECK_EQ(pthread_create(&d, NULL, destroyer, NULL), 0);
	/* Bounded: a destroy that does not wait returns within a few ms. */
	for (int i = 0; i < 500 && !atomic_load(&destroyed); i++)
		usleep(1000);
	if (atomic_load(&destroyed)) {
		fprintf(stderr,
		        "FAIL: destroy returned while %s was still running "
		        "in the engine\n",
		        what);
		_exit(T_FAIL); /* never let the call run on in freed memory */
	}
	CHECK_EQ(ioctl(uffd, UFFDIO_COPY, &cp), 0);
	CHECK_EQ(pthread_join(c, NULL), 0);
	CHECK_EQ(pthread_join(d, NULL), 0);
	CHECK(atomic_load(&destroyed));
	close(uffd);
}

static void new_engine(void) { eng = t_engine(NULL); }

static uint64_t inline_ops(void)
{
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(eng, &m, sizeof m), 0);
	return m.inline_ops;
}

int main(void)
{
	ffd = t_tmpfile(PAGE, NULL);

	/* 1. The inline read of a one-op submit, held in its page fault. */
	new_engine();
	hold_and_destroy(submitter, "hoop_engine_submit's inline read");
	CHECK_EQ(call_result, 1);
	for (unsigned i = 0; i < PAGE; i++)
		CHECK_EQ((unsigned char)page[i], t_pattern(i));
	CHECK_EQ(munmap(page, PAGE), 0);

	/* 2. hoop_engine_wait's quick path (the result already there),
	 * held in the fault on the completion it writes. */
	new_engine();
	static char buf[PAGE];
	struct hoop_op op;
	hoop_op_read(&op, ffd, buf, PAGE, 0);
	op.user_data = 77;
	CHECK_EQ(hoop_engine_submit(eng, &op, 1, &wait_token, 0), 1);
	if (inline_ops() != 1) {
		/* Not done inline: wait would take its slow (counted) path.
		 * Let it finish and say why the case was not run. */
		struct hoop_completion c;
		CHECK_EQ(hoop_engine_wait(eng, wait_token, &c, -1), 0);
		hoop_engine_destroy(eng);
		SKIP("the read was not done inline; wait's quick path not "
		     "reached");
	}
	hold_and_destroy(waiter, "hoop_engine_wait's quick path");
	CHECK_EQ(call_result, 0);
	struct hoop_completion *c = (struct hoop_completion *)(void *)page;
	CHECK_EQ(c->user_data, 77);
	CHECK_EQ(c->res, PAGE);
	CHECK_EQ(c->token, wait_token);
	CHECK_EQ(munmap(page, PAGE), 0);
	close(ffd);
	return T_PASS;
}

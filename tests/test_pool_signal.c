/*
 * The thread pool's cancel signal (engine.h): hoop never replaces a handler
 * the application installed on it. With the application's handler on
 * SIGRTMIN+3 a pool engine is refused with -EBUSY (the handler stays, and
 * hoop_engine_explain names the signal and the way out); pool_signal or
 * HOOP_POOL_SIGNAL choose another signal, which then interrupts a blocked
 * worker on cancel; SIG_DFL and SIG_IGN are free to take; bad choices are
 * -EINVAL.
 */
#include "helpers.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void app_handler(int sig) { (void)sig; }
static void app_action(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
}

static void set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(sig, &sa, NULL), 0);
}

static struct sigaction get_action(int sig)
{
	struct sigaction sa;
	CHECK_EQ(sigaction(sig, NULL, &sa), 0);
	return sa;
}

static int create(hoop_engine **e, int32_t pool_signal)
{
	hoop_engine_params p;
	memset(&p, 0, sizeof(p));
	p.backend = HOOP_BACKEND_THREADS;
	p.pool_signal = pool_signal;
	return hoop_engine_create(e, &p);
}

static void explain(int err, int32_t pool_signal, char *buf, size_t len)
{
	hoop_engine_params p;
	memset(&p, 0, sizeof(p));
	p.backend = HOOP_BACKEND_THREADS;
	p.pool_signal = pool_signal;
	hoop_engine_explain(err, &p, buf, len);
	fprintf(stderr, "explain(%s): %s\n", hoop_strerror(err), buf);
}

/* A read blocked on an empty pipe is cancelled: the signal reaches it. */
static void check_cancel_works(hoop_engine *e)
{
	int fds[2];
	CHECK_EQ(pipe(fds), 0);
	unsigned char b;
	struct hoop_op op;
	uint64_t tok;
	hoop_op_read(&op, fds[0], &b, 1, (uint64_t)-1);
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 50000000), -ETIME);
	CHECK_EQ(hoop_engine_cancel(e, tok), 0);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, -ECANCELED);
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	unsetenv("HOOP_POOL_SIGNAL");
	unsetenv("HOOP_BACKEND");
	int def = SIGRTMIN + 3;
	hoop_engine *e = NULL;
	char why[400];

	/* 1. The application's handler on the default signal: refused. */
	set_handler(def, app_handler);
	CHECK_EQ(create(&e, 0), -EBUSY);
	CHECK(e == NULL);
	CHECK(get_action(def).sa_handler == app_handler);
	explain(-EBUSY, 0, why, sizeof(why));
	CHECK(strstr(why, "SIGRTMIN+3") != NULL);
	CHECK(strstr(why, "pool_signal") != NULL);
	CHECK(strstr(why, "HOOP_POOL_SIGNAL") != NULL);
	/* An sa_sigaction handler is the application's too. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = app_action;
	sa.sa_flags = SA_SIGINFO;
	CHECK_EQ(sigaction(def, &sa, NULL), 0);
	CHECK_EQ(create(&e, 0), -EBUSY);
	CHECK(get_action(def).sa_sigaction == app_action);

	/* 2. Another signal by parameter: works, the application's stays. */
	int alt = SIGRTMIN + 5;
	CHECK(get_action(alt).sa_handler == SIG_DFL);
	CHECK_EQ(create(&e, alt), 0);
	CHECK(get_action(alt).sa_handler != SIG_DFL);
	CHECK(get_action(def).sa_sigaction == app_action);
	check_cancel_works(e);
	hoop_engine_destroy(e);
	/* hoop's handler is already there: a second engine takes it too. */
	CHECK_EQ(create(&e, alt), 0);
	check_cancel_works(e);
	hoop_engine_destroy(e);

	/* 3. By environment: SIGRTMIN+n and a plain number; SIG_IGN is free. */
	int envsig = SIGRTMIN + 6;
	set_handler(envsig, SIG_IGN);
	setenv("HOOP_POOL_SIGNAL", "SIGRTMIN+6", 1);
	CHECK_EQ(create(&e, 0), 0);
	CHECK(get_action(envsig).sa_handler != SIG_IGN);
	check_cancel_works(e);
	hoop_engine_destroy(e);
	char num[16];
	snprintf(num, sizeof(num), "%d", SIGUSR2);
	setenv("HOOP_POOL_SIGNAL", num, 1);
	CHECK_EQ(create(&e, 0), 0);
	check_cancel_works(e);
	hoop_engine_destroy(e);
	/* The parameter wins over the variable. */
	setenv("HOOP_POOL_SIGNAL", "bogus", 1);
	CHECK_EQ(create(&e, alt), 0);
	hoop_engine_destroy(e);

	/* 4. Bad choices. */
	CHECK_EQ(create(&e, 0), -EINVAL); /* HOOP_POOL_SIGNAL=bogus */
	explain(-EINVAL, 0, why, sizeof(why));
	CHECK(strstr(why, "HOOP_POOL_SIGNAL=bogus") != NULL);
	static const char *const bad_env[] = {"SIGRTMIN+999", "9",      "2",
	                                      "-1",           "RTMIN+", "34x"};
	for (unsigned i = 0; i < sizeof(bad_env) / sizeof(bad_env[0]); i++) {
		setenv("HOOP_POOL_SIGNAL", bad_env[i], 1);
		CHECK_EQ(create(&e, 0), -EINVAL);
	}
	unsetenv("HOOP_POOL_SIGNAL");
	static const int bad_sig[] = {SIGKILL, SIGSTOP, SIGINT,
	                              SIGSEGV, -1,      65};
	for (unsigned i = 0; i < sizeof(bad_sig) / sizeof(bad_sig[0]); i++)
		CHECK_EQ(create(&e, bad_sig[i]), -EINVAL);
	explain(-EINVAL, SIGKILL, why, sizeof(why));
	CHECK(strstr(why, "pool_signal 9") != NULL);
	/* Nothing was touched by the refusals. */
	CHECK(get_action(SIGINT).sa_handler == SIG_DFL);
	CHECK(get_action(def).sa_sigaction == app_action);

	/* 5. HOOP_ENGINE_POOL_SIGNAL_TAKE: taken over the application's
	 * (what Go's package does: Go's runtime handles every signal). */
	{
		hoop_engine_params p;
		memset(&p, 0, sizeof(p));
		p.backend = HOOP_BACKEND_THREADS;
		p.flags = HOOP_ENGINE_POOL_SIGNAL_TAKE;
		CHECK_EQ(hoop_engine_create(&e, &p), 0);
		CHECK(get_action(def).sa_sigaction != app_action);
		check_cancel_works(e);
		hoop_engine_destroy(e);
	}
	/* Another copy of hoop's handler (its form: no flags, every signal
	 * masked) is hoop's: not refused. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = app_handler;
	sigfillset(&sa.sa_mask);
	CHECK_EQ(sigaction(def, &sa, NULL), 0);
	CHECK_EQ(create(&e, 0), 0);
	check_cancel_works(e);
	hoop_engine_destroy(e);

	/* 6. The default signal, once free again, is taken. */
	set_handler(def, SIG_DFL);
	CHECK_EQ(create(&e, 0), 0);
	CHECK(get_action(def).sa_handler != SIG_DFL);
	check_cancel_works(e);
	hoop_engine_destroy(e);
	printf("pool_signal: passed\n");
	return T_PASS;
}

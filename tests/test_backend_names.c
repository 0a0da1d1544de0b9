/*
 * Backend names: HOOP_BACKEND takes auto (or empty), uring (or io_uring)
 * and threads; anything else (a typo such as "thread") makes
 * hoop_engine_create with HOOP_BACKEND_AUTO fail with -EINVAL instead of
 * running on io_uring, hoop_engine_explain names the value and the
 * accepted ones, and the probe reports it (auto_backend -EINVAL). A forced
 * backend does not read the variable; a backend number above THREADS is
 * -EINVAL.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>

#define ACCEPTED "auto, uring (or io_uring) or threads"

static int create_with(const char *env, uint32_t backend, hoop_engine **e)
{
	if (env)
		setenv("HOOP_BACKEND", env, 1);
	else
		unsetenv("HOOP_BACKEND");
	hoop_engine_params p;
	memset(&p, 0, sizeof(p));
	p.backend = backend;
	*e = NULL;
	return hoop_engine_create(e, &p);
}

int main(void)
{
	/* The one parser, as a function. */
	CHECK_EQ(hoop_backend_from_name("auto"), HOOP_BACKEND_AUTO);
	CHECK_EQ(hoop_backend_from_name(""), HOOP_BACKEND_AUTO);
	CHECK_EQ(hoop_backend_from_name("uring"), HOOP_BACKEND_URING);
	CHECK_EQ(hoop_backend_from_name("io_uring"), HOOP_BACKEND_URING);
	CHECK_EQ(hoop_backend_from_name("threads"), HOOP_BACKEND_THREADS);
	static const char *const bad[] = {"thread", "Threads", "uring ",
	                                  "bogus",  "1",       "iouring",
	                                  "pool"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(hoop_backend_from_name(bad[i]), -EINVAL);
	CHECK_EQ(hoop_backend_from_name(NULL), -EINVAL);
	CHECK(strcmp(hoop_backend_name(HOOP_BACKEND_AUTO), "auto") == 0);
	CHECK(strcmp(hoop_backend_name(HOOP_BACKEND_URING), "uring") == 0);
	CHECK(strcmp(hoop_backend_name(HOOP_BACKEND_THREADS), "threads") == 0);
	CHECK(strcmp(hoop_backend_name(3), "unknown") == 0);

	hoop_engine *e;
	/* Unknown names: refused, with the reason. */
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(create_with(bad[i], HOOP_BACKEND_AUTO, &e), -EINVAL);
		CHECK(e == NULL);
	}
	CHECK_EQ(create_with("thread", HOOP_BACKEND_AUTO, &e), -EINVAL);
	CHECK_EQ(hoop_engine_create(&e, NULL), -EINVAL);
	char why[320];
	int n = hoop_engine_explain(-EINVAL, NULL, why, sizeof(why));
	fprintf(stderr, "explain: %s\n", why);
	CHECK_EQ(n, (int)strlen(why));
	CHECK(strcmp(why, "HOOP_BACKEND=thread is not a backend: use " ACCEPTED
	                  " (or unset it)") == 0);
	/* A short buffer: truncated, NUL-terminated, full length returned. */
	char small[8];
	CHECK_EQ(hoop_engine_explain(-EINVAL, NULL, small, sizeof(small)), n);
	CHECK(strcmp(small, "HOOP_BA") == 0);

	/* The probe says the same and picks nothing. */
	struct hoop_probe pr = {.size = sizeof(struct hoop_probe)};
	CHECK_EQ(hoop_probe_run(&pr), 0);
	fprintf(stderr, "probe: %s\n", pr.auto_reason);
	CHECK_EQ(pr.auto_backend, -EINVAL);
	CHECK(strstr(pr.auto_reason, "HOOP_BACKEND=thread") != NULL);
	CHECK(strstr(pr.auto_reason, ACCEPTED) != NULL);

	/* A forced backend does not read the variable. */
	CHECK_EQ(create_with("thread", HOOP_BACKEND_THREADS, &e), 0);
	CHECK_EQ(hoop_engine_backend(e), HOOP_BACKEND_THREADS);
	hoop_engine_destroy(e);
	/* Out of range. */
	for (uint32_t b = 3; b < 6; b++)
		CHECK_EQ(create_with(NULL, b, &e), -EINVAL);
	CHECK_EQ(create_with(NULL, UINT32_MAX, &e), -EINVAL);
	CHECK_EQ(hoop_engine_explain(-EINVAL, &(hoop_engine_params){.backend = 7},
	                             why, sizeof(why)) > 0,
	         1);
	CHECK(strstr(why, "backend 7") != NULL);

	/* The accepted names work. */
	CHECK_EQ(create_with("threads", HOOP_BACKEND_AUTO, &e), 0);
	CHECK_EQ(hoop_engine_backend(e), HOOP_BACKEND_THREADS);
	hoop_engine_destroy(e);
	static const char *const good[] = {"auto", "", NULL};
	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int r = create_with(good[i], HOOP_BACKEND_AUTO, &e);
		CHECK_EQ(r, 0);
		hoop_engine_destroy(e);
	}
	static const char *const uring[] = {"uring", "io_uring"};
	for (unsigned i = 0; i < 2; i++) {
		int r = create_with(uring[i], HOOP_BACKEND_AUTO, &e);
		if (r == -EPERM || r == -ENOSYS) {
			fprintf(stderr, "io_uring unavailable: %s\n",
			        hoop_strerror(r));
			continue;
		}
		CHECK_EQ(r, 0);
		CHECK_EQ(hoop_engine_backend(e), HOOP_BACKEND_URING);
		hoop_engine_destroy(e);
	}
	printf("backend_names: passed\n");
	return T_PASS;
}

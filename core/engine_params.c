/*
 * core/engine_params.c - hoop_engine_params and the environment: what
 * hoop_engine_create checks before touching the kernel, which backend it
 * tries first and why, when it may fall back to the thread pool, and
 * hoop_engine_explain.
 */
#include "engine_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Which backend to try first, and why, from params and HOOP_BACKEND
 * (already checked by hoop__engine_params_check: a known name). */
int hoop__engine_choose_backend(const hoop_engine_params *p, const char **why)
{
	if (p->backend == HOOP_BACKEND_THREADS) {
		*why = "thread pool: requested by the caller";
		return HOOP_BACKEND_THREADS;
	}
	if (p->backend == HOOP_BACKEND_URING) {
		*why = "io_uring: requested by the caller";
		return HOOP_BACKEND_URING;
	}
	switch (hoop__backend_env(NULL)) {
	case HOOP_BACKEND_THREADS:
		*why = "thread pool: HOOP_BACKEND=threads";
		return HOOP_BACKEND_THREADS;
	case HOOP_BACKEND_URING:
		*why = "io_uring: HOOP_BACKEND=uring";
		return HOOP_BACKEND_URING;
	default:
		*why = "io_uring: available";
		return HOOP_BACKEND_URING;
	}
}

/* Setup errors that mean "io_uring is not allowed here", not "bad input". */
bool hoop__engine_fallback_allowed(int err)
{
	if (hoop__backend_env(NULL) == HOOP_BACKEND_URING)
		return false;
	return err == -ENOSYS || err == -EPERM || err == -EACCES || err == -ENOMEM;
}

#define WHY(...) (why ? snprintf(why, n, __VA_ARGS__) : 0)

/*
 * What hoop_engine_create checks before touching the kernel, in one place
 * for create and hoop_engine_explain: 0 or -EINVAL, with a reason in why
 * (if not NULL). The pool signal is resolved into *sig.
 */
int hoop__engine_params_check(const hoop_engine_params *p, int *sig, char *why,
                              size_t n)
{
	if (p->backend > HOOP_BACKEND_THREADS) {
		WHY("hoop_engine_params.backend %u is not HOOP_BACKEND_AUTO, "
		    "_URING or _THREADS (0..2)",
		    p->backend);
		return -EINVAL;
	}
	if (p->flags & ~(HOOP_ENGINE_SQPOLL | HOOP_ENGINE_NO_INLINE |
	                 HOOP_ENGINE_POOL_SIGNAL_TAKE)) {
		WHY("hoop_engine_params.flags %#x has bits hoop does not know",
		    p->flags);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(p->resv) / sizeof(p->resv[0]); i++)
		if (p->resv[i]) {
			WHY("hoop_engine_params.resv[%zu] is %u: reserved "
			    "fields "
			    "must be 0",
			    i, p->resv[i]);
			return -EINVAL;
		}
	unsigned sq = p->sq_entries ? p->sq_entries : HOOP_ENGINE_DEFAULT_SQ;
	if (sq > 32768) {
		WHY("hoop_engine_params.sq_entries %u is above 32768", sq);
		return -EINVAL;
	}
	unsigned cq = p->cq_entries ? p->cq_entries : 4 * sq;
	if (cq < 4 || cq > 65536 || cq < sq) {
		WHY("hoop_engine_params.cq_entries %u is outside 4..65536 or "
		    "below the SQ size %u",
		    cq, sq);
		return -EINVAL;
	}
	const char *env;
	if (p->backend == HOOP_BACKEND_AUTO && hoop__backend_env(&env) < 0) {
		WHY("HOOP_BACKEND=%s is not a backend: "
		    "use " HOOP_BACKEND_ACCEPTED " (or unset it)",
		    env);
		return -EINVAL;
	}
	int s = hoop__pool_signal_resolve(p->pool_signal, why, n);
	if (s < 0)
		return s;
	*sig = s;
	return 0;
}

#undef WHY

int hoop_engine_explain(int err, const hoop_engine_params *params, char *buf,
                        size_t len)
{
	hoop_engine_params p;
	char why[320];
	if (params)
		p = *params;
	else
		memset(&p, 0, sizeof(p));
	why[0] = '\0';
	int sig = 0;
	int r = hoop__engine_params_check(&p, &sig, why, sizeof(why));
	if (r == 0 && err == -EBUSY)
		hoop__pool_signal_busy(sig, why, sizeof(why));
	if (r == 0 &&
	    (err == -ENOSYS || err == -EPERM || err == -EACCES || err == -ENOMEM) &&
	    (p.backend == HOOP_BACKEND_URING ||
	     hoop__backend_env(NULL) == HOOP_BACKEND_URING))
		snprintf(why, sizeof(why),
		         "io_uring forced (%s) and "
		         "io_uring_setup gave %s",
		         p.backend == HOOP_BACKEND_URING ? "HOOP_BACKEND_URING"
		                                         : "HOOP_BACKEND=uring",
		         hoop_strerror(err));
	if (!why[0])
		snprintf(why, sizeof(why), "%s", hoop_strerror(err));
	return snprintf(buf, buf ? len : 0, "%s", why);
}

const char *hoop__engine_fallback_reason(int err)
{
	switch (err) {
	case -ENOSYS:
		return "thread pool: io_uring_setup gave ENOSYS (kernel "
		       "without "
		       "io_uring, or a seccomp filter)";
	case -EPERM:
		return "thread pool: io_uring_setup gave EPERM (seccomp, e.g. "
		       "Docker's default profile, or the "
		       "kernel.io_uring_disabled "
		       "sysctl)";
	case -EACCES:
		return "thread pool: io_uring_setup gave EACCES (a security "
		       "module refused it)";
	default:
		return "thread pool: io_uring_setup gave ENOMEM "
		       "(RLIMIT_MEMLOCK "
		       "too small for the ring)";
	}
}

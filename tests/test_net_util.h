/*
 * tests/test_net_util.h - pieces shared by the bufgroup and loop tests.
 */
#ifndef HOOP_TEST_NET_UTIL_H
#define HOOP_TEST_NET_UTIL_H

#include "helpers.h"

#include <errno.h>
#include <string.h>

/* An engine on `backend` (forced), or skip when io_uring is unavailable. */
static inline hoop_engine *tn_engine(int backend)
{
	hoop_engine_params p;
	memset(&p, 0, sizeof(p));
	p.backend = (uint32_t)backend;
	hoop_engine *e = NULL;
	int r = hoop_engine_create(&e, &p);
	if (r == -EPERM || r == -ENOSYS)
		SKIP("io_uring unavailable: %s", hoop_strerror(r));
	CHECK_EQ(r, 0);
	return e;
}

#endif

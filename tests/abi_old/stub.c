/*
 * tests/abi_old/stub.c - a link-time stand-in for libhoop.so.0 of release
 * 0.1 (commit 1a3fa69). Built with that release's headers and version map
 * (tests/abi_old/include, tests/abi_old/hoop_0.1.map), it gives the client
 * what linking against the old library gave a program: DT_NEEDED
 * libhoop.so.0 and references to hoop_*@HOOP_0.1. It is never loaded: the
 * test runs the client against the new libhoop.so, and every function here
 * aborts, so a client that reached the stub would fail loudly.
 */
#include <stdlib.h>

#include <hoop.h>

int hoop_engine_create(hoop_engine **out, const hoop_engine_params *params)
{
	(void)out, (void)params;
	abort();
}

void hoop_engine_destroy(hoop_engine *e)
{
	(void)e;
	abort();
}

int hoop_engine_submit(hoop_engine *e, const struct hoop_op *ops, unsigned n,
                       uint64_t *tokens, unsigned flags)
{
	(void)e, (void)ops, (void)n, (void)tokens, (void)flags;
	abort();
}

int hoop_engine_wait(hoop_engine *e, uint64_t token,
                     struct hoop_completion *out, int64_t timeout_ns)
{
	(void)e, (void)token, (void)out, (void)timeout_ns;
	abort();
}

int hoop_engine_get_metrics(hoop_engine *e, struct hoop_engine_metrics *out)
{
	(void)e, (void)out;
	abort();
}

int hoop_engine_backend(const hoop_engine *e)
{
	(void)e;
	abort();
}

void hoop_op_nop(struct hoop_op *op)
{
	(void)op;
	abort();
}

void hoop_op_read(struct hoop_op *op, int fd, void *buf, uint32_t len,
                  uint64_t off)
{
	(void)op, (void)fd, (void)buf, (void)len, (void)off;
	abort();
}

int hoop_probe_run(struct hoop_probe *out)
{
	(void)out;
	abort();
}

const char *hoop_strerror(int err)
{
	(void)err;
	abort();
}

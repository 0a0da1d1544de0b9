/*
 * bench/bench_nop.c - NOP throughput and user-space instructions per NOP,
 * hoop_ring against liburing.
 *
 *   bench_nop                 all cases
 *   bench_nop throughput      NOPs/s at batch 1, 32, 256
 *   bench_nop instr           instructions per NOP at batch 32 (callgrind)
 *   bench_nop --loop LIB BATCH OPS
 *                             one untimed loop (what callgrind runs)
 *
 * One JSON line per case on stdout; spreads and notes on stderr.
 */
#include "bench_ring.h"

#define NOP_RING_ENTRIES 256

struct nop_ctx {
	hoop_ring *h;
	struct io_uring *u;
	unsigned batch;
};

static void nop_run(void *p, int lib, long ops)
{
	struct nop_ctx *c = p;
	if (lib == 0)
		nop_loop_hoop(c->h, c->batch, ops);
	else
		nop_loop_liburing(c->u, c->batch, ops);
}

static void throughput(void)
{
	static const unsigned batches[] = {1, 32, 256};
	struct nop_ctx c = {bench_hoop_ring(NOP_RING_ENTRIES),
	                    bench_liburing_ring(NOP_RING_ENTRIES), 0};
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		char name[64];
		c.batch = batches[i];
		snprintf(name, sizeof(name), "nop_batch%u", c.batch);
		bench_case(name, nop_run, &c, c.batch);
	}
	hoop_ring_destroy(c.h);
	bench_liburing_free(c.u);
}

/* Instructions inside nop_loop_<lib> for `ops` NOPs, or -1. */
static long long loop_ir(const char *self, const char *lib, unsigned batch, long ops)
{
	char fn[64], b[16], n[32];
	snprintf(fn, sizeof(fn), "nop_loop_%s*", lib);
	snprintf(b, sizeof(b), "%u", batch);
	snprintf(n, sizeof(n), "%ld", ops);
	char *args[] = {"--loop", (char *)lib, b, n, NULL};
	return bench_callgrind_ir(self, fn, args);
}

/*
 * Instructions per NOP at batch 32: callgrind counts only what runs inside
 * the loop function, and the difference between two op counts removes what
 * is paid once (first-call PLT resolution, cold paths), leaving the steady
 * per-op cost. Deterministic: the same binary gives the same numbers.
 */
static int instr(void)
{
	const unsigned batch = 32;
	const long n1 = 32L * 1000, n2 = 32L * 4000;
	char self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		BENCH_DIE("readlink /proc/self/exe");
	self[len] = '\0';

	double per[2];
	const char *libs[2] = {"hoop", "liburing"};
	for (int l = 0; l < 2; l++) {
		long long a = loop_ir(self, libs[l], batch, n1);
		long long b = loop_ir(self, libs[l], batch, n2);
		if (a < 0 || b < 0) {
			fprintf(stderr,
			        "bench: skipping nop_batch32_instr: "
			        "valgrind --tool=callgrind failed or is "
			        "not installed\n");
			return 0;
		}
		per[l] = (double)(b - a) / (double)(n2 - n1);
		fprintf(stderr, "  %-22s %-8s Ir %lld (%ld ops), %lld (%ld ops)\n",
		        "nop_batch32_instr", libs[l], a, n1, b, n2);
	}
	/* A cost: ratio = liburing / hoop, so higher is better for hoop. */
	bench_emit("nop_batch32_instr", "instr/op", per[0], per[1],
	           per[1] / per[0]);
	return 0;
}

static int loop_once(const char *lib, const char *batch_s, const char *ops_s)
{
	unsigned batch = (unsigned)atoi(batch_s);
	long ops = atol(ops_s);
	if (batch == 0 || batch > BR_MAX_BATCH || ops <= 0)
		BENCH_DIE("--loop: bad batch or ops");
	if (strcmp(lib, "hoop") == 0) {
		hoop_ring *r = bench_hoop_ring(NOP_RING_ENTRIES);
		nop_loop_hoop(r, batch, ops);
		hoop_ring_destroy(r);
	} else if (strcmp(lib, "liburing") == 0) {
		struct io_uring *r = bench_liburing_ring(NOP_RING_ENTRIES);
		nop_loop_liburing(r, batch, ops);
		bench_liburing_free(r);
	} else {
		BENCH_DIE("--loop: library is hoop or liburing");
	}
	return 0;
}

int main(int argc, char **argv)
{
	bench_help(argc, argv, "[throughput] [instr]");
	if (argc == 5 && strcmp(argv[1], "--loop") == 0)
		return loop_once(argv[2], argv[3], argv[4]);
	int do_tp = argc < 2, do_instr = argc < 2;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "throughput") == 0)
			do_tp = 1;
		else if (strcmp(argv[i], "instr") == 0)
			do_instr = 1;
		else
			BENCH_DIE("usage: %s [throughput] [instr]", argv[0]);
	}
	if (do_tp)
		throughput();
	if (do_instr)
		instr();
	return 0;
}

/*
 * bench/bench_engine_nop.c - what the engine costs per operation over the
 * single-owner ring, with NOPs (which complete during the submit, so only
 * the software path is measured), all from one thread:
 *
 *   batch    NOPs in batches of 32: hoop_engine_submit of 32 ops then 32
 *            hoop_engine_wait calls (engine), hoop_queue_add of 32 then
 *            hoop_queue_wait min 32 (queue), against bench_loops.h's NOP
 *            loop on a hoop_ring (ring). ns/op; ratio = ring / engine.
 *   latency  one NOP submitted and waited for at a time, each timed: p50
 *            and p99 in ns, engine (submit 1 + wait on its token) against
 *            the ring (get SQE, prep, submit, wait CQE, seen); ratio =
 *            ring / engine.
 *
 *   instr    user-space instructions per NOP at batch 32 (callgrind,
 *            counting only inside each loop function, as bench_nop does):
 *            engine, queue and ring; ratio = ring / engine.
 *
 *   bench_engine_nop [batch] [latency] [instr]     (default: all three)
 *            nop_one: the same for one-op round trips (engine1: submit
 *            1 + wait; ring1: the ring's get, submit, wait, seen).
 *
 *   bench_engine_nop --loop engine|queue|ring|engine1|ring1 OPS
 *            one untimed loop
 */
#include "bench_engine.h"
#include "bench_ring.h"

#define BATCH 32u
#define LAT_SAMPLES 20000

enum { IMPL_ENGINE, IMPL_QUEUE, IMPL_RING, NIMPL };
/* The one-op round trips, for --loop and instr only. */
enum { IMPL_ENGINE1 = NIMPL, IMPL_RING1, NLOOPS };

struct nop_ctx {
	hoop_engine *e;
	hoop_queue *q;
	hoop_ring *ring;
	long ops;
	/* latency */
	uint64_t *samples;
	double p99[NIMPL][BE_MAX_REPEATS];
	int round[NIMPL];
};

BENCH_NOINLINE static void engine_batch_loop(hoop_engine *e, long ops)
{
	struct hoop_op op[BATCH];
	uint64_t tok[BATCH];
	struct hoop_completion c;
	for (unsigned i = 0; i < BATCH; i++) {
		hoop_op_nop(&op[i]);
		op[i].user_data = i;
	}
	for (long done = 0; done < ops; done += BATCH) {
		int r = hoop_engine_submit(e, op, BATCH, tok, 0);
		if (r != (int)BATCH)
			BENCH_DIE("hoop_engine_submit: %d", r);
		for (unsigned i = 0; i < BATCH; i++) {
			r = hoop_engine_wait(e, tok[i], &c, -1);
			if (r != 0 || c.res != 0 || c.user_data != i)
				BENCH_DIE("hoop_engine_wait: %d res %d", r, c.res);
		}
	}
}

BENCH_NOINLINE static void queue_batch_loop(hoop_queue *q, long ops)
{
	struct hoop_op op[BATCH];
	struct hoop_completion c[BATCH];
	for (unsigned i = 0; i < BATCH; i++)
		hoop_op_nop(&op[i]);
	for (long done = 0; done < ops; done += BATCH) {
		int r = hoop_queue_add(q, op, BATCH, NULL, 0);
		if (r != (int)BATCH)
			BENCH_DIE("hoop_queue_add: %d", r);
		r = hoop_queue_wait(q, c, BATCH, BATCH, -1);
		if (r != (int)BATCH)
			BENCH_DIE("hoop_queue_wait: %d", r);
		for (unsigned i = 0; i < BATCH; i++)
			if (c[i].res != 0)
				BENCH_DIE("queue nop: res %d", c[i].res);
	}
}

static void batch_loop(struct nop_ctx *c, int impl, long ops)
{
	if (impl == IMPL_ENGINE)
		engine_batch_loop(c->e, ops);
	else if (impl == IMPL_QUEUE)
		queue_batch_loop(c->q, ops);
	else
		nop_loop_hoop(c->ring, BATCH, ops);
}

static void lat_engine_one(hoop_engine *e, const struct hoop_op *op);
static void lat_ring_one(hoop_ring *ring);

/* ops one-op round trips, untimed (callgrind counts inside). */
BENCH_NOINLINE static void engine_one_loop(hoop_engine *e, long ops)
{
	struct hoop_op op;
	hoop_op_nop(&op);
	for (long i = 0; i < ops; i++)
		lat_engine_one(e, &op);
}

BENCH_NOINLINE static void ring_one_loop(hoop_ring *ring, long ops)
{
	for (long i = 0; i < ops; i++)
		lat_ring_one(ring);
}

/* One run of c->ops NOPs; returns ns per NOP. */
static double batch_run(void *p, int impl)
{
	struct nop_ctx *c = p;
	double t0 = bench_now();
	batch_loop(c, impl, c->ops);
	return (bench_now() - t0) * 1e9 / (double)c->ops;
}

static void batch_case(struct nop_ctx *c, int reps)
{
	/* Calibrate on the engine so one run takes about bench_seconds(). */
	long ops = BATCH * 64;
	double t;
	for (;;) {
		double t0 = bench_now();
		batch_loop(c, IMPL_ENGINE, ops);
		if ((t = bench_now() - t0) >= 0.02)
			break;
		ops *= 4;
	}
	ops = (long)((double)ops * be_seconds(1.0) / t) / BATCH * BATCH;
	c->ops = ops < (long)BATCH ? (long)BATCH : ops;

	double v[NIMPL][BE_MAX_REPEATS];
	be_alternate(batch_run, c, NIMPL, reps, v, NULL, NULL);
	be_emit_pair("nop_batch32_engine_vs_ring", 0, "ns/op", v[IMPL_ENGINE],
	             "hoop_ring", v[IMPL_RING], reps, 1);
	be_emit_pair("nop_batch32_queue_vs_ring", 0, "ns/op", v[IMPL_QUEUE],
	             "hoop_ring", v[IMPL_RING], reps, 1);
}

static void lat_engine_one(hoop_engine *e, const struct hoop_op *op)
{
	uint64_t tok;
	struct hoop_completion c;
	int r = hoop_engine_submit(e, op, 1, &tok, 0);
	if (r != 1)
		BENCH_DIE("hoop_engine_submit: %d", r);
	r = hoop_engine_wait(e, tok, &c, -1);
	if (r != 0 || c.res != 0)
		BENCH_DIE("hoop_engine_wait: %d res %d", r, c.res);
}

static void lat_ring_one(hoop_ring *ring)
{
	struct hoop_cqe *cqe;
	struct hoop_sqe *sqe = hoop_ring_get_sqe(ring);
	if (!sqe)
		BENCH_DIE("ring: SQ full");
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 7);
	int r = hoop_ring_submit(ring);
	if (r != 1)
		BENCH_DIE("hoop_ring_submit: %d", r);
	r = hoop_ring_wait_cqe(ring, &cqe);
	if (r != 0 || cqe->res != 0 || cqe->user_data != 7)
		BENCH_DIE("hoop_ring_wait_cqe: %d", r);
	hoop_ring_cqe_seen(ring, cqe);
}

/* LAT_SAMPLES timed round trips; returns p50 ns and records p99. */
static double lat_run(void *p, int impl)
{
	struct nop_ctx *c = p;
	struct hoop_op op;
	hoop_op_nop(&op);
	for (int i = 0; i < LAT_SAMPLES; i++) {
		uint64_t t0 = be_now_ns();
		if (impl == IMPL_ENGINE)
			lat_engine_one(c->e, &op);
		else
			lat_ring_one(c->ring);
		c->samples[i] = be_now_ns() - t0;
	}
	double p50 = be_percentile(c->samples, LAT_SAMPLES, 50.0);
	double p99 = be_percentile(c->samples, LAT_SAMPLES, 99.0);
	int k = c->round[impl]++ - 1; /* the first run is the warm-up */
	if (k >= 0)
		c->p99[impl][k] = p99;
	return p50;
}

/* Adapts lat_run to two implementations: 0 engine, 1 ring. */
static double lat_run2(void *p, int i)
{
	return lat_run(p, i == 0 ? IMPL_ENGINE : IMPL_RING);
}

static void latency_case(struct nop_ctx *c, int reps)
{
	double v[2][BE_MAX_REPEATS];
	c->samples = malloc(LAT_SAMPLES * sizeof(*c->samples));
	if (!c->samples)
		BENCH_DIE("out of memory");
	memset(c->round, 0, sizeof(c->round));
	be_alternate(lat_run2, c, 2, reps, v, NULL, NULL);
	be_emit_pair("lat_nop_p50", 0, "ns", v[0], "hoop_ring", v[1], reps, 1);
	be_emit_pair("lat_nop_p99", 0, "ns", c->p99[IMPL_ENGINE], "hoop_ring",
	             c->p99[IMPL_RING], reps, 1);
	free(c->samples);
}

static const char *const loop_names[NLOOPS] = {"engine", "queue", "ring",
                                               "engine1", "ring1"};
static const char *const loop_fns[NLOOPS] = {"engine_batch_loop",
                                             "queue_batch_loop", "nop_loop_hoop*",
                                             "engine_one_loop", "ring_one_loop"};

/*
 * Instructions per NOP: callgrind counts only inside the loop function (on
 * the calling thread; the engine's own thread is not counted, and it sleeps
 * here since every NOP is reaped by the caller), and the difference between
 * two op counts removes one-time costs.
 */
static void instr_case(void)
{
	const long n1 = BATCH * 1000, n2 = BATCH * 4000;
	char self[4096], a1[32], a2[32];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		BENCH_DIE("readlink /proc/self/exe");
	self[len] = '\0';
	snprintf(a1, sizeof(a1), "%ld", n1);
	snprintf(a2, sizeof(a2), "%ld", n2);
	double per[NLOOPS];
	for (int i = 0; i < NLOOPS; i++) {
		char *args1[] = {"--loop", (char *)loop_names[i], a1, NULL};
		char *args2[] = {"--loop", (char *)loop_names[i], a2, NULL};
		long long x = bench_callgrind_ir(self, loop_fns[i], args1);
		long long y = bench_callgrind_ir(self, loop_fns[i], args2);
		if (x < 0 || y < 0) {
			fprintf(stderr,
			        "bench: skipping nop_batch32 instructions: "
			        "valgrind --tool=callgrind failed or is "
			        "not installed\n");
			return;
		}
		per[i] = (double)(y - x) / (double)(n2 - n1);
		fprintf(stderr, "  %s_instr %-7s %.1f instr/op\n",
		        i < NIMPL ? "nop_batch32" : "nop_one", loop_names[i],
		        per[i]);
	}
	be_emit("nop_batch32_engine_instr", "instr/op", per[IMPL_ENGINE],
	        "hoop_ring", per[IMPL_RING], per[IMPL_RING] / per[IMPL_ENGINE]);
	be_emit("nop_batch32_queue_instr", "instr/op", per[IMPL_QUEUE],
	        "hoop_ring", per[IMPL_RING], per[IMPL_RING] / per[IMPL_QUEUE]);
	be_emit("nop_one_engine_instr", "instr/op", per[IMPL_ENGINE1], "hoop_ring",
	        per[IMPL_RING1], per[IMPL_RING1] / per[IMPL_ENGINE1]);
}

static int wants(int argc, char **argv, const char *what)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], what) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	static const char usage[] = "[batch] [latency] [instr]";
	bench_help(argc, argv, usage);
	if (!(argc == 4 && strcmp(argv[1], "--loop") == 0))
		for (int i = 1; i < argc; i++)
			if (strcmp(argv[i], "batch") &&
			    strcmp(argv[i], "latency") && strcmp(argv[i], "instr"))
				BENCH_DIE("unknown case '%s'\nusage: %s %s",
				          argv[i], argv[0], usage);
	struct nop_ctx c;
	memset(&c, 0, sizeof(c));
	c.e = be_engine(NULL);
	c.ring = bench_hoop_ring(256);
	int r = hoop_queue_create(&c.q, c.e, 256);
	if (r < 0)
		BENCH_DIE("hoop_queue_create: %s", hoop_strerror(r));
	if (argc == 4 && strcmp(argv[1], "--loop") == 0) {
		long ops = atol(argv[3]) / BATCH * BATCH;
		for (int i = 0; i < NLOOPS; i++) {
			if (strcmp(argv[2], loop_names[i]) != 0)
				continue;
			if (i == IMPL_ENGINE1)
				engine_one_loop(c.e, ops);
			else if (i == IMPL_RING1)
				ring_one_loop(c.ring, ops);
			else
				batch_loop(&c, i, ops);
		}
	} else {
		int reps = be_repeats();
		if (wants(argc, argv, "batch"))
			batch_case(&c, reps);
		if (wants(argc, argv, "latency"))
			latency_case(&c, reps);
		if (wants(argc, argv, "instr"))
			instr_case();
	}
	hoop_queue_destroy(c.q);
	hoop_engine_destroy(c.e);
	hoop_ring_destroy(c.ring);
	return 0;
}

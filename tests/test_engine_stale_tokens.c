/*
 * Stale tokens against live traffic: owner threads submit NOPs, cached file
 * reads and short timeouts (delivered by waiting or to a queue) and collect
 * or release each token, then hand it to hammer threads that keep calling
 * hoop_engine_release, hoop_engine_wait and hoop_engine_cancel on it while
 * its slot is freed and reused. Every stale release and wait must answer
 * -ENOENT (a released token included, at every moment until and after its
 * completion frees the slot); a stale cancel finds nothing (-ENOENT) once
 * the op has been collected. Every op's result reaches its owner exactly
 * once, with its own tag; at the end nothing is in flight, nothing was
 * unknown, and destroy returns. Bounded to about 2 s of traffic.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OWNERS 2
#define HAMMERS 2
#define RUN_NS 2000000000ll
#define STALE 256 /* recent stale tokens, a ring shared by all threads */
#define FILE_SIZE 65536

static hoop_engine *e;
static hoop_queue *qs[OWNERS];
static int fd;
static _Atomic int stop;
static _Atomic uint64_t stale[STALE];     /* token << 0, kind in stale_kind */
static _Atomic uint8_t stale_kind[STALE]; /* 1 collected, 2 released */
static _Atomic unsigned stale_next;
static _Atomic unsigned long bad_release, bad_wait, bad_cancel, hammered;
static _Atomic unsigned long collected_ops, released_ops, queued_ops;

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Publish a token its owner is done with. The token's own release/wait
 * returned before this, so from here on it is stale. */
static void publish(uint64_t tok, uint8_t kind)
{
	unsigned k = atomic_fetch_add(&stale_next, 1) % STALE;
	atomic_store(&stale_kind[k], 0);
	atomic_store(&stale[k], tok);
	atomic_store(&stale_kind[k], kind);
}

struct owner {
	int id;
	unsigned char buf[8][512];
	struct hoop_timespec ts[8];
};

/* Periods for timeouts that will be released: their memory must outlive
 * them, so they come from this table, never written. */
static const struct hoop_timespec rel_ts[4] = {
        {0, 0}, {0, 1000}, {0, 7000}, {0, 20000}};

/* Build op j of a call: a NOP, a read of the cached file or a timeout of
 * 0-20 us, tagged (owner, serial, index). An op to be released (its
 * buffers are the kernel's until it ends, unknown to us) is a NOP or a
 * timeout on rel_ts. */
static void build(struct owner *o, struct hoop_op *op, unsigned j, uint64_t tag,
                  bool release, uint32_t *seed)
{
	switch (rnd(seed) % 3) {
	case 0:
		hoop_op_nop(op);
		break;
	case 1:
		if (!release) {
			hoop_op_read(op, fd, o->buf[j], 512,
			             (rnd(seed) % 128) * 512);
			break;
		}
		/* fall through */
	default:
		if (release) {
			hoop_op_timeout(op, &rel_ts[rnd(seed) % 4], 0, 0);
			break;
		}
		o->ts[j].tv_sec = 0;
		o->ts[j].tv_nsec = rnd(seed) % 20000;
		hoop_op_timeout(op, &o->ts[j], 0, 0);
		break;
	}
	op->user_data = tag;
}

static int res_ok(const struct hoop_op *op, int32_t res)
{
	switch (op->opcode) {
	case HOOP_OP_NOP:
		return res == 0;
	case HOOP_OP_READ:
		return res == 512;
	default:
		return res == -ETIME;
	}
}

static void *owner_main(void *arg)
{
	struct owner *o = arg;
	uint32_t seed = 0x9e3779b9u * (uint32_t)(o->id + 1);
	uint64_t serial = 0;
	while (!atomic_load(&stop)) {
		unsigned n = 1 + rnd(&seed) % 4;
		struct hoop_op ops[8];
		uint64_t tok[8];
		bool queued = rnd(&seed) % 4 == 0, rel[8];
		for (unsigned j = 0; j < n; j++) {
			rel[j] = !queued && rnd(&seed) % 3 == 0;
			build(o, &ops[j], j,
			      ((uint64_t)o->id << 56) | (serial << 8) | j,
			      rel[j], &seed);
		}
		serial++;
		if (queued) {
			/* Through the queue: each tag exactly once. */
			int r = hoop_queue_add(qs[o->id], ops, n, tok, 0);
			if (r != (int)n) {
				fprintf(stderr, "queue_add: %d\n", r);
				exit(T_FAIL);
			}
			unsigned seen = 0;
			while (seen != (1u << n) - 1) {
				struct hoop_completion c[8];
				int k = hoop_queue_wait(qs[o->id], c, 8, 1,
				                        5000000000ll);
				if (k <= 0) {
					fprintf(stderr, "queue_wait: %d\n", k);
					exit(T_FAIL);
				}
				for (int i = 0; i < k; i++) {
					unsigned j = (unsigned)(c[i].user_data &
					                        0xff);
					if (j >= n || (seen & (1u << j)) ||
					    c[i].token != tok[j] ||
					    c[i].user_data != ops[j].user_data ||
					    !res_ok(&ops[j], c[i].res)) {
						fprintf(stderr,
						        "queue: bad or "
						        "repeated completion "
						        "%#llx res %d\n",
						        (unsigned long long)c[i].user_data,
						        c[i].res);
						exit(T_FAIL);
					}
					seen |= 1u << j;
					publish(c[i].token, 1);
				}
			}
			atomic_fetch_add(&queued_ops, n);
			continue;
		}
		int r = hoop_engine_submit(e, ops, n, tok, 0);
		if (r != (int)n) {
			fprintf(stderr, "submit: %d\n", r);
			exit(T_FAIL);
		}
		for (unsigned j = 0; j < n; j++) {
			if (rel[j]) {
				/* Released, often while still in flight. */
				int rr = hoop_engine_release(e, tok[j]);
				if (rr != 0) {
					fprintf(stderr,
					        "release of a live token: "
					        "%d\n",
					        rr);
					exit(T_FAIL);
				}
				atomic_fetch_add(&released_ops, 1);
				publish(tok[j], 2);
				continue;
			}
			struct hoop_completion c;
			int w = hoop_engine_wait(e, tok[j], &c, 5000000000ll);
			if (w != 0 || c.token != tok[j] ||
			    c.user_data != ops[j].user_data ||
			    !res_ok(&ops[j], c.res)) {
				fprintf(stderr,
				        "wait: %d, tag %#llx (want %#llx), "
				        "res %d\n",
				        w, (unsigned long long)c.user_data,
				        (unsigned long long)ops[j].user_data,
				        c.res);
				exit(T_FAIL);
			}
			atomic_fetch_add(&collected_ops, 1);
			publish(tok[j], 1);
		}
	}
	return NULL;
}

static void *hammer_main(void *arg)
{
	uint32_t seed = 0x1234567u + (uint32_t)(uintptr_t)arg;
	while (!atomic_load(&stop)) {
		/* Mostly the newest ones: a released op's completion (the
		 * moment its slot is freed) comes right after its release. */
		unsigned k = rnd(&seed) % STALE;
		if (k % 4)
			k = (atomic_load(&stale_next) - 1 - k % 4) % STALE;
		uint8_t kind = atomic_load(&stale_kind[k]);
		uint64_t tok = atomic_load(&stale[k]);
		if (!kind || !tok || atomic_load(&stale_kind[k]) != kind ||
		    atomic_load(&stale[k]) != tok)
			continue;
		int r = hoop_engine_release(e, tok);
		if (r != -ENOENT) {
			if (atomic_fetch_add(&bad_release, 1) < 5)
				fprintf(stderr,
				        "stale release of %#llx (%s): "
				        "%d\n",
				        (unsigned long long)tok,
				        kind == 1 ? "collected" : "released", r);
		}
		struct hoop_completion c;
		r = hoop_engine_wait(e, tok, &c, 0);
		if (r != -ENOENT) {
			if (atomic_fetch_add(&bad_wait, 1) < 5)
				fprintf(stderr,
				        "stale wait on %#llx (%s): %d "
				        "(tag %#llx)\n",
				        (unsigned long long)tok,
				        kind == 1 ? "collected" : "released", r,
				        r == 0 ? (unsigned long long)c.user_data
				               : 0ull);
		}
		if (rnd(&seed) % 16 == 0) {
			/* A released op may still be in flight: cancelling
			 * it is allowed. A collected one is gone. */
			r = hoop_engine_cancel(e, tok);
			if (kind == 1 ? r != -ENOENT : (r != 0 && r != -ENOENT)) {
				if (atomic_fetch_add(&bad_cancel, 1) < 5)
					fprintf(stderr,
					        "stale cancel of %#llx "
					        "(%s): %d\n",
					        (unsigned long long)tok,
					        kind == 1 ? "collected" : "released",
					        r);
			}
		}
		atomic_fetch_add(&hammered, 1);
	}
	return NULL;
}

int main(void)
{
	hoop_engine_params p;
	memset(&p, 0, sizeof(p));
	p.max_inflight = 64; /* few slots: reused all the time */
	e = t_engine(&p);
	for (int i = 0; i < OWNERS; i++)
		CHECK_EQ(hoop_queue_create(&qs[i], e, 8), 0);
	fd = t_tmpfile(FILE_SIZE, NULL);
	CHECK(fd >= 0);
	/* A watchdog: a lost slot makes destroy hang. */
	alarm(60);

	pthread_t ot[OWNERS], ht[HAMMERS];
	static struct owner owners[OWNERS];
	for (int i = 0; i < OWNERS; i++) {
		owners[i].id = i;
		CHECK_EQ(pthread_create(&ot[i], NULL, owner_main, &owners[i]), 0);
	}
	for (int i = 0; i < HAMMERS; i++)
		CHECK_EQ(pthread_create(&ht[i], NULL, hammer_main,
		                        (void *)(uintptr_t)i),
		         0);
	uint64_t end = t_now_ns() + RUN_NS;
	while (t_now_ns() < end && !atomic_load(&bad_release) &&
	       !atomic_load(&bad_wait) && !atomic_load(&bad_cancel)) {
		struct timespec d = {0, 10000000};
		nanosleep(&d, NULL);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < OWNERS; i++)
		pthread_join(ot[i], NULL);
	for (int i = 0; i < HAMMERS; i++)
		pthread_join(ht[i], NULL);
	fprintf(stderr,
	        "collected %lu, released %lu, queued %lu, stale "
	        "probes %lu\n",
	        atomic_load(&collected_ops), atomic_load(&released_ops),
	        atomic_load(&queued_ops), atomic_load(&hammered));
	CHECK_EQ(atomic_load(&bad_release), 0);
	CHECK_EQ(atomic_load(&bad_wait), 0);
	CHECK_EQ(atomic_load(&bad_cancel), 0);
	CHECK(atomic_load(&hammered) > 0);
	CHECK(atomic_load(&released_ops) > 0);

	/* Released ops finish on their own (timeouts of at most 20 us). */
	struct hoop_engine_metrics m = t_engine_settle(e);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.completed, m.submitted);
	CHECK_EQ(m.submitted, atomic_load(&collected_ops) +
	                              atomic_load(&released_ops) +
	                              atomic_load(&queued_ops));
	CHECK_EQ(m.unknown_cqes, 0);
	for (int i = 0; i < OWNERS; i++) {
		CHECK_EQ(hoop_queue_outstanding(qs[i]), 0);
		hoop_queue_destroy(qs[i]);
	}
	hoop_engine_destroy(e);
	alarm(0);
	close(fd);
	return T_PASS;
}

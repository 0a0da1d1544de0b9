/*
 * bench/bench_loops.h - the measured loops, written once and instantiated
 * once per library by bench_ring.h. No include guard: it is included twice.
 *
 * The including file defines the adapter macros:
 *   BR_NAME(x)       the instance's function name (x_hoop, x_liburing)
 *   BR_RING          ring type;  BR_CQE  completion type
 *   BR_GET_SQE(r)    next free SQE or NULL
 *   BR_PREP_NOP(s), BR_PREP_READ(s, fd, buf, len, off),
 *   BR_PREP_READ_FIXED(s, fd, buf, len, off, buf_index)
 *   BR_SET_DATA(s, u64), BR_SET_FLAGS(s, flags), BR_FIXED_FILE
 *   BR_SUBMIT(r), BR_PEEK_BATCH(r, cqes, n), BR_CQ_ADVANCE(r, n),
 *   BR_WAIT_CQE(r, &cqe)
 *
 * Both instances are the same C code, so any difference in cost comes from
 * what the library does behind the adapters (and whether it can be
 * inlined). The loops are noinline so that callgrind can count exactly the
 * instructions executed inside them.
 */

#define BR_READ_SIZE 4096u

/*
 * `ops` NOPs in batches of `batch`: get and prepare `batch` SQEs, submit
 * them, reap their completions (NOPs complete during the submit, so the
 * wait is normally not taken). Aborts on any error: a bench that silently
 * fails is faster than one that works.
 */
BENCH_NOINLINE static void BR_NAME(nop_loop)(BR_RING *r, unsigned batch, long ops)
{
	BR_CQE *cqes[BR_MAX_BATCH];
	for (long done = 0; done < ops; done += batch) {
		for (unsigned i = 0; i < batch; i++) {
			void *sqe = BR_GET_SQE(r);
			if (!sqe)
				BENCH_DIE("nop: SQ full");
			BR_PREP_NOP(sqe);
			BR_SET_DATA(sqe, i);
		}
		int ret = BR_SUBMIT(r);
		if (ret != (int)batch)
			BENCH_DIE("nop: submit returned %d", ret);
		unsigned got = 0;
		while (got < batch) {
			unsigned n = BR_PEEK_BATCH(r, cqes, BR_MAX_BATCH);
			if (n == 0) {
				BR_CQE *c;
				ret = BR_WAIT_CQE(r, &c);
				if (ret < 0)
					BENCH_DIE("nop: wait %d", ret);
				continue;
			}
			for (unsigned i = 0; i < n; i++) {
				if (cqes[i]->res != 0)
					BENCH_DIE("nop: res %d", cqes[i]->res);
			}
			BR_CQ_ADVANCE(r, n);
			got += n;
		}
	}
}

/* Queue one 4 KiB read at a random aligned offset into buffer `slot`. */
static inline void BR_NAME(queue_read)(BR_RING *r, int fd, int fixed,
                                       char *bufs, unsigned slot,
                                       uint64_t nblocks, uint64_t *seed)
{
	void *sqe = BR_GET_SQE(r);
	if (!sqe)
		BENCH_DIE("read: SQ full");
	uint64_t off = (bench_rand(seed) % nblocks) * BR_READ_SIZE;
	char *buf = bufs + (size_t)slot * BR_READ_SIZE;
	if (fixed) {
		BR_PREP_READ_FIXED(sqe, 0, buf, BR_READ_SIZE, off, (int)slot);
		BR_SET_FLAGS(sqe, BR_FIXED_FILE);
	} else {
		BR_PREP_READ(sqe, fd, buf, BR_READ_SIZE, off);
	}
	BR_SET_DATA(sqe, slot);
}

/*
 * `ops` random 4 KiB reads keeping `qd` in flight. With `fixed`, the file
 * is registered at index 0 and buffer slot i is registered buffer i. Reads
 * from the page cache complete during the submit, so in practice each
 * round submits what the previous round completed.
 */
BENCH_NOINLINE static void BR_NAME(read_loop)(BR_RING *r, int fd, int fixed,
                                              char *bufs, unsigned qd, long ops,
                                              uint64_t nblocks, uint64_t seed)
{
	BR_CQE *cqes[BR_MAX_BATCH];
	long issued = 0, done = 0;
	unsigned queued = 0;

	for (unsigned s = 0; s < qd && issued < ops; s++, issued++, queued++)
		BR_NAME(queue_read)(r, fd, fixed, bufs, s, nblocks, &seed);
	while (done < ops) {
		if (queued) {
			int ret = BR_SUBMIT(r);
			if (ret != (int)queued)
				BENCH_DIE("read: submit returned %d", ret);
			queued = 0;
		}
		unsigned n = BR_PEEK_BATCH(r, cqes, BR_MAX_BATCH);
		if (n == 0) {
			BR_CQE *c;
			int ret = BR_WAIT_CQE(r, &c);
			if (ret < 0)
				BENCH_DIE("read: wait %d", ret);
			continue;
		}
		for (unsigned i = 0; i < n; i++) {
			if (cqes[i]->res != (int)BR_READ_SIZE)
				BENCH_DIE("read: res %d", cqes[i]->res);
			unsigned slot = (unsigned)cqes[i]->user_data;
			if (issued < ops) {
				BR_NAME(queue_read)
				(r, fd, fixed, bufs, slot, nblocks, &seed);
				issued++;
				queued++;
			}
		}
		BR_CQ_ADVANCE(r, n);
		done += n;
	}
}

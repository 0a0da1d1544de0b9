/*
 * hoop.asyncio's C helpers, compiled into hoop._hoop_cffi beside the core
 * (hoop_build.py appends this file to the module's source). They do the
 * per-operation work of a loop iteration so that Python runs once per batch.
 */
#include <string.h>

#include "hoop.h"

/*
 * The fd of e's ring (-1 on the thread pool): an event loop that watches it
 * besides its queue's eventfd learns of completions as soon as the kernel
 * posts them and reaps them itself (hoop_queue_wait reaps when its queue is
 * empty), instead of waiting for the engine thread to wake, pass them on and
 * signal the eventfd (two cross-CPU wakes per batch).
 */
static int hoopy_aio_ring_fd(hoop_engine *e)
{
	int fd = e ? hoop_engine_ring_fd(e) : -1;
	return fd < 0 ? -1 : fd;
}

/*
 * Take up to `max` completions of q without blocking (reaping the ring if
 * the queue is empty), as hoop_queue_wait(q, out, max, 1, 0). For each one
 * that carries a buffer of group g (HOOP_CQE_F_BUFFER): copy its res bytes
 * to `arena` (which holds count * size bytes of g: a call never sees more
 * buffers than the group has), put their offset in the completion's token
 * field (all ones if they did not fit, which cannot happen while arena_cap
 * is count * size) and give the buffer back to the kernel at once. Returns the number
 * taken, 0 if none, or -errno.
 */
static int hoopy_aio_take(hoop_queue *q, struct hoop_completion *out, unsigned max,
                          hoop_bufgroup *g, char *arena, size_t arena_cap)
{
	int n = hoop_queue_wait(q, out, max, 1, 0);
	if (n <= 0)
		return n == -ETIME ? 0 : n;
	if (!g)
		return n;
	size_t pos = 0;
	for (int i = 0; i < n; i++) {
		uint32_t fl = out[i].flags;
		if (!(fl & HOOP_CQE_F_BUFFER))
			continue;
		unsigned bid = fl >> HOOP_CQE_BUFFER_SHIFT;
		int32_t res = out[i].res;
		out[i].token = pos;
		if (res > 0 && pos + (size_t)res > arena_cap) {
			out[i].token = UINT64_MAX;
		} else if (res > 0) {
			/* Tell the group the buffer is out (so giving it back
			 * needs no question to the kernel), and copy it. */
			struct iovec iov[1];
			if (hoop_bufgroup_bundle(g, bid, res, iov, NULL, 1) == 1) {
				memcpy(arena + pos, iov[0].iov_base,
				       iov[0].iov_len);
				pos += iov[0].iov_len;
			} else {
				void *b = hoop_bufgroup_buf(g, bid);
				size_t len = (size_t)res;
				if (len > hoop_bufgroup_size(g))
					len = hoop_bufgroup_size(g);
				if (b)
					memcpy(arena + pos, b, len);
				pos += len;
			}
		}
		hoop_bufgroup_return(g, bid);
	}
	return n;
}

/* Op i reads lens[i] bytes of fds[i] at offs[i] (-1: the file position)
 * into `base`, after the bytes of op i-1; its user_data is ud0 + i. */
static void hoopy_aio_fill_reads(struct hoop_op *ops, unsigned n,
                                 const int32_t *fds, char *base,
                                 const uint32_t *lens, const int64_t *offs,
                                 uint64_t ud0)
{
	size_t pos = 0;
	for (unsigned i = 0; i < n; i++) {
		hoop_op_read(&ops[i], fds[i], base + pos, lens[i],
		             (uint64_t)offs[i]);
		ops[i].user_data = ud0 + i;
		pos += lens[i];
	}
}

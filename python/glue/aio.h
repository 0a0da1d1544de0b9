/* hoop.asyncio's C helpers (python/glue/aio.c): the declarations cffi
 * reads (hoop_build.py adds them to the cdef). */
int hoopy_aio_ring_fd(hoop_engine *e);
int hoopy_aio_take(hoop_queue *q, struct hoop_completion *out, unsigned max);
void hoopy_aio_fill_reads(struct hoop_op *ops, unsigned n, const int32_t *fds,
                          char *base, const uint32_t *lens, const int64_t *offs,
                          uint64_t ud0);

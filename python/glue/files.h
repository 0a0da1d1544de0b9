/* The C helpers of Engine's batch calls and read_files
 * (python/glue/files.c): the declarations cffi reads (hoop_build.py adds
 * them to the cdef). */
void hoopy_fill_rw_ptrs(struct hoop_op *ops, unsigned n, int write, int fd,
                        char *const *bufs, const uint32_t *lens,
                        const uint64_t *offs);
int hoopy_first_error(const int32_t *res, unsigned n);
size_t hoopy_split_paths(const char *blob, size_t len, const char **paths,
                         size_t n);
size_t hoopy_files_layout(const struct hoop_file_data *out, size_t n,
                          uint64_t *offs, int64_t *lens, uint64_t *lo_hi);
unsigned hoopy_read_nowait(struct hoop_op *ops, unsigned n, int32_t *results);
int hoopy_pread_bytes(uintptr_t reqs, uintptr_t objs, unsigned n,
                      struct hoop_op *ops, int fd);

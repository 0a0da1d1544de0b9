/*
 * core/register.c - io_uring_register(2) operations on a hoop_ring, the
 * fd-to-slot file registry, and the opcode probe.
 *
 * Everything goes through hoop_ring_register(), which already picks the
 * registered ring index when the ring fd is registered. The kernel's
 * argument structures live in sys.h, or below when only this file uses them.
 */
#include "hoop/register.h"
#include "sys.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* The probe answers at most 256 opcodes: an opcode is one byte in the SQE. */
#define HOOP_PROBE_MAX_OPS 256u

/* struct io_uring_clock_register (REGISTER_CLOCK, 6.12). */
struct hoop_sys_clock_register {
	uint32_t clockid;
	uint32_t resv[3];
};

static inline uint64_t ptr_u64(const void *p) { return (uint64_t)(uintptr_t)p; }

/* ---- fixed buffers ---- */

/*
 * The *2 registration takes a descriptor whose size is passed as nr_args;
 * the kernel refuses any other size, so this also checks our layout.
 */
static int rsrc_register(hoop_ring *ring, unsigned opcode, const void *data,
                         const uint64_t *tags, unsigned nr, unsigned flags)
{
	struct hoop_sys_rsrc_register rr;
	memset(&rr, 0, sizeof(rr));
	rr.nr = nr;
	rr.flags = flags;
	rr.data = ptr_u64(data);
	rr.tags = ptr_u64(tags);
	return hoop_ring_register(ring, opcode, &rr, sizeof(rr));
}

static int rsrc_update(hoop_ring *ring, unsigned opcode, unsigned off,
                       const void *data, const uint64_t *tags, unsigned nr)
{
	struct hoop_sys_rsrc_update2 up;
	memset(&up, 0, sizeof(up));
	up.offset = off;
	up.data = ptr_u64(data);
	up.tags = ptr_u64(tags);
	up.nr = nr;
	return hoop_ring_register(ring, opcode, &up, sizeof(up));
}

int hoop_ring_register_buffers(hoop_ring *ring, const struct iovec *iovecs,
                               unsigned nr)
{
	if (!iovecs && nr)
		return -EFAULT;
	return hoop_ring_register(ring, HOOP_REGISTER_BUFFERS, iovecs, nr);
}

int hoop_ring_register_buffers_sparse(hoop_ring *ring, unsigned nr)
{
	return rsrc_register(ring, HOOP_REGISTER_BUFFERS2, NULL, NULL, nr,
	                     HOOP_RSRC_REGISTER_SPARSE);
}

int hoop_ring_register_buffers_tags(hoop_ring *ring, const struct iovec *iovecs,
                                    const uint64_t *tags, unsigned nr)
{
	if (!iovecs && nr)
		return -EFAULT;
	return rsrc_register(ring, HOOP_REGISTER_BUFFERS2, iovecs, tags, nr, 0);
}

int hoop_ring_register_buffers_update_tag(hoop_ring *ring, unsigned off,
                                          const struct iovec *iovecs,
                                          const uint64_t *tags, unsigned nr)
{
	if (!iovecs && nr)
		return -EFAULT;
	return rsrc_update(ring, HOOP_REGISTER_BUFFERS_UPDATE, off, iovecs,
	                   tags, nr);
}

int hoop_ring_unregister_buffers(hoop_ring *ring)
{
	return hoop_ring_register(ring, HOOP_UNREGISTER_BUFFERS, NULL, 0);
}

/* ---- fixed files ---- */

int hoop_ring_register_files(hoop_ring *ring, const int *fds, unsigned nr)
{
	if (!fds && nr)
		return -EFAULT;
	return hoop_ring_register(ring, HOOP_REGISTER_FILES, fds, nr);
}

int hoop_ring_register_files_sparse(hoop_ring *ring, unsigned nr)
{
	return rsrc_register(ring, HOOP_REGISTER_FILES2, NULL, NULL, nr,
	                     HOOP_RSRC_REGISTER_SPARSE);
}

int hoop_ring_register_files_tags(hoop_ring *ring, const int *fds,
                                  const uint64_t *tags, unsigned nr)
{
	if (!fds && nr)
		return -EFAULT;
	return rsrc_register(ring, HOOP_REGISTER_FILES2, fds, tags, nr, 0);
}

int hoop_ring_register_files_update(hoop_ring *ring, unsigned off,
                                    const int *fds, unsigned nr)
{
	struct hoop_sys_files_update up;
	if (!fds && nr)
		return -EFAULT;
	memset(&up, 0, sizeof(up));
	up.offset = off;
	up.fds = ptr_u64(fds);
	return hoop_ring_register(ring, HOOP_REGISTER_FILES_UPDATE, &up, nr);
}

int hoop_ring_register_files_update_tag(hoop_ring *ring, unsigned off,
                                        const int *fds, const uint64_t *tags,
                                        unsigned nr)
{
	if (!fds && nr)
		return -EFAULT;
	return rsrc_update(ring, HOOP_REGISTER_FILES_UPDATE2, off, fds, tags, nr);
}

int hoop_ring_unregister_files(hoop_ring *ring)
{
	return hoop_ring_register(ring, HOOP_UNREGISTER_FILES, NULL, 0);
}

int hoop_ring_register_file_alloc_range(hoop_ring *ring, unsigned off, unsigned len)
{
	struct hoop_sys_file_index_range range;
	memset(&range, 0, sizeof(range));
	range.off = off;
	range.len = len;
	return hoop_ring_register(ring, HOOP_REGISTER_FILE_ALLOC_RANGE, &range, 0);
}

/* ---- file registry ---- */

struct hoop_file_registry {
	hoop_ring *ring;
	unsigned nr_slots;
	unsigned used;
	int *slot_fd;    /* slot -> fd, -1 when free */
	int *fd_slot;    /* fd -> slot + 1, 0 when not registered */
	unsigned fd_cap; /* entries in fd_slot */
};

int hoop_file_registry_create(hoop_file_registry **out, hoop_ring *ring,
                              unsigned nr_slots)
{
	if (!out || !ring || nr_slots == 0)
		return -EINVAL;
	hoop_file_registry *reg = calloc(1, sizeof(*reg));
	if (!reg)
		return -ENOMEM;
	reg->slot_fd = malloc(sizeof(int) * nr_slots);
	if (!reg->slot_fd) {
		free(reg);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < nr_slots; i++)
		reg->slot_fd[i] = -1;
	int r = hoop_ring_register_files_sparse(ring, nr_slots);
	if (r < 0) {
		free(reg->slot_fd);
		free(reg);
		return r;
	}
	reg->ring = ring;
	reg->nr_slots = nr_slots;
	*out = reg;
	return 0;
}

void hoop_file_registry_destroy(hoop_file_registry *reg)
{
	if (!reg)
		return;
	hoop_ring_unregister_files(reg->ring);
	free(reg->fd_slot);
	free(reg->slot_fd);
	free(reg);
}

int hoop_file_registry_lookup(const hoop_file_registry *reg, int fd)
{
	if (fd < 0 || (unsigned)fd >= reg->fd_cap || reg->fd_slot[fd] == 0)
		return -ENOENT;
	return reg->fd_slot[fd] - 1;
}

/* Grow the fd index so that `fd` fits; fds are small and dense in practice. */
static int fd_index_reserve(hoop_file_registry *reg, int fd)
{
	if ((unsigned)fd < reg->fd_cap)
		return 0;
	unsigned cap = reg->fd_cap ? reg->fd_cap : 64;
	while (cap <= (unsigned)fd) {
		if (cap > (unsigned)INT32_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	int *n = realloc(reg->fd_slot, sizeof(int) * cap);
	if (!n)
		return -ENOMEM;
	memset(n + reg->fd_cap, 0, sizeof(int) * (cap - reg->fd_cap));
	reg->fd_slot = n;
	reg->fd_cap = cap;
	return 0;
}

int hoop_file_registry_register_fd(hoop_file_registry *reg, int fd)
{
	if (fd < 0)
		return -EBADF;
	if (hoop_file_registry_lookup(reg, fd) >= 0)
		return -EEXIST;
	if (reg->used == reg->nr_slots)
		return -ENFILE;
	/* Lowest free slot: tables are small, and a scan keeps no extra state. */
	unsigned slot = 0;
	while (reg->slot_fd[slot] != -1)
		slot++;
	int r = fd_index_reserve(reg, fd);
	if (r < 0)
		return r;
	r = hoop_ring_register_files_update(reg->ring, slot, &fd, 1);
	if (r < 0)
		return r;
	if (r != 1)
		return -EIO;
	reg->slot_fd[slot] = fd;
	reg->fd_slot[fd] = (int)slot + 1;
	reg->used++;
	return (int)slot;
}

int hoop_file_registry_unregister_fd(hoop_file_registry *reg, int fd)
{
	int slot = hoop_file_registry_lookup(reg, fd);
	if (slot < 0)
		return slot;
	int empty = -1;
	int r = hoop_ring_register_files_update(reg->ring, (unsigned)slot,
	                                        &empty, 1);
	if (r < 0)
		return r;
	reg->slot_fd[slot] = -1;
	reg->fd_slot[fd] = 0;
	reg->used--;
	return slot;
}

int hoop_file_registry_count(const hoop_file_registry *reg)
{
	return (int)reg->used;
}

int hoop_file_registry_capacity(const hoop_file_registry *reg)
{
	return (int)reg->nr_slots;
}

/* ---- eventfd ---- */

int hoop_ring_register_eventfd(hoop_ring *ring, int fd)
{
	return hoop_ring_register(ring, HOOP_REGISTER_EVENTFD, &fd, 1);
}

int hoop_ring_register_eventfd_async(hoop_ring *ring, int fd)
{
	return hoop_ring_register(ring, HOOP_REGISTER_EVENTFD_ASYNC, &fd, 1);
}

int hoop_ring_unregister_eventfd(hoop_ring *ring)
{
	return hoop_ring_register(ring, HOOP_UNREGISTER_EVENTFD, NULL, 0);
}

/* ---- opcode probe ---- */

struct probe_buf {
	struct hoop_probe_hdr hdr;
	struct hoop_probe_op ops[HOOP_PROBE_MAX_OPS];
};

int hoop_ring_probe_ops(hoop_ring *ring, uint8_t *supported, unsigned len)
{
	if (!supported && len)
		return -EFAULT;
	/* The kernel insists that the whole buffer it reads is zero. */
	struct probe_buf *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	int r = hoop_ring_register(ring, HOOP_REGISTER_PROBE, p,
	                           HOOP_PROBE_MAX_OPS);
	if (r >= 0) {
		/* ops_len: how many entries the kernel filled (it clamps nr). */
		unsigned filled = p->hdr.ops_len;
		for (unsigned op = 0; op < len; op++)
			supported[op] = op < filled && op <= p->hdr.last_op &&
			                (p->ops[op].flags & HOOP_PROBE_OP_SUPPORTED);
		r = (int)p->hdr.last_op + 1;
	}
	free(p);
	return r;
}

/*
 * The answer for the process: the kernel cannot change under a running
 * process, so one probe is enough. Only a successful probe is cached; a
 * failure (a transient ENOMEM from the memlock limit, say) is retried on the
 * next call.
 */
static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static int probe_ready; /* read with acquire, set with release */
static uint8_t probe_table[HOOP_PROBE_MAX_OPS];

static int probe_fill(void)
{
	hoop_ring *ring = NULL;
	int r = hoop_ring_create(&ring, 2, NULL);
	if (r < 0)
		return r;
	r = hoop_ring_probe_ops(ring, probe_table, HOOP_PROBE_MAX_OPS);
	hoop_ring_destroy(ring);
	return r < 0 ? r : 0;
}

int hoop_opcode_supported(unsigned op)
{
	if (!__atomic_load_n(&probe_ready, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&probe_lock);
		int r = 0;
		if (!__atomic_load_n(&probe_ready, __ATOMIC_RELAXED)) {
			r = probe_fill();
			if (r == 0)
				__atomic_store_n(&probe_ready, 1, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&probe_lock);
		if (r < 0)
			return r;
	}
	if (op >= HOOP_PROBE_MAX_OPS)
		return 0;
	return probe_table[op];
}

/* ---- personalities, restrictions ---- */

int hoop_ring_register_personality(hoop_ring *ring)
{
	return hoop_ring_register(ring, HOOP_REGISTER_PERSONALITY, NULL, 0);
}

int hoop_ring_unregister_personality(hoop_ring *ring, int id)
{
	if (id <= 0)
		return -EINVAL;
	/* The id travels in nr_args; there is no argument structure. */
	return hoop_ring_register(ring, HOOP_UNREGISTER_PERSONALITY, NULL,
	                          (unsigned)id);
}

int hoop_ring_register_restrictions(hoop_ring *ring,
                                    const struct hoop_restriction *res, unsigned nr)
{
	if (!res && nr)
		return -EFAULT;
	return hoop_ring_register(ring, HOOP_REGISTER_RESTRICTIONS, res, nr);
}

/* ---- io-wq ---- */

int hoop_ring_register_iowq_max_workers(hoop_ring *ring, unsigned values[2])
{
	if (!values)
		return -EFAULT;
	return hoop_ring_register(ring, HOOP_REGISTER_IOWQ_MAX_WORKERS, values, 2);
}

int hoop_ring_register_iowq_aff(hoop_ring *ring, size_t cpusz, const void *mask)
{
	if (!mask || cpusz == 0 || cpusz > UINT32_MAX)
		return -EINVAL;
	/* The mask's size in bytes travels in nr_args. */
	return hoop_ring_register(ring, HOOP_REGISTER_IOWQ_AFF, mask,
	                          (unsigned)cpusz);
}

int hoop_ring_unregister_iowq_aff(hoop_ring *ring)
{
	return hoop_ring_register(ring, HOOP_UNREGISTER_IOWQ_AFF, NULL, 0);
}

/* ---- synchronous cancel ---- */

_Static_assert(sizeof(struct hoop_sync_cancel) == 32, "struct hoop_sync_cancel "
                                                      "is part of the ABI");
_Static_assert(offsetof(struct hoop_sync_cancel, opcode) == 24,
               "struct hoop_sync_cancel is part of the ABI");
_Static_assert(offsetof(struct hoop_sync_cancel, hoop_flags) == 25,
               "hoop_flags took the place of resv[0]");

int hoop_ring_register_sync_cancel(hoop_ring *ring,
                                   const struct hoop_sync_cancel *c)
{
	if (!c)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(c->resv); i++)
		if (c->resv[i])
			return -EINVAL; /* reserved: must be 0 (common.h) */
	if (c->hoop_flags & ~HOOP_SYNC_CANCEL_NO_WAIT)
		return -EINVAL;
	if ((c->hoop_flags & HOOP_SYNC_CANCEL_NO_WAIT) && c->timeout_ns != 0)
		return -EINVAL; /* "no wait" and a time limit contradict */
	struct hoop_sys_sync_cancel_reg reg;
	memset(&reg, 0, sizeof(reg));
	reg.addr = c->user_data;
	reg.fd = c->fd;
	reg.flags = c->flags;
	reg.opcode = c->opcode;
	/*
	 * The kernel reads {-1, -1} as "no timeout" and anything else as a
	 * time relative to now. It makes one attempt before looking at the
	 * time, so {0, 0} (NO_WAIT) still cancels what has not started and
	 * gives -ETIME at once for what is running.
	 */
	if (c->hoop_flags & HOOP_SYNC_CANCEL_NO_WAIT) {
		reg.timeout.tv_sec = 0;
		reg.timeout.tv_nsec = 0;
	} else if (c->timeout_ns > 0) {
		reg.timeout.tv_sec = c->timeout_ns / 1000000000;
		reg.timeout.tv_nsec = c->timeout_ns % 1000000000;
	} else {
		reg.timeout.tv_sec = -1;
		reg.timeout.tv_nsec = -1;
	}
	return hoop_ring_register(ring, HOOP_REGISTER_SYNC_CANCEL, &reg, 1);
}

/* ---- provided-buffer rings ---- */

int hoop_ring_register_buf_ring(hoop_ring *ring, void *ring_addr,
                                unsigned entries, uint16_t bgid, unsigned flags)
{
	struct hoop_sys_buf_reg reg;
	if (flags > UINT16_MAX)
		return -EINVAL;
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = ptr_u64(ring_addr);
	reg.ring_entries = entries;
	reg.bgid = bgid;
	reg.flags = (uint16_t)flags;
	return hoop_ring_register(ring, HOOP_REGISTER_PBUF_RING, &reg, 1);
}

int hoop_ring_unregister_buf_ring(hoop_ring *ring, uint16_t bgid)
{
	struct hoop_sys_buf_reg reg;
	memset(&reg, 0, sizeof(reg));
	reg.bgid = bgid;
	return hoop_ring_register(ring, HOOP_UNREGISTER_PBUF_RING, &reg, 1);
}

int hoop_ring_buf_ring_head(hoop_ring *ring, uint16_t *head_out, uint16_t bgid)
{
	if (!head_out)
		return -EINVAL;
	struct hoop_sys_buf_status st;
	memset(&st, 0, sizeof(st));
	st.buf_group = bgid;
	int r = hoop_ring_register(ring, HOOP_REGISTER_PBUF_STATUS, &st, 1);
	if (r < 0)
		return r;
	*head_out = (uint16_t)st.head;
	return 0;
}

/* ---- filling a buffer ring by hand ---- */

unsigned hoop_buf_ring_mask(unsigned entries)
{
	return entries ? entries - 1 : 0;
}

/* The tail shares entry 0 with a buffer: the resv field of entry 0. */
static uint16_t *buf_ring_tail(struct hoop_buf *br) { return &br[0].resv; }

void hoop_buf_ring_init(struct hoop_buf *br)
{
	__atomic_store_n(buf_ring_tail(br), 0, __ATOMIC_RELAXED);
}

void hoop_buf_ring_add(struct hoop_buf *br, void *addr, unsigned len,
                       uint16_t bid, unsigned mask, unsigned buf_offset)
{
	uint16_t tail = __atomic_load_n(buf_ring_tail(br), __ATOMIC_RELAXED);
	struct hoop_buf *b = &br[(tail + buf_offset) & mask];
	b->addr = (uint64_t)(uintptr_t)addr;
	b->len = len;
	b->bid = bid;
}

void hoop_buf_ring_advance(struct hoop_buf *br, unsigned count)
{
	uint16_t tail = __atomic_load_n(buf_ring_tail(br), __ATOMIC_RELAXED);
	__atomic_store_n(buf_ring_tail(br), (uint16_t)(tail + count),
	                 __ATOMIC_RELEASE);
}

void hoop_buf_ring_cq_advance(hoop_ring *ring, struct hoop_buf *br, unsigned count)
{
	hoop_buf_ring_advance(br, count);
	hoop_ring_cq_advance(ring, count);
}

int hoop_buf_ring_available(hoop_ring *ring, struct hoop_buf *br, uint16_t bgid)
{
	uint16_t head;
	int r = hoop_ring_buf_ring_head(ring, &head, bgid);
	if (r < 0)
		return r;
	uint16_t tail = __atomic_load_n(buf_ring_tail(br), __ATOMIC_ACQUIRE);
	return (uint16_t)(tail - head);
}

/* ---- regions of kernel memory ---- */

int hoop_ring_map_region(hoop_ring *ring, const struct hoop_region_desc *rd,
                         void **out)
{
	if (out)
		*out = NULL;
	if (!ring || !rd || !out || rd->size == 0 || rd->size > SIZE_MAX ||
	    (rd->flags & HOOP_MEM_REGION_TYPE_USER) || rd->mmap_offset == 0 ||
	    rd->mmap_offset > (uint64_t)INT64_MAX)
		return -EINVAL;
	int fd = hoop_ring_fd(ring);
	if (fd < 0)
		return -EBADF;
	void *p = mmap(NULL, (size_t)rd->size, PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_POPULATE, fd, (off_t)rd->mmap_offset);
	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

int hoop_region_unmap(void *addr, uint64_t size)
{
	if (!addr || size == 0 || size > SIZE_MAX)
		return -EINVAL;
	return munmap(addr, (size_t)size) == 0 ? 0 : -errno;
}

/* ---- zcrx refill queue ---- */

#define ZCRX_RQ_MAX 32768u /* the kernel's IO_RQ_MAX_ENTRIES */
_Static_assert(sizeof(struct hoop_zcrx_rqe) == 16, "io_uring_zcrx_rqe");
_Static_assert(sizeof(struct hoop_zcrx_cqe) == 16, "io_uring_zcrx_cqe");

size_t hoop_zcrx_rq_size(unsigned rq_entries)
{
	if (rq_entries == 0 || rq_entries > ZCRX_RQ_MAX)
		return 0;
	size_t n = 1;
	while (n < rq_entries)
		n <<= 1;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	/* The kernel puts head and tail first and the entries after them,
	 * within the first page. */
	size_t bytes = pg + n * sizeof(struct hoop_zcrx_rqe);
	return (bytes + pg - 1) / pg * pg;
}

int hoop_zcrx_rq_init(struct hoop_zcrx_rq *rq, void *ring_ptr,
                      const struct hoop_zcrx_ifq_reg *reg)
{
	if (!rq || !ring_ptr || !reg || reg->rq_entries == 0 ||
	    (reg->rq_entries & (reg->rq_entries - 1)))
		return -EINVAL;
	char *base = ring_ptr;
	rq->ring_ptr = ring_ptr;
	rq->khead = (uint32_t *)(void *)(base + reg->offsets.head);
	rq->ktail = (uint32_t *)(void *)(base + reg->offsets.tail);
	rq->rqes = (struct hoop_zcrx_rqe *)(void *)(base + reg->offsets.rqes);
	rq->ring_entries = reg->rq_entries;
	rq->rq_tail = __atomic_load_n(rq->ktail, __ATOMIC_RELAXED);
	return 0;
}

struct hoop_zcrx_rqe *hoop_zcrx_rq_get(struct hoop_zcrx_rq *rq)
{
	uint32_t head = __atomic_load_n(rq->khead, __ATOMIC_ACQUIRE);
	if (rq->rq_tail - head >= rq->ring_entries)
		return NULL;
	return &rq->rqes[rq->rq_tail++ & (rq->ring_entries - 1)];
}

void hoop_zcrx_rqe_fill(struct hoop_zcrx_rqe *rqe, uint64_t area_token,
                        uint64_t off, uint32_t len)
{
	rqe->off = (off & ~HOOP_ZCRX_AREA_MASK) | area_token;
	rqe->len = len;
	rqe->pad = 0;
}

void hoop_zcrx_rq_advance(struct hoop_zcrx_rq *rq)
{
	__atomic_store_n(rq->ktail, rq->rq_tail, __ATOMIC_RELEASE);
}

uint64_t hoop_zcrx_cqe_off(const struct hoop_cqe *cqe)
{
	const struct hoop_zcrx_cqe *z = (const struct hoop_zcrx_cqe *)(cqe + 1);
	return z->off & ~HOOP_ZCRX_AREA_MASK;
}

/* ---- clock ---- */

int hoop_ring_register_clock(hoop_ring *ring, int clockid)
{
	struct hoop_sys_clock_register reg;
	if (clockid < 0)
		return -EINVAL;
	memset(&reg, 0, sizeof(reg));
	reg.clockid = (uint32_t)clockid;
	return hoop_ring_register(ring, HOOP_REGISTER_CLOCK, &reg, 0);
}

/* ---- provided-buffer rings, every field ---- */

_Static_assert(sizeof(struct hoop_buf_reg) == 40, "struct hoop_buf_reg is "
                                                  "struct io_uring_buf_reg");
_Static_assert(offsetof(struct hoop_buf_reg, min_left) == 16,
               "struct hoop_buf_reg is struct io_uring_buf_reg");

int hoop_ring_register_buf_ring_reg(hoop_ring *ring, const struct hoop_buf_reg *reg)
{
	if (!reg)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(reg->resv) / sizeof(reg->resv[0]); i++)
		if (reg->resv[i])
			return -EINVAL;
	/* A kernel that knows min_left refuses it without INC; one that does
	 * not sees a reserved word. Refuse it here either way. */
	if (reg->min_left && !(reg->flags & HOOP_PBUF_RING_INC))
		return -EINVAL;
	/* The kernel reads the struct as it is: copy, so that it is never
	 * handed the caller's memory to write. */
	struct hoop_buf_reg copy = *reg;
	return hoop_ring_register(ring, HOOP_REGISTER_PBUF_RING, &copy, 1);
}

/* ---- NAPI busy polling ---- */

_Static_assert(sizeof(struct hoop_napi) == 16, "struct hoop_napi is struct "
                                               "io_uring_napi");

int hoop_ring_register_napi(hoop_ring *ring, struct hoop_napi *napi)
{
	if (!napi || napi->pad[0] || napi->pad[1] || napi->resv)
		return -EINVAL;
	/*
	 * The kernel writes the old settings back into its argument before
	 * it looks at the opcode, so a call it then refuses would still
	 * have overwritten the caller's struct. Work on a copy and hand the
	 * old settings out only on success.
	 */
	struct hoop_napi arg = *napi;
	int r = hoop_ring_register(ring, HOOP_REGISTER_NAPI, &arg, 1);
	if (r < 0)
		return r;
	*napi = arg;
	return 0;
}

int hoop_ring_unregister_napi(hoop_ring *ring, struct hoop_napi *prev)
{
	struct hoop_napi arg;
	memset(&arg, 0, sizeof(arg));
	int r = hoop_ring_register(ring, HOOP_UNREGISTER_NAPI, &arg, 1);
	if (r < 0)
		return r;
	if (prev)
		*prev = arg;
	return 0;
}

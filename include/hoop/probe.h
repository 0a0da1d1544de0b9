/*
 * hoop/probe.h - what this kernel and this process allow: whether io_uring
 * can be used at all (and if not, why), its features, opcodes and setup
 * flags, the locked-memory budget for rings, and a tier that sums it up.
 *
 * Tiers. Each includes everything above it in the table; the probe reports
 * the highest tier whose test passed, and hoop_probe_tier_flags gives the
 * setup flags a tier means for a ring.
 *
 *   tier       test (kernel)                    what hoop uses at this tier
 *   ---------  -------------------------------  ------------------------------
 *   NONE  0    io_uring_setup refused or        the thread-pool backend for
 *              missing (ENOSYS, EPERM, EACCES,  engines and queues; rings
 *              ENOMEM)                          cannot be created
 *   BASE  1    a 1-entry ring sets up (5.1+)    plain rings, no setup flags;
 *                                               single-shot accept and recv
 *   MID   2    COOP_TASKRUN accepted (5.19)     + COOP_TASKRUN, TASKRUN_FLAG
 *                                               (no task-work interrupts)
 *   HIGH  3    SINGLE_ISSUER accepted (6.0),    + SINGLE_ISSUER on single-owner
 *              accept and recv opcodes, and a   rings, multishot accept and
 *              provided-buffer ring registers   recv, provided-buffer rings;
 *                                               + DEFER_TASKRUN on single-owner
 *                                               rings when accepted (6.1+),
 *                                               fixed files
 *
 * HOOP_TIER_SQPOLL is an add-on, never chosen on its own: OR it into the
 * tier given to hoop_probe_tier_flags to add SQPOLL (a kernel thread polls
 * the SQ, spending a CPU). The kernel refuses SQPOLL together with
 * COOP_TASKRUN, TASKRUN_FLAG and DEFER_TASKRUN, so those are dropped then.
 *
 * Shared rings (an engine) never get SINGLE_ISSUER or DEFER_TASKRUN: a wait
 * from another thread would fail with EEXIST.
 */
#ifndef HOOP_PROBE_H
#define HOOP_PROBE_H

#include <stdint.h>

#include "common.h"
#include "uapi.h"
#include "ring.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HOOP_TIER_NONE 0
#define HOOP_TIER_BASE 1
#define HOOP_TIER_MID 2
#define HOOP_TIER_HIGH 3
/* Add-on bit for hoop_probe_tier_flags: also use SQPOLL. */
#define HOOP_TIER_SQPOLL 0x100

/*
 * The probe's findings (872 bytes in this layout, explicit widths; strings
 * are NUL-terminated char arrays inside the struct). Fields that need a
 * working ring are 0 when `usable` is 0. It grows at its end (common.h):
 * set `size` to sizeof(struct hoop_probe) before hoop_probe_run.
 */
struct hoop_probe {
	uint32_t size;             /* in: sizeof(struct hoop_probe) as the
	                              caller compiled it; out: the bytes hoop
	                              filled, min(that, hoop's own size) */
	int32_t usable;            /* 1 if a ring can be set up here, else 0 */
	int32_t setup_err;         /* 0, or -errno from io_uring_setup */
	int32_t io_uring_disabled; /* sysctl kernel.io_uring_disabled: 0 on,
	                              1 only CAP_SYS_ADMIN or io_uring_group,
	                              2 off; -1 if unreadable */
	int32_t io_uring_group;    /* sysctl kernel.io_uring_group; -1 if
	                              unreadable or unset */
	int32_t seccomp_mode;      /* of this process: 0 none, 1 strict,
	                              2 filter; -1 unknown */
	int32_t tier;              /* HOOP_TIER_NONE .. HOOP_TIER_HIGH */
	int32_t auto_backend;      /* what HOOP_BACKEND_AUTO picks now:
	                              HOOP_BACKEND_URING or _THREADS; -EINVAL
	                              if HOOP_BACKEND holds an unknown name
	                              (engines with AUTO fail then) */
	uint32_t kernel_major;     /* from kernel_release: 6.18.2 is 6, 18, 2 */
	uint32_t kernel_minor;
	uint32_t kernel_patch;
	uint32_t features;        /* HOOP_FEAT_* of a fresh ring */
	uint32_t setup_flags;     /* HOOP_SETUP_* with which a small ring
	                              sets up here (each tried with what it
	                              needs, e.g. DEFER_TASKRUN with
	                              SINGLE_ISSUER) */
	int32_t sqpoll_permitted; /* 1 if an SQPOLL ring sets up here */
	int32_t sqpoll_err;       /* 0, or -errno of the SQPOLL attempt */
	int32_t buf_ring;         /* 1 if provided-buffer rings register */
	uint32_t opcode_count;    /* number of supported opcodes */
	uint32_t kernel_ops;      /* opcodes the kernel knows (last + 1) */
	uint32_t resv0;
	uint32_t resv1;
	uint64_t opcodes;        /* bit n set: opcode n supported (n < 64) */
	uint64_t memlock_limit;  /* RLIMIT_MEMLOCK soft limit in bytes;
	                              UINT64_MAX means unlimited */
	int32_t memlock_charged; /* 1 if ring memory counts against it (no
	                              CAP_IPC_LOCK in the initial namespace) */
	uint32_t max_entries;    /* largest SQ size (a power of two) that
	                              hoop_ring_create with default parameters
	                              can set up now; 32768 (the kernel's
	                              maximum) when not charged; 0 if none */
	char kernel_release[80]; /* uname -r */
	char reason[256];        /* why io_uring is unusable; "" if usable */
	char memlock_note[128];  /* the memlock finding in words ("not
	                              charged: CAP_IPC_LOCK (root)", ...) */
	char auto_reason[288];   /* why auto_backend, in the words of
	                              hoop_engine_backend_reason */
	/* Since hoop 0.2 (size > HOOP_PROBE_SIZE_V1): */
	uint64_t ring_extras; /* HOOP_PROBE_X_*: the liburing-parity
	                              calls this kernel takes, each tried on a
	                              scratch ring */
	uint64_t opcodes_hi;  /* bit n set: opcode 64 + n supported (opcodes
	                              64-127; `opcodes` holds 0-63) */
};

/* ring_extras bits: which of these calls work here. */
#define HOOP_PROBE_X_SYNC_MSG 0x01ull        /* hoop_register_sync_msg */
#define HOOP_PROBE_X_CLONE_BUFFERS 0x02ull   /* hoop_ring_clone_buffers */
#define HOOP_PROBE_X_CLONE_OFFSETS 0x04ull   /* ..._clone_buffers_offset */
#define HOOP_PROBE_X_MEM_REGION 0x08ull      /* hoop_ring_register_region */
#define HOOP_PROBE_X_WAIT_REGION 0x10ull     /* hoop_ring_submit_and_wait_reg */
#define HOOP_PROBE_X_CMD_GETSOCKNAME 0x20ull /* hoop_prep_cmd_getsockname */
#define HOOP_PROBE_X_CQ_EVENTFD_TOGGLE 0x40ull /* ..._cq_eventfd_toggle */
/* A region of kernel memory registers and hoop_ring_map_region maps it. */
#define HOOP_PROBE_X_MEM_REGION_KERNEL 0x80ull

/* Bytes of the first struct hoop_probe that carried a size: this one. */
#define HOOP_PROBE_SIZE_V1 856

/*
 * hoop_probe_run - find out what this kernel and process allow and fill
 * *out, up to out->size bytes (the caller sets it to sizeof(*out) first;
 * see common.h), never more; out->size then holds the bytes filled. Sets up
 * and destroys a few dozen small rings (one with SQPOLL), so it takes
 * milliseconds; call it once, not per operation. The answer can change when
 * the process changes its limits, credentials or seccomp filters. Returns 0
 * (also when io_uring is unusable: then usable is 0 and reason says why),
 * or -EINVAL for a NULL out or out->size below HOOP_PROBE_SIZE_V1 (nothing
 * written then). Any thread. (Programs built before `size` was read are
 * bound to an older symbol version that fills 856 bytes.)
 */
HOOP_API int hoop_probe_run(struct hoop_probe *out);

/*
 * hoop_probe_has_opcode - 1 if probe `p` (filled by hoop_probe_run) found
 * opcode `op` supported, else 0: bit op of `opcodes` for op < 64, bit
 * op - 64 of `opcodes_hi` for 64 <= op < 128 (0 there when p->size says
 * the struct ends before opcodes_hi), 0 for a NULL p or op >= 128. Reads
 * only *p. Any thread.
 */
HOOP_API int hoop_probe_has_opcode(const struct hoop_probe *p, unsigned op);

/*
 * hoop_probe_tier_name - "none", "base", "mid" or "high" (the
 * HOOP_TIER_SQPOLL bit is ignored); "unknown" for anything else. The string
 * is static. Any thread.
 */
HOOP_API const char *hoop_probe_tier_name(int tier);

/*
 * hoop_probe_tier_flags - the HOOP_SETUP_* flags a ring created at `tier`
 * (optionally | HOOP_TIER_SQPOLL) should use, given probe `p`, stored in
 * *setup_flags_out. `single_owner` says whether one thread will own the
 * ring: only then do the flags include SINGLE_ISSUER and DEFER_TASKRUN.
 * DEFER_TASKRUN is included only where p reports it accepted. NONE gives 0
 * (use the thread pool). Returns 0, -EINVAL (NULL p or setup_flags_out, an
 * unknown tier), -EOPNOTSUPP (tier above p->tier), or p->sqpoll_err when
 * SQPOLL was asked for and is not permitted. Any thread.
 */
HOOP_API int hoop_probe_tier_flags(const struct hoop_probe *p, int tier,
                                   int single_owner, uint32_t *setup_flags_out);

/*
 * hoop_ring_create_best - create a ring of `entries` at the best tier this
 * kernel accepts for a single-owner ring: the HIGH flags (COOP_TASKRUN,
 * TASKRUN_FLAG, SINGLE_ISSUER, DEFER_TASKRUN), then HIGH without
 * DEFER_TASKRUN, MID and BASE, each tried when the one before gives
 * -EINVAL. It does not run the whole probe. The ring belongs to the calling
 * thread: with SINGLE_ISSUER only it may submit and wait (others get
 * -EEXIST); hoop_ring_setup_flags tells which tier it got. Returns 0 and
 * sets *out, or -errno as hoop_ring_create (-EINVAL for a NULL out or 0
 * entries). Any thread.
 */
HOOP_API int hoop_ring_create_best(hoop_ring **out, unsigned entries);

#ifdef __cplusplus
}
#endif

#endif /* HOOP_PROBE_H */

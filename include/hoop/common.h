/*
 * hoop/common.h - export macro, version, error names.
 *
 * Every hoop function returns an int (or int64_t) that is >= 0 on success and
 * a negative errno value on failure: the same error space as a completion's
 * `res` field. There is no thread-local error state.
 */
#ifndef HOOP_COMMON_H
#define HOOP_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* HOOP_API marks exported symbols; everything else is hidden. */
#ifndef HOOP_API
#if defined(HOOP_BUILDING_LIBRARY) && defined(__GNUC__)
#define HOOP_API __attribute__((visibility("default")))
#else
#define HOOP_API
#endif
#endif

#define HOOP_VERSION_MAJOR 0
#define HOOP_VERSION_MINOR 1
#define HOOP_VERSION_PATCH 0
/* (major << 16) | (minor << 8) | patch, comparable with hoop_version(). */
#define HOOP_VERSION_NUMBER 0x000100

/*
 * hoop_version - the version of the library loaded at run time, encoded as
 * HOOP_VERSION_NUMBER is. Any thread.
 */
HOOP_API uint32_t hoop_version(void);

/*
 * hoop_version_string - "major.minor.patch" of the loaded library. The string
 * is static; never free it. Any thread.
 */
HOOP_API const char *hoop_version_string(void);

/*
 * hoop_strerror - a static, human-readable description of `err`, which may be
 * given as a negative (as hoop returns it) or positive errno value. Unknown
 * values give "Unknown error". Never returns NULL. Any thread.
 */
HOOP_API const char *hoop_strerror(int err);

/*
 * How public structs grow (the one rule for every struct that can gain
 * fields). A struct only ever grows at its end, and a program built against
 * an older header keeps working with a newer library and the reverse:
 *
 * - Structs hoop fills for the caller (struct hoop_engine_metrics, struct
 *   hoop_probe) are filled up to a size the caller states: sizeof the struct
 *   as the caller compiled it. hoop writes min(that size, its own size)
 *   bytes, never one more; fields beyond the caller's size do not exist for
 *   it, and fields beyond hoop's own size (a newer header, an older
 *   library) are left untouched, so zero the struct first to tell. A size
 *   smaller than the struct's first published layout gets -EINVAL and
 *   nothing is written. The size travels with the call:
 *   hoop_engine_get_metrics(e, &m, sizeof(m)), and struct hoop_probe's first
 *   field `size`, which the caller sets before hoop_probe_run (and which
 *   holds the size hoop filled afterwards).
 *
 * - Structs the caller fills for hoop (hoop_ring_params, hoop_engine_params,
 *   hoop_loop_params, struct hoop_sync_cancel) keep their size and carry
 *   reserved fields (`resv`) where new members will go. Zero-initialise them;
 *   a reserved field that is not zero is refused with -EINVAL, so that a
 *   member set by a newer program is never silently ignored by an older
 *   library, and 0 in a new member always means the old behaviour.
 *
 * Structs with a fixed layout (struct hoop_op, struct hoop_completion, the
 * io_uring structs in uapi.h) never change; struct hoop_ring_view
 * (inline.h) changes only with HOOP_VERSION_MAJOR and the SONAME.
 */

#ifdef __cplusplus
}
#endif

#endif /* HOOP_COMMON_H */

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

#ifdef __cplusplus
}
#endif

#endif /* HOOP_COMMON_H */

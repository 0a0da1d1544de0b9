/* core/version.c - version query and error names. */
#include "hoop/common.h"

#include <string.h>

#define HOOP_STR2(x) #x
#define HOOP_STR(x) HOOP_STR2(x)

uint32_t hoop_version(void) { return HOOP_VERSION_NUMBER; }

const char *hoop_version_string(void)
{
	return HOOP_STR(HOOP_VERSION_MAJOR) "." HOOP_STR(
	        HOOP_VERSION_MINOR) "." HOOP_STR(HOOP_VERSION_PATCH);
}

const char *hoop_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err == 0)
		return "Success";
	/* strerror() may use a shared static buffer for unknown values; the
	 * known ones are static strings in glibc and musl. */
	if (err > 4095)
		return "Unknown error";
	return strerror(err);
}

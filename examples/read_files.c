/*
 * Read many whole files in one call: hoop_read_files. Prints each file's
 * size or error; with no arguments it reads a few files every Linux system
 * has, one of which does not exist.
 *
 *   read_files [FILE...]
 */
#define _POSIX_C_SOURCE 200809L /* AT_FDCWD */
#include <hoop.h>

#include <fcntl.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	static const char *const dflt[] = {"/etc/hostname", "/etc/passwd",
	                                   "/no/such/file", "/etc"};
	const char *const *paths = argc > 1 ? (const char *const *)argv + 1 : dflt;
	size_t n = argc > 1 ? (size_t)argc - 1 : 4;

	hoop_engine *e;
	int r = hoop_engine_create(&e, NULL);
	if (r < 0) {
		fprintf(stderr, "engine: %s\n", hoop_strerror(r));
		return 1;
	}
	struct hoop_file_data out[64];
	if (n > 64)
		n = 64;
	hoop_files *mem;
	/* NULL params: 64 files open at once, first reads of 64 KiB. */
	r = hoop_read_files(e, AT_FDCWD, paths, n, NULL, out, &mem);
	if (r < 0) {
		fprintf(stderr, "read_files: %s\n", hoop_strerror(r));
		hoop_engine_destroy(e);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (out[i].res < 0)
			printf("%s: %s\n", paths[i],
			       hoop_strerror((int)out[i].res));
		else
			printf("%s: %lld bytes\n", paths[i], (long long)out[i].res);
	}
	hoop_files_free(mem); /* every out[i].data goes with it */
	hoop_engine_destroy(e);
	return 0;
}

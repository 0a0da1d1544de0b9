/*
 * ffi_layout: bindings/hoop_ffi.h (what cffi reads) describes the same
 * structs, functions and constants as the real headers.
 *
 * This file is compiled twice (see tests/CMakeLists.txt):
 *  - with HOOP_FFI_SIDE: includes only <stddef.h>, <stdint.h> and
 *    bindings/hoop_ffi.h, no system header the FFI prelude stands in for, and
 *    records sizeof/offsetof of every struct the FFI file defines;
 *  - without it: includes the real headers, records the same table, and also
 *    compiles every FFI function declaration and integer #define after the
 *    real ones (with -Werror), so a changed signature or value fails the
 *    build. main() then compares the two tables entry by entry.
 * The tables' entries come from ffi_layout.inc, which gen_ffi.py --test-inc
 * writes from the committed hoop_ffi.h at build time.
 */
#include <stddef.h>
#include <stdint.h>

struct layout_entry {
	const char *what; /* "struct x" or "struct x.member" */
	size_t size;      /* sizeof the struct or of the member */
	size_t offset;    /* offsetof the member; the alignment for a struct */
};

#ifdef HOOP_FFI_SIDE
#include "hoop_ffi.h"
#define LAYOUT_TABLE hoop_ffi_layout_ffi
#define LAYOUT_COUNT hoop_ffi_layout_ffi_count
#else
#include "helpers.h"
#include "ffi_headers.inc"
#include "ffi_decls.inc"
#define LAYOUT_TABLE hoop_ffi_layout_real
#define LAYOUT_COUNT hoop_ffi_layout_real_count
#endif

#define LAYOUT_STRUCT(tag) {#tag, sizeof(tag), _Alignof(tag)},
#define LAYOUT_FIELD(tag, m)                                                   \
	{#tag "." #m, sizeof(((tag *)0)->m), offsetof(tag, m)},

extern const struct layout_entry LAYOUT_TABLE[];
extern const size_t LAYOUT_COUNT;

const struct layout_entry LAYOUT_TABLE[] = {
#include "ffi_layout.inc"
        {NULL, 0, 0}};
const size_t LAYOUT_COUNT = sizeof(LAYOUT_TABLE) / sizeof(LAYOUT_TABLE[0]) - 1;

#ifndef HOOP_FFI_SIDE
#include <string.h>

extern const struct layout_entry hoop_ffi_layout_ffi[];
extern const size_t hoop_ffi_layout_ffi_count;

int main(void)
{
	const struct layout_entry *ffi = hoop_ffi_layout_ffi;
	const struct layout_entry *real = hoop_ffi_layout_real;
	size_t structs = 0, bad = 0;

	CHECK_EQ(hoop_ffi_layout_ffi_count, hoop_ffi_layout_real_count);
	CHECK(hoop_ffi_layout_real_count > 0);
	for (size_t i = 0; i < hoop_ffi_layout_real_count; i++) {
		CHECK_EQ(strcmp(ffi[i].what, real[i].what), 0);
		if (!strchr(real[i].what, '.'))
			structs++;
		if (ffi[i].size != real[i].size || ffi[i].offset != real[i].offset) {
			fprintf(stderr,
			        "%s: hoop_ffi.h says size %zu offset/align "
			        "%zu, "
			        "the headers say size %zu offset/align %zu\n",
			        real[i].what, ffi[i].size, ffi[i].offset,
			        real[i].size, real[i].offset);
			bad++;
		}
	}
	CHECK_EQ(bad, 0);
	/* The two records every binding depends on. */
	CHECK_EQ(sizeof(struct hoop_sqe), 64);
	CHECK_EQ(sizeof(struct hoop_cqe), 16);
	printf("ffi_layout: %zu structs, %zu members agree\n", structs,
	       hoop_ffi_layout_real_count - structs);
	return T_PASS;
}
#endif

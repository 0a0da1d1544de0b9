//go:build !hoop_system

/* Compiles core/asan_check.c into the Go package (cgo builds only files in go/). */
#include "../core/asan_check.c"

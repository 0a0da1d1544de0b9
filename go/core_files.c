//go:build !hoop_system

/* Compiles core/files.c into the Go package (cgo builds only files in go/). */
#include "../core/files.c"

//go:build !hoop_system

/* Compiles core/version.c into the Go package (cgo builds only files in go/). */
#include "../core/version.c"

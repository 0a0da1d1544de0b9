//go:build !hoop_system

/* Compiles core/loop.c into the Go package (cgo builds only files in go/). */
#include "../core/loop.c"

//go:build !hoop_system

/* Compiles core/ring.c into the Go package (cgo builds only files in go/). */
#include "../core/ring.c"

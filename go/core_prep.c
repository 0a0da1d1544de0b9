//go:build !hoop_system

/* Compiles core/prep.c into the Go package (cgo builds only files in go/). */
#include "../core/prep.c"

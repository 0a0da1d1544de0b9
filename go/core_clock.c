//go:build !hoop_system

/* Compiles core/clock.c into the Go package (cgo builds only files in go/). */
#include "../core/clock.c"

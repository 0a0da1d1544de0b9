//go:build !hoop_system

/* Compiles core/queue.c into the Go package (cgo builds only files in go/). */
#include "../core/queue.c"

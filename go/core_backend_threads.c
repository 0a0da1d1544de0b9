//go:build !hoop_system

/* Compiles core/backend_threads.c into the Go package (cgo builds only files in go/). */
#include "../core/backend_threads.c"

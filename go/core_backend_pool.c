//go:build !hoop_system

/* Compiles core/backend_pool.c into the Go package (cgo builds only files in go/). */
#include "../core/backend_pool.c"

//go:build !hoop_system

/* Compiles core/engine_params.c into the Go package (cgo builds only files in go/). */
#include "../core/engine_params.c"

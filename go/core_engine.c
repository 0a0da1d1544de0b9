//go:build !hoop_system

/* Compiles core/engine.c into the Go package (cgo builds only files in go/). */
#include "../core/engine.c"

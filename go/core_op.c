//go:build !hoop_system

/* Compiles core/op.c into the Go package (cgo builds only files in go/). */
#include "../core/op.c"

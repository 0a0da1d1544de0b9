//go:build !hoop_system

/* Compiles core/probe.c into the Go package (cgo builds only files in go/). */
#include "../core/probe.c"

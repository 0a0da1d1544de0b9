//go:build !hoop_system

/* Compiles core/bufgroup.c into the Go package (cgo builds only files in go/). */
#include "../core/bufgroup.c"

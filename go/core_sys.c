//go:build !hoop_system

/* Compiles core/sys.c into the Go package (cgo builds only files in go/). */
#include "../core/sys.c"

//go:build !hoop_system

/* Compiles core/slots.c into the Go package (cgo builds only files in go/). */
#include "../core/slots.c"

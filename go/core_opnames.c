//go:build !hoop_system

/* Compiles core/opnames.c into the Go package (cgo builds only files in go/). */
#include "../core/opnames.c"

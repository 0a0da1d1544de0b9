//go:build !hoop_system

/* Compiles core/register.c into the Go package (cgo builds only files in go/). */
#include "../core/register.c"

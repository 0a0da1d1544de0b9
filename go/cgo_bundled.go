//go:build !hoop_system

package hoop

// The default build compiles the C core from this module (the go/core_*.c
// files include ../core/*.c), so `go build` needs only Go and a C compiler.

/*
#cgo CFLAGS: -I${SRCDIR}/../include -I${SRCDIR}/../core -D_GNU_SOURCE -DHOOP_BUILDING_LIBRARY -std=gnu11
#cgo LDFLAGS: -lpthread
*/
import "C"

//go:build hoop_system

package hoop

// With the hoop_system build tag, the package links an installed libhoop
// found through pkg-config instead of compiling the C core.

/*
#cgo pkg-config: hoop
#cgo CFLAGS: -D_GNU_SOURCE
*/
import "C"

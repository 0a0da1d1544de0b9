package hoop

/*
#include <stdlib.h>
#include <stdint.h>
*/
import "C"

import "unsafe"

// cFreedWithWord mallocs size bytes on the C heap, fills them with word
// and frees them: the next malloc of that size on this thread (glibc's
// per-thread cache) gets memory that still holds word. Only for the tests
// (test files cannot use cgo): C memory handed to Go is not zeroed, and
// whatever a freed block held is what Go code first finds there.
func cFreedWithWord(size int, word uintptr) {
	p := C.malloc(C.size_t(size))
	if p == nil {
		return
	}
	w := unsafe.Slice((*uintptr)(p), size/int(unsafe.Sizeof(word)))
	for i := range w {
		w[i] = word
	}
	C.free(p)
}

package hoop

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Every core/*.c file must be compiled into the package through a
// go/core_<name>.c wrapper, and every wrapper must name an existing file.
func TestCoreWrappers(t *testing.T) {
	core, err := filepath.Glob("../core/*.c")
	if err != nil || len(core) == 0 {
		t.Fatalf("no core sources found: %v", err)
	}
	var want, have []string
	for _, f := range core {
		want = append(want, "core_"+filepath.Base(f))
	}
	wr, _ := filepath.Glob("core_*.c")
	for _, f := range wr {
		have = append(have, f)
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inc := `#include "../core/` + strings.TrimPrefix(f, "core_") + `"`
		if !strings.Contains(string(body), inc) {
			t.Errorf("%s does not contain %s", f, inc)
		}
		if !strings.HasPrefix(string(body), "//go:build !hoop_system\n") {
			t.Errorf("%s lacks the //go:build !hoop_system line", f)
		}
	}
	sort.Strings(want)
	sort.Strings(have)
	if strings.Join(want, " ") != strings.Join(have, " ") {
		t.Fatalf("wrappers out of date:\n core: %v\n go:   %v", want, have)
	}
}

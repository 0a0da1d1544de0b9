package hoop

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// docs/VOCABULARY.md maps each C call to its Go and Python names. These
// checks keep it from going stale: every HOOP_API function is named in it,
// every exported Go function and method is named in it, and every Go
// Type.Name it names exists.

// vocabularyWildcards are the rows that stand for every C function with
// that prefix not named on its own.
var vocabularyWildcards = []string{"hoop_prep_", "hoop_loop_", "hoop_recvmsg_", "hoop_buf_ring_"}

func readVocabulary(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../docs/VOCABULARY.md")
	if err != nil {
		t.Skipf("docs/VOCABULARY.md not found next to the package (%v)", err)
	}
	return string(b)
}

// cAPIFunctions returns the functions the public headers declare HOOP_API.
func cAPIFunctions(t *testing.T) []string {
	t.Helper()
	hs, _ := filepath.Glob("../include/hoop/*.h")
	if len(hs) == 0 {
		t.Skip("include/hoop/*.h not found next to the package")
	}
	decl := regexp.MustCompile(`HOOP_API([^;{(]*)\(`)
	ident := regexp.MustCompile(`(\w+)\s*$`)
	seen := map[string]bool{}
	for _, h := range hs {
		b, err := os.ReadFile(h)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllStringSubmatch(string(b), -1) {
			if id := ident.FindStringSubmatch(m[1]); id != nil && strings.HasPrefix(id[1], "hoop_") {
				seen[id[1]] = true
			}
		}
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	if len(out) < 100 {
		t.Fatalf("found only %d HOOP_API functions: the header parse is broken", len(out))
	}
	return out
}

func TestVocabularyNamesEveryCCall(t *testing.T) {
	doc := readVocabulary(t)
	named := func(n string) bool {
		return strings.Contains(doc, "`"+n+"`") || strings.Contains(doc, "`"+n+"(")
	}
	prep, prepNamed := 0, 0
	for _, fn := range cAPIFunctions(t) {
		if strings.HasPrefix(fn, "hoop_prep_") {
			prep++
			if named(fn) {
				prepNamed++
			}
		}
		if named(fn) {
			continue
		}
		covered := false
		for _, w := range vocabularyWildcards {
			covered = covered || (strings.HasPrefix(fn, w) && strings.Contains(doc, "`"+w+"*`"))
		}
		if !covered {
			t.Errorf("docs/VOCABULARY.md does not name %s", fn)
		}
	}
	m := regexp.MustCompile("the other (\\d+) `hoop_prep_\\*`").FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("docs/VOCABULARY.md has no \"the other N `hoop_prep_*`\" row")
	}
	if n, _ := strconv.Atoi(m[1]); n != prep-prepNamed {
		t.Errorf("docs/VOCABULARY.md says the other %d hoop_prep_*, there are %d (%d in all, %d named)",
			n, prep-prepNamed, prep, prepNamed)
	}
}

// goAPI returns the package's exported functions ("F") and methods
// ("T.M"), and the exported methods and struct fields of each exported
// type ("T.X"), from its non-test files.
func goAPI(t *testing.T) (funcs []string, members map[string]bool) {
	t.Helper()
	fset := token.NewFileSet()
	names, _ := filepath.Glob("*.go")
	members = map[string]bool{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil {
					funcs = append(funcs, d.Name.Name)
					continue
				}
				typ := d.Recv.List[0].Type
				if s, ok := typ.(*ast.StarExpr); ok {
					typ = s.X
				}
				if id, ok := typ.(*ast.Ident); ok && id.IsExported() {
					members[id.Name+"."+d.Name.Name] = true
					funcs = append(funcs, id.Name+"."+d.Name.Name)
				}
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					ts, ok := sp.(*ast.TypeSpec)
					if !ok || !ts.Name.IsExported() {
						continue
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					for _, fl := range st.Fields.List {
						for _, n := range fl.Names {
							if n.IsExported() {
								members[ts.Name.Name+"."+n.Name] = true
							}
						}
					}
				}
			}
		}
	}
	sort.Strings(funcs)
	return funcs, members
}

func TestVocabularyNamesEveryGoName(t *testing.T) {
	doc := readVocabulary(t)
	funcs, members := goAPI(t)
	for _, fn := range funcs {
		if !regexp.MustCompile("`" + regexp.QuoteMeta(fn) + "[`(]").MatchString(doc) {
			t.Errorf("docs/VOCABULARY.md does not name the Go %s", fn)
		}
	}
	// Every Go Type.Name the doc cites exists (Python's are lower case).
	// A name followed by * stands for a family (SQE.Prepare*).
	for _, m := range regexp.MustCompile("`([A-Z]\\w*\\.[A-Z]\\w*)(.)").FindAllStringSubmatch(doc, -1) {
		if !members[m[1]] && m[2] != "*" {
			t.Errorf("docs/VOCABULARY.md names %s, which the Go package does not have", m[1])
		}
	}
}

package load_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/model"
)

// FuzzLoadGo checks that loading and building any Go spec never panics
// and that every failure is a list of errors positioned in the file.
//
//	go test ./generator/load -run '^$' -fuzz FuzzLoadGo -fuzztime 1m
func FuzzLoadGo(f *testing.F) {
	seeds := []string{
		"",
		"package x",
		goAST,
		goSpec("type P struct{ A string }\n"),
		goSpec("type P struct{ A []int `specstar:\"default=1|2,min=0\"`; R spec.Ref[P] `specstar:\"on_delete=set_null\"` }\n"),
		goSpec("type P struct{ O o }\ntype o struct{ P *o }\n"),
		goSpec("type P struct{ A string `specstar:\"pattern='a,b''c',values=x|'y|z'\"` }\n"),
		goSpec("type P struct{ A string \"specstar:\\\"\\\\x41=1\\\"\" }\n"),
		goSpec("type P struct{ A spec.Ref[struct{}]; B spec.Ref[P, P]; C [...]int; D chan int }\n"),
		"\"\"`\n",
	}
	paths, _ := filepath.Glob("../../testdata/gospec/*/spec.go")
	errPaths, _ := filepath.Glob("../../testdata/gospec/errors/*/spec.go")
	for _, p := range append(paths, errPaths...) {
		if data, err := os.ReadFile(p); err == nil {
			seeds = append(seeds, string(data))
		}
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := load.Bytes("fuzz.go", data)
		if err != nil {
			list, ok := err.(load.ErrorList)
			if !ok || len(list) == 0 {
				t.Fatalf("load error %T %v is not a non-empty ErrorList", err, err)
			}
			assertPositionedIn(t, "fuzz.go", err.Error())
			return
		}
		m, err := model.Build(spec)
		if err != nil {
			list, ok := err.(model.ErrorList)
			if !ok || len(list) == 0 {
				t.Fatalf("model error %T %v is not a non-empty ErrorList", err, err)
			}
			assertPositionedIn(t, "fuzz.go", err.Error())
			return
		}
		if m == nil || len(m.Resources) == 0 {
			t.Fatal("Build succeeded without resources")
		}
	})
}

// assertPositionedIn checks that every line of an error list starts with
// "file:line:col: ".
func assertPositionedIn(t *testing.T, file, text string) {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		rest, ok := strings.CutPrefix(line, file+":")
		if !ok {
			t.Fatalf("unpositioned error line %q", line)
		}
		parts := strings.SplitN(rest, ":", 3)
		if len(parts) < 3 || parts[0] == "" || parts[0] == "0" || parts[1] == "" || parts[1] == "0" {
			t.Fatalf("error line %q has no line and column", line)
		}
	}
}

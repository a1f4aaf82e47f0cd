package definitions

import (
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds adds the testdata files to the corpus; the hostile seeds (alias bombs,
// deep nesting, huge numbers) are in testdata/fuzz.
func fuzzSeeds(f *testing.F, files ...string) {
	for _, file := range files {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// checkParse parses data and checks what every result must hold.
func checkParse(t *testing.T, data []byte) {
	res := Parse("f.yaml", data)
	for _, e := range res.Errors {
		if e.File != "f.yaml" || e.Line < 0 {
			t.Fatalf("error without its file:line: %q at %+v", e.Message, e.Location)
		}
	}
	for _, s := range res.SLOs {
		if s.Source.File != "f.yaml" || s.Source.Line <= 0 {
			t.Fatalf("SLO %q without its file:line: %+v", s.Name, s.Source)
		}
		if errs := s.Validate(); len(errs) > 0 {
			t.Fatalf("SLO %q loaded but invalid: %v", s.Name, errs[0])
		}
	}
}

// FuzzNative parses native definitions: it must never panic, hang or allocate without bound.
func FuzzNative(f *testing.F) {
	fuzzSeeds(f, "native/checkout.yaml", "mixed.yaml")
	f.Add([]byte(oneSLO))
	f.Fuzz(checkParse)
}

// FuzzOpenSLO parses OpenSLO definitions: it must never panic, hang or allocate without bound.
func FuzzOpenSLO(f *testing.F) {
	fuzzSeeds(f, "openslo/slos.yaml", "openslo/slis.yaml")
	f.Add([]byte(openSLO(nil)))
	f.Fuzz(checkParse)
}

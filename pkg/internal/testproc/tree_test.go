package testproc

import (
	"os"
	"path/filepath"
	"testing"
)

// CopyTree recreates folders and files, linked or copied, and skips what is not a file.
func TestCopyTree(t *testing.T) {
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "a", "b", "chunk"), []byte("samples"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	for _, link := range []bool{false, true} {
		dst := t.TempDir()
		if err := CopyTree(src, dst, link); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dst, "a", "b", "chunk"))
		if err != nil || string(got) != "samples" {
			t.Errorf("link=%v: file %q, %v", link, got, err)
		}
		if _, err := os.Lstat(filepath.Join(dst, "link")); !os.IsNotExist(err) {
			t.Errorf("link=%v: the symlink was recreated: %v", link, err)
		}
		si, _ := os.Stat(filepath.Join(src, "a", "b", "chunk"))
		di, _ := os.Stat(filepath.Join(dst, "a", "b", "chunk"))
		if os.SameFile(si, di) != link {
			t.Errorf("link=%v: same file %v", link, os.SameFile(si, di))
		}
	}
}

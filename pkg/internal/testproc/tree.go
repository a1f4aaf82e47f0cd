package testproc

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// CopyTree recreates the tree src in dst with its regular files: hard links when link is
// set and the file system allows them (a server that never rewrites its files in place,
// like Prometheus with its blocks, may share them), copies otherwise.
func CopyTree(src, dst string, link bool) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() || (link && os.Link(path, target) == nil) {
			return nil
		}
		return copyFile(path, target)
	})
}

// copyFile copies the file at path to target.
func copyFile(path, target string) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(target)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

package definitions

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nines-slo/nines/pkg/slo"
)

// Options adjust how definitions paths are read.
type Options struct {
	// AbsolutePaths refuses relative paths and paths with ".." components: the
	// plugin's working directory is Grafana's business, not a place to read from.
	AbsolutePaths bool
}

// errTooLarge is the error of a file or inline YAML over MaxFileSize.
var errTooLarge = fmt.Errorf("larger than the limit of %d bytes (MaxFileSize): not read", MaxFileSize)

// checkPath returns why a configured definitions path is refused, or nil.
func checkPath(p string, o Options) error {
	switch {
	case strings.TrimSpace(p) == "":
		return errors.New("definitions path is empty: give a file or folder (an empty path would read the working directory)")
	case o.AbsolutePaths && !filepath.IsAbs(p):
		return fmt.Errorf("definitions path %q is relative: give an absolute path", p)
	case o.AbsolutePaths && slices.Contains(strings.Split(filepath.ToSlash(p), "/"), ".."):
		return fmt.Errorf("definitions path %q has a \"..\" component: give the folder itself", p)
	}
	return nil
}

// pathName is how errors name a configured path: an empty one is shown as "".
func pathName(p string) string {
	if strings.TrimSpace(p) == "" {
		return fmt.Sprintf("%q", p)
	}
	return p
}

// within tells whether path is root or inside it; both are resolved paths.
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// fileKind names the type of a file that is not a regular one.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a folder"
	}
	return "not a regular file"
}

// checkFile returns why a file with info is not read, or nil.
func checkFile(info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s, not a regular file: not read", fileKind(info.Mode()))
	}
	if info.Size() > MaxFileSize {
		return errTooLarge
	}
	return nil
}

// readFile reads a definitions file: a regular file of at most MaxFileSize bytes. It
// opens without blocking and checks the type of what it opened, so a file replaced by
// a pipe or a device after it was listed cannot stall or exhaust the read.
func readFile(p string) ([]byte, error) {
	f, err := os.OpenFile(p, openFlags, 0)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, unwrapPath(err)
	}
	if err := checkFile(info); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, unwrapPath(err)
	}
	if len(data) > MaxFileSize {
		return nil, errTooLarge
	}
	return data, nil
}

// collect lists the definition files under paths, with their stamps for change
// detection and an error per path or file that is not read.
func collect(paths []string, o Options) ([]string, []stamp, []*slo.Error) {
	var files []string
	var stamps []stamp
	var errs []*slo.Error
	seen := map[string]bool{}
	add := func(p string, info fs.FileInfo) {
		if seen[p] {
			return
		}
		seen[p] = true
		files = append(files, p)
		stamps = append(stamps, stamp{path: p, mod: info.ModTime(), size: info.Size()})
	}
	refuse := func(p string, info fs.FileInfo, format string, args ...any) {
		if seen[p] {
			return
		}
		seen[p] = true
		st := stamp{path: p, missing: true}
		if info != nil {
			st = stamp{path: p, mod: info.ModTime(), size: info.Size(), refused: true}
		}
		stamps = append(stamps, st)
		errs = append(errs, &slo.Error{Location: slo.Location{File: p}, Message: fmt.Sprintf(format, args...)})
	}
	for _, root := range paths {
		if err := checkPath(root, o); err != nil {
			refuse(pathName(root), nil, "%v", err)
			continue
		}
		root = filepath.Clean(root)
		info, err := os.Stat(root)
		if err != nil {
			refuse(root, nil, "definitions path: %v", unwrapPath(err))
			continue
		}
		if !info.IsDir() {
			if err := checkFile(info); err != nil {
				refuse(root, info, "definitions file: %v", err)
				continue
			}
			add(root, info)
			continue
		}
		walk(root, add, refuse)
	}
	return files, stamps, errs
}

// walk lists the *.yaml and *.yml files in the folder root, recursively. Links are
// followed when they lead to a file inside the folder, and refused when they lead
// outside it; anything but a regular file is refused.
func walk(root string, add func(string, fs.FileInfo), refuse func(string, fs.FileInfo, string, ...any)) {
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		refuse(root, nil, "read definitions folder: %v", unwrapPath(err))
		return
	}
	walkErr := filepath.WalkDir(real, func(rp string, d fs.DirEntry, err error) error {
		p := root
		if rel, relErr := filepath.Rel(real, rp); relErr == nil && rel != "." {
			p = filepath.Join(root, rel)
		}
		if err != nil {
			refuse(p, nil, "read definitions folder: %v", unwrapPath(err))
			if d != nil && d.IsDir() && rp != real {
				return fs.SkipDir
			}
			return nil
		}
		// Hidden folders are skipped: Kubernetes config maps keep older copies
		// of the files in "..data" folders next to the links we read.
		if d.IsDir() {
			if rp != real && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(filepath.Ext(rp))
		if ext != ".yaml" && ext != ".yml" {
			return nil
		}
		linfo, err := d.Info()
		if err != nil {
			refuse(p, nil, "definitions file: %v", unwrapPath(err))
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(rp)
			if err != nil {
				refuse(p, linfo, "definitions file: link: %v", unwrapPath(err))
				return nil
			}
			if !within(real, target) {
				refuse(p, linfo, "definitions file: link leads outside the definitions folder %s: not read", root)
				return nil
			}
		}
		fi, err := os.Stat(rp) // follows links
		if err != nil {
			refuse(p, linfo, "definitions file: %v", unwrapPath(err))
			return nil
		}
		if fi.IsDir() {
			return nil
		}
		if err := checkFile(fi); err != nil {
			refuse(p, fi, "definitions file: %v", err)
			return nil
		}
		add(p, fi)
		return nil
	})
	if walkErr != nil {
		refuse(root, nil, "read definitions folder: %v", walkErr)
	}
}

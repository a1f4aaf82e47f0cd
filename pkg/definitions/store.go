package definitions

import (
	"slices"
	"sync"
	"time"
)

// stamp is what tells a changed file: its modification time and size.
type stamp struct {
	path    string
	mod     time.Time
	size    int64
	missing bool
	// refused marks a file that is there but not read (a pipe, a link out, too large).
	refused bool
}

func (a stamp) equal(b stamp) bool {
	return a.path == b.path && a.mod.Equal(b.mod) && a.size == b.size && a.missing == b.missing && a.refused == b.refused
}

// Store keeps the definitions of some paths and inline YAML current. Each call to
// Current stats the files (cheap) and re-reads them only when one changed, appeared
// or went away. It is safe for concurrent use and starts no goroutines.
type Store struct {
	paths  []string
	inline string
	opts   Options

	mu     sync.Mutex
	loaded bool
	stamps []stamp
	result Result
}

// NewStore returns a store for files and folders and inline YAML; nothing is read yet.
func NewStore(paths []string, inline string) *Store {
	return NewStoreWith(paths, inline, Options{})
}

// NewStoreWith returns a store like NewStore, with options; the plugin should refuse
// relative paths (Options.AbsolutePaths).
func NewStoreWith(paths []string, inline string, o Options) *Store {
	return &Store{paths: slices.Clone(paths), inline: inline, opts: o}
}

// Current returns the definitions as they are now on disk. Treat the result as read-only:
// it is shared between callers until the files change.
func (s *Store) Current() Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	files, stamps, errs := collect(s.paths, s.opts)
	if s.loaded && slices.EqualFunc(stamps, s.stamps, stamp.equal) {
		return s.result
	}
	// The stamps are taken before reading, so a change while reading shows next time.
	s.result = loadFiles(files, errs, s.inline)
	s.stamps, s.loaded = stamps, true
	return s.result
}

package definitions

// Limits on what one load reads. Definitions come from files an operator controls, but
// a mistake (a folder of generated files, a link to a device) must not stall or
// exhaust Grafana: anything past a limit is refused with an error naming the file.
const (
	// MaxFileSize is the largest definitions file, and the largest inline YAML, read (10 MiB).
	MaxFileSize = 10 << 20
	// MaxSLOs is the most SLOs one load reads; the documents past it are refused.
	MaxSLOs = 10_000
	// MaxDepth is the deepest nesting of mappings and lists in a YAML document.
	MaxDepth = 64
	// MaxAliasNodes bounds the nodes a document reaches through aliases and merge keys,
	// counted each time they are reached: it refuses alias bombs ("billion laughs").
	MaxAliasNodes = 100_000
)

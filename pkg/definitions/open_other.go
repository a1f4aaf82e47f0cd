//go:build !unix

package definitions

import "os"

// openFlags opens for reading; the file's type is checked before it is opened.
const openFlags = os.O_RDONLY

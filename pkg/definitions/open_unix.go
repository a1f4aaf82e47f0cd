//go:build unix

package definitions

import "syscall"

// openFlags opens without blocking, so that a named pipe cannot stall the open
// before its type is checked.
const openFlags = syscall.O_RDONLY | syscall.O_NONBLOCK

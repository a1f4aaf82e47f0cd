// Package words writes counts in plain English for messages people read.
package words

import "strconv"

// Count writes n with its noun: "1 error", "0 errors", "2 SLOs".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

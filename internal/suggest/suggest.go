// Package suggest finds the name a mistyped one was meant to be, for the
// "did you mean" of the CLI's commands and flags and of the API's request
// members.
package suggest

import "strings"

// Nearest returns the name of names that name is a near miss of: the same
// letters in another case, or at most two edits away (one for a name of
// four bytes or fewer, so that short names do not all match); "" when none
// is.
func Nearest(name string, names []string) string {
	limit := 2
	if len(name) <= 4 {
		limit = 1
	}
	best, bestD := "", limit+1
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return n
		}
		if d := distance(strings.ToLower(name), strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// distance is the Levenshtein distance of a and b; names longer than 64
// bytes are never near.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

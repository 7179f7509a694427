package fetch

import (
	"slices"
	"sort"
)

// span is the half-open byte interval [start, end).
type span struct{ start, end int64 }

// spanSet is a sorted list of disjoint, non-touching spans: the bytes of a
// blob already written.
type spanSet []span

// add returns s with [a, b) added, merging what it overlaps or touches.
func (s spanSet) add(a, b int64) spanSet {
	if a >= b {
		return s
	}
	i := sort.Search(len(s), func(i int) bool { return s[i].end >= a })
	j := i
	for j < len(s) && s[j].start <= b {
		a, b = min(a, s[j].start), max(b, s[j].end)
		j++
	}
	return slices.Replace(s, i, j, span{a, b})
}

// prefix is the length of the contiguous run of bytes from offset 0.
func (s spanSet) prefix() int64 {
	if len(s) == 0 || s[0].start != 0 {
		return 0
	}
	return s[0].end
}

// total is the number of bytes the set holds.
func (s spanSet) total() int64 {
	var n int64
	for _, r := range s {
		n += r.end - r.start
	}
	return n
}

// holes lists the gaps of s within [0, size).
func (s spanSet) holes(size int64) []span {
	var out []span
	var at int64
	for _, r := range s {
		if r.start > at {
			out = append(out, span{at, min(r.start, size)})
		}
		at = max(at, r.end)
	}
	if at < size {
		out = append(out, span{at, size})
	}
	return out
}

// truncate drops every byte at or past off.
func (s spanSet) truncate(off int64) spanSet {
	out := s[:0]
	for _, r := range s {
		if r.start >= off {
			break
		}
		r.end = min(r.end, off)
		out = append(out, r)
	}
	return out
}

// valid reports whether s is sorted, disjoint, non-touching and within
// [0, size): the shape add keeps, which a sidecar read from disk must have.
func (s spanSet) valid(size int64) bool {
	var at int64 = -1
	for _, r := range s {
		if r.start < 0 || r.start >= r.end || r.end > size || r.start <= at {
			return false
		}
		at = r.end
	}
	return true
}

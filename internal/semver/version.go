// Package semver reads the semantic versions and version constraints of a
// sync YAML file's images-by-semver entries, with the grammar skopeo
// takes from github.com/Masterminds/semver/v3: a tag such as v1.2, 1.2.3
// or 2.0.0-rc.1+build5 is a version (a leading "v", a missing minor or
// patch number and leading zeros allowed); ">= 1.2, < 2 || ^3" is a
// constraint (see ParseConstraint).
//
// It is written by hand rather than imported: Masterminds compiles its
// regular expressions when a program starts, about 200 KB of heap that
// every ferry command carried whether or not it read a sync file. The
// tests compare the two on the same inputs.
package semver

import (
	"fmt"
	"strconv"
	"strings"
)

// maxVersionLen is the longest version read, as in Masterminds.
const maxVersionLen = 256

// Version is a parsed semantic version. Build metadata is read but plays
// no part in ordering, so it is not kept.
type Version struct {
	major, minor, patch uint64
	pre                 string // prerelease identifiers, without the "-"
}

// Parse reads a version: an optional "v", up to three dot-separated
// numbers (a missing one is 0), then an optional "-prerelease" and an
// optional "+metadata", each dot-separated identifiers of ASCII letters,
// digits and hyphens. A numeric prerelease identifier has no leading zero.
func Parse(s string) (Version, error) {
	if len(s) > maxVersionLen {
		return Version{}, fmt.Errorf("version longer than %d bytes", maxVersionLen)
	}
	w, rest := scan(s, false)
	if w.nums == nil || rest != "" {
		return Version{}, fmt.Errorf("%q is not a semantic version", s)
	}
	return w.version(len(w.nums), s)
}

// written is a version as it was written: one to three numbers (in a
// constraint, any of them a wildcard) and the prerelease; the metadata is
// read past (it is only in raw).
type written struct {
	raw  string // as written, "v" and metadata included
	nums []string
	pre  string
}

// scan reads a version from the start of s, with wildcards (x, X, *)
// among the numbers when wild, and returns what follows it. A "-" or "+"
// not followed by an identifier, or a "." not followed by a number, is
// left in what follows. w.nums is nil when s starts with no version.
func scan(s string, wild bool) (w written, rest string) {
	p := strings.TrimPrefix(s, "v")
	for len(w.nums) < 3 {
		q := p
		if len(w.nums) > 0 {
			if !strings.HasPrefix(q, ".") {
				break
			}
			q = q[1:]
		}
		n := numberLen(q, wild)
		if n == 0 {
			break
		}
		w.nums = append(w.nums, q[:n])
		p = q[n:]
	}
	if w.nums == nil {
		return written{}, s
	}
	if id, after := identifiers(p, '-'); id != "" {
		w.pre, p = id, after
	}
	if id, after := identifiers(p, '+'); id != "" {
		p = after
	}
	w.raw = s[:len(s)-len(p)]
	return w, p
}

// numberLen is the length of the number at the start of s: a run of
// digits or, when wild, one wildcard character.
func numberLen(s string, wild bool) int {
	if wild && s != "" && isWildcard(s[:1]) {
		return 1
	}
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func isWildcard(s string) bool { return s == "x" || s == "X" || s == "*" }

// identifiers reads lead followed by dot-separated identifiers from the
// start of s and returns them (without lead) and what follows; "" when s
// does not start that way.
func identifiers(s string, lead byte) (string, string) {
	if s == "" || s[0] != lead {
		return "", s
	}
	end := 1
	for {
		n := end
		for n < len(s) && isIdentByte(s[n]) {
			n++
		}
		if n == end {
			break // an empty identifier: stop before its dot
		}
		end = n
		if end+1 < len(s) && s[end] == '.' && isIdentByte(s[end+1]) {
			end++
			continue
		}
		break
	}
	if end == 1 {
		return "", s
	}
	return s[1:end], s[end:]
}

func isIdentByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-'
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// version is the Version w's first n numbers give (the others 0), with its
// prerelease; orig names it in errors.
func (w written) version(n int, orig string) (Version, error) {
	var v Version
	for i, dst := range []*uint64{&v.major, &v.minor, &v.patch}[:n] {
		x, err := strconv.ParseUint(w.nums[i], 10, 64)
		if err != nil {
			return Version{}, fmt.Errorf("%q: version number %s is out of range", clip(orig), w.nums[i])
		}
		*dst = x
	}
	if w.pre != "" {
		for _, id := range strings.Split(w.pre, ".") {
			if len(id) > 1 && id[0] == '0' && allDigits(id) {
				return Version{}, fmt.Errorf("%q: prerelease identifier %s starts with 0", clip(orig), id)
			}
		}
	}
	v.pre = w.pre
	return v, nil
}

// Compare orders v and o by major, minor and patch number, then by
// prerelease: a version without one is above those with one, and two
// prereleases compare identifier by identifier (numbers numerically and
// below words, words in ASCII order; a shorter list, equal so far, first).
func (v Version) Compare(o Version) int {
	for _, d := range [...][2]uint64{{v.major, o.major}, {v.minor, o.minor}, {v.patch, o.patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case v.pre == o.pre:
		return 0
	case v.pre == "":
		return 1
	case o.pre == "":
		return -1
	}
	return comparePrerelease(v.pre, o.pre)
}

func comparePrerelease(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y string
		if i < len(as) {
			x = as[i]
		}
		if i < len(bs) {
			y = bs[i]
		}
		if c := compareIdentifier(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// compareIdentifier orders two prerelease identifiers, "" (missing) first.
// An identifier counts as a number when it is one that fits 64 bits.
func compareIdentifier(x, y string) int {
	if x == y {
		return 0
	}
	if x == "" {
		return -1
	}
	if y == "" {
		return 1
	}
	xn, xerr := strconv.ParseUint(x, 10, 64)
	yn, yerr := strconv.ParseUint(y, 10, 64)
	switch {
	case xerr != nil && yerr != nil:
		return strings.Compare(x, y)
	case xerr != nil:
		return 1 // a word is above a number
	case yerr != nil:
		return -1
	case xn > yn:
		return 1
	}
	return -1
}

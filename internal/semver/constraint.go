package semver

import (
	"fmt"
	"strings"
)

// Limits on a constraint, as in Masterminds.
const (
	maxConstraintLen = 512
	maxGroups        = 32
)

// Constraint is a parsed version constraint: alternatives ("||"), each a
// list of conditions that must all hold.
type Constraint struct {
	groups []group
}

type group struct {
	conds []cond
	// pre: a condition names a prerelease, so prerelease versions may
	// match this alternative; otherwise they never do.
	pre bool
}

// op is a condition's comparison.
type op uint8

const (
	opEqual op = iota // "", "=": equal, or within a wildcard's range
	opNotEqual
	opGreater
	opLess
	opGreaterEqual
	opLessEqual
	opTilde // "~", "~>": same major and minor (same major for "~1")
	opCaret // "^": same leftmost non-zero number
)

// ops are the operators as written, longest first where one begins
// another.
var ops = [...]struct {
	text string
	op   op
}{
	{"!=", opNotEqual}, {">=", opGreaterEqual}, {"=>", opGreaterEqual},
	{"<=", opLessEqual}, {"=<", opLessEqual}, {"~>", opTilde},
	{">", opGreater}, {"<", opLess}, {"=", opEqual}, {"~", opTilde}, {"^", opCaret},
}

// cond is one condition: op against v, where the version written may end
// in wildcards (or stop early: "1.2" is 1.2.x). v has zeros in their
// place; wild is how many numbers were exact (3: none was a wildcard).
type cond struct {
	op   op
	v    Version
	wild int
}

// ParseConstraint reads a constraint: alternatives separated by "||",
// each one or more conditions separated by spaces or a comma. A condition
// is an operator (=, !=, >, <, >=, <=, ~, ~>, ^; none means =) and a
// version whose numbers may be x, X or * ("1.x", "2.*"); "A - B" is a
// range (>= A, <= B). A prerelease version matches only an alternative
// that names a prerelease itself.
//
// Masterminds reads a few malformed constraints that it documents nowhere
// (characters after a wildcard such as "x.1x", a hyphen range touching
// "||"); ferry rejects those rather than guess what they mean.
func ParseConstraint(s string) (*Constraint, error) {
	if len(s) > maxConstraintLen {
		return nil, fmt.Errorf("longer than %d bytes", maxConstraintLen)
	}
	alts := strings.Split(s, "||")
	if len(alts) > maxGroups {
		return nil, fmt.Errorf("more than %d alternatives (||)", maxGroups)
	}
	c := &Constraint{}
	for i, a := range alts {
		g, err := parseGroup(a, i > 0, i < len(alts)-1)
		if err != nil {
			return nil, err
		}
		c.groups = append(c.groups, g)
	}
	return c, nil
}

// parseGroup reads one alternative; afterBars and beforeBars say whether
// "||" precedes or follows it.
func parseGroup(s string, afterBars, beforeBars bool) (group, error) {
	var g group
	p := trimSpace(s)
	spaced := len(p) < len(s) // whitespace before the condition at p
	rangeOK := true           // a range may start at p
	for {
		o, written, q := readOp(p)
		named := written != ""
		q = trimSpace(q)
		w, rest := scan(q, true)
		switch {
		case w.nums != nil:
		case p == "":
			return group{}, fmt.Errorf("a condition is missing")
		case named:
			return group{}, fmt.Errorf("%q after %s is not a version", clip(q), written)
		default:
			return group{}, fmt.Errorf("%q is not an operator and a version", clip(p))
		}
		hi, after, isRange := hyphenRange(rest)
		if isRange && !named {
			// Masterminds rewrites "A - B" as ">= A, <= B " in the
			// text first: a range must start the alternative, or follow
			// a comma or another range, and keep away from "||" (it
			// reads a version across the bars).
			switch {
			case !rangeOK:
				return group{}, fmt.Errorf("range %q must come first or after a comma", clip(q))
			case len(g.conds) == 0 && afterBars && !spaced, after == "" && beforeBars:
				return group{}, fmt.Errorf("a range next to || needs a space between them")
			case after != "" && isWildByte(after[0]):
				return group{}, fmt.Errorf("%q after a range is not a version", clip(after))
			}
			if err := g.add(opGreaterEqual, w); err != nil {
				return group{}, err
			}
			if err := g.add(opLessEqual, hi); err != nil {
				return group{}, err
			}
			// What follows needs no separator: the rewrite ends in one.
			p = trimSpace(after)
			if strings.HasPrefix(p, ",") {
				p = trimSpace(p[1:])
				if p == "" {
					return group{}, fmt.Errorf("a condition is missing after a comma")
				}
			}
			if p == "" {
				return g, nil
			}
			spaced, rangeOK = true, true
			continue
		}
		if err := g.add(o, w); err != nil {
			return group{}, err
		}
		next := trimSpace(rest)
		spaced, rangeOK = len(next) < len(rest), false
		if strings.HasPrefix(next, ",") {
			next, rangeOK = trimSpace(next[1:]), true
			if next == "" {
				return group{}, fmt.Errorf("a condition is missing after a comma")
			}
		}
		switch {
		case next == "":
			return g, nil
		case !spaced && !rangeOK:
			return group{}, fmt.Errorf("unexpected %q after %q (conditions are separated by spaces or a comma)", clip(rest), w.raw)
		}
		p = next
	}
}

// add appends the condition o w to g.
func (g *group) add(o op, w written) error {
	c, err := newCond(o, w)
	if err != nil {
		return err
	}
	g.conds = append(g.conds, c)
	g.pre = g.pre || c.v.pre != ""
	return nil
}

// newCond reads w as a condition's version: up to the first wildcard (or
// the first missing number), the rest read as 0 and the metadata dropped.
func newCond(o op, w written) (cond, error) {
	exact := len(w.nums)
	for i, n := range w.nums {
		if isWildcard(n) {
			exact = i
			break
		}
	}
	// Masterminds reads the version up to the wildcard as text of its own
	// ("1.2.0-pre" for "1.2.x-pre"), within its length limit.
	n := len(w.raw)
	if exact < 3 {
		n = len("0.0.0") + len(w.pre)
		if w.pre != "" {
			n++
		}
		for _, x := range w.nums[:exact] {
			n += len(x) - 1
		}
	}
	if n > maxVersionLen {
		return cond{}, fmt.Errorf("%q: version longer than %d bytes", clip(w.raw), maxVersionLen)
	}
	v, err := w.version(exact, w.raw)
	if err != nil {
		return cond{}, err
	}
	return cond{op: o, v: v, wild: exact}, nil
}

// readOp reads the operator at the start of s: the condition's op, the
// operator as written ("" for none) and what follows.
func readOp(s string) (op, string, string) {
	for _, x := range ops {
		if strings.HasPrefix(s, x.text) {
			return x.op, x.text, s[len(x.text):]
		}
	}
	return opEqual, "", s
}

// hyphenRange reads " - B" (whitespace on both sides of the hyphen) from
// the start of s: B and what follows it.
func hyphenRange(s string) (written, string, bool) {
	p := trimSpace(s)
	if len(p) == len(s) || !strings.HasPrefix(p, "-") {
		return written{}, "", false
	}
	q := trimSpace(p[1:])
	if len(q) == len(p)-1 {
		return written{}, "", false
	}
	w, rest := scan(q, true)
	if w.nums == nil {
		return written{}, "", false
	}
	return w, rest, true
}

// isWildByte: Masterminds reads c as part of a version number before it.
func isWildByte(c byte) bool {
	return c >= '0' && c <= '9' || c == 'x' || c == 'X' || c == '*' || c == '|'
}

// trimSpace drops leading whitespace as regular expressions' \s sees it.
func trimSpace(s string) string {
	return strings.TrimLeft(s, " \t\n\f\r")
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Check reports whether v satisfies c: every condition of one of its
// alternatives.
func (c *Constraint) Check(v Version) bool {
	for _, g := range c.groups {
		if v.pre != "" && !g.pre {
			continue
		}
		ok := true
		for _, cd := range g.conds {
			if !cd.holds(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// holds reports whether v satisfies the condition, with Masterminds'
// reading of wildcards: "1.2" and "1.2.x" are the 1.2 series, "1" and
// "1.x" the 1 series, "x" anything.
func (c cond) holds(v Version) bool {
	minorWild, patchWild := c.wild == 1, c.wild == 2 // "1.x", "1.2.x"
	wild := c.wild < 3
	switch c.op {
	case opEqual:
		if wild {
			return c.tilde(v)
		}
		return v.Compare(c.v) == 0
	case opNotEqual:
		if wild {
			switch {
			case v.major != c.v.major:
				return true
			case minorWild:
				return false
			case v.minor != c.v.minor:
				return true
			case patchWild:
				if v.pre != "" || c.v.pre != "" {
					return comparePrerelease(v.pre, c.v.pre) != 0
				}
				return false
			case v.patch != c.v.patch:
				return true
			}
		}
		return v.Compare(c.v) != 0
	case opGreater:
		if wild {
			switch {
			case v.major != c.v.major:
				return v.major > c.v.major
			case minorWild:
				return false
			case patchWild:
				return v.minor > c.v.minor
			}
		}
		return v.Compare(c.v) > 0
	case opLess:
		return v.Compare(c.v) < 0
	case opGreaterEqual:
		return v.Compare(c.v) >= 0
	case opLessEqual:
		if !wild {
			return v.Compare(c.v) <= 0
		}
		return v.major < c.v.major || v.major == c.v.major && (minorWild || v.minor <= c.v.minor)
	case opTilde:
		return c.tilde(v)
	case opCaret:
		return c.caret(v)
	}
	return false
}

// tilde: at least c.v, in the same major and minor series (the same major
// for "~1" or "~1.x"); "~0", "~x": anything from c.v up.
func (c cond) tilde(v Version) bool {
	if v.Compare(c.v) < 0 {
		return false
	}
	if c.v.major == 0 && c.v.minor == 0 && c.v.patch == 0 && c.wild != 1 && c.wild != 2 {
		return true
	}
	return v.major == c.v.major && (c.wild == 1 || v.minor == c.v.minor)
}

// caret: at least c.v, with the same leftmost non-zero number ("^1.2": 1.x,
// "^0.2": 0.2.x, "^0.0.3": 0.0.3 only).
func (c cond) caret(v Version) bool {
	if v.Compare(c.v) < 0 {
		return false
	}
	switch {
	case c.v.major > 0 || c.wild == 1:
		return v.major == c.v.major
	case v.major > 0:
		return false
	case c.v.minor > 0 || c.wild == 2:
		return v.minor == c.v.minor
	case v.minor > 0:
		return false
	}
	return v.patch == c.v.patch
}

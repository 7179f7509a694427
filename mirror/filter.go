package mirror

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/semver"
)

// AnchorTagPattern compiles a --include-tag or --exclude-tag pattern so
// that it must match the whole tag: "3.20" matches the tag 3.20 (and
// 3x20, "." being any character) but not 3.20.1 or v3.20. Write ".*" where
// more may follow ("3\.20.*"). Patterns are RE2 (Go's regexp). YAML's
// images-by-tag-regex stays unanchored, as in skopeo.
func AnchorTagPattern(flag, pattern string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %q is not a valid regular expression: %v", errdefs.ErrInvalidArgument, flag, pattern, unwrapRegexp(err))
	}
	return re, nil
}

// unwrapRegexp keeps regexp's own explanation ("missing closing ]")
// without the pattern it repeats.
func unwrapRegexp(err error) error {
	var e *syntax.Error
	if errors.As(err, &e) {
		return errors.New(string(e.Code))
	}
	return err
}

// keep reports whether tag passes Include and Exclude.
func (f *Filter) keep(tag string) bool {
	if f.Include != nil && !f.Include.MatchString(tag) {
		return false
	}
	return f.Exclude == nil || !f.Exclude.MatchString(tag)
}

// newest returns the n tags with the highest semantic versions, highest
// first; tags that do not parse as versions are dropped. Equal versions
// ("1.0" and "1.0.0") are ordered by tag, so the choice is deterministic.
func newest(tags []string, n int) []string {
	type tv struct {
		tag string
		v   semver.Version
	}
	var vs []tv
	for _, t := range tags {
		if v, err := semver.Parse(t); err == nil {
			vs = append(vs, tv{t, v})
		}
	}
	slices.SortStableFunc(vs, func(a, b tv) int {
		if c := b.v.Compare(a.v); c != 0 {
			return c
		}
		return cmpString(a.tag, b.tag)
	})
	out := make([]string, 0, min(n, len(vs)))
	for _, x := range vs[:min(n, len(vs))] {
		out = append(out, x.tag)
	}
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// semverMatcher is a YAML images-by-semver selector: tags that parse as
// semantic versions (a leading "v" allowed, as skopeo reads them) and
// satisfy the constraint.
func semverMatcher(constraint string) (func(string) bool, error) {
	c, err := semver.ParseConstraint(constraint)
	if err != nil {
		return nil, err
	}
	return func(tag string) bool {
		v, err := semver.Parse(tag)
		return err == nil && c.Check(v)
	}, nil
}

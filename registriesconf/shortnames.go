package registriesconf

import (
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
)

// ShortName is what a name typed by a user resolves to, as podman
// resolves it (containers/image pkg/shortnames).
type ShortName struct {
	// Candidates are the fully qualified names to try, in order (one for
	// a fully qualified name or an alias). Each carries the tag or digest
	// typed, or ":latest".
	Candidates []reference.Named
	// Alias: the name resolved through [aliases].
	Alias bool
	// Choose: the caller should ask the user to pick one candidate (a
	// terminal is there, several search registries could serve the name,
	// and short-name-mode is enforcing or permissive).
	Choose bool
	// Origin is the file the alias or the search list came from.
	Origin string
}

// ResolveShortName resolves s ("alpine:3.20", "library/alpine",
// "quay.io/x/y"). A fully qualified name is itself. A short name is
// looked up in [aliases] (tag and digest kept); else every
// unqualified-search-registries entry makes a candidate. With more than
// one, short-name-mode decides: disabled tries them all; with a terminal,
// enforcing and permissive ask (Choose); without one, permissive tries
// them all and enforcing refuses the name.
func (c *Config) ResolveShortName(s string, terminal bool) (*ShortName, error) {
	m, err := c.get()
	if err != nil {
		return nil, err
	}
	typed, err := reference.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", errdefs.ErrInvalidReference, s, err)
	}
	if !isShort(typed) {
		n, err := reference.ParseNormalizedNamed(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", errdefs.ErrInvalidReference, s, err)
		}
		return &ShortName{Candidates: []reference.Named{reference.TagNameOnly(n)}}, nil
	}
	if a, ok := m.aliases[typed.Name()]; ok && a.value != nil {
		n, err := withTagOrDigest(a.value, typed)
		if err != nil {
			return nil, err
		}
		return &ShortName{Candidates: []reference.Named{n}, Alias: true, Origin: a.origin}, nil
	}
	if len(m.search) == 0 {
		where := "no registries.conf was found"
		switch {
		case m.searchOrigin != "":
			where = "no unqualified-search-registries are set in " + m.searchOrigin
		case len(m.files) > 0:
			where = "no unqualified-search-registries are set in " + strings.Join(m.files, ", ")
		}
		return nil, fmt.Errorf("%w: short name %q matches no alias and %s; use a fully qualified name", errdefs.ErrInvalidReference, s, where)
	}
	res := &ShortName{Origin: m.searchOrigin}
	for _, reg := range m.search {
		n, err := reference.ParseNormalizedNamed(reg + "/" + s)
		if err != nil {
			return nil, fmt.Errorf("%w: %q with search registry %s: %v", errdefs.ErrInvalidReference, s, reg, err)
		}
		res.Candidates = append(res.Candidates, reference.TagNameOnly(n))
	}
	mode := m.mode
	if mode == "" {
		mode = Permissive
	}
	if mode == Disabled || len(res.Candidates) == 1 {
		return res, nil
	}
	switch {
	case terminal:
		res.Choose = true
	case mode == Enforcing:
		return nil, fmt.Errorf("%w: short name %q could come from any of %s, and short-name-mode is enforcing (%s) with no terminal to ask which; use a fully qualified name",
			errdefs.ErrInvalidReference, s, strings.Join(m.search, ", "), m.modeOrigin)
	}
	return res, nil
}

// withTagOrDigest gives the alias value the tag or digest typed, or
// ":latest".
func withTagOrDigest(value, typed reference.Named) (reference.Named, error) {
	s := value.Name()
	if t := reference.Tag(typed); t != "" {
		s += ":" + t
	}
	if d := reference.Digest(typed); d != "" {
		s += "@" + d.String()
	}
	n, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", errdefs.ErrInvalidReference, s, err)
	}
	return reference.TagNameOnly(n), nil
}

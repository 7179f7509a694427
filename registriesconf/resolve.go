package registriesconf

import (
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
)

// Source is one place an image is pulled from.
type Source struct {
	// Name is the image's name there: the name asked for, with the
	// matching prefix replaced by the mirror's or the registry's location.
	Name reference.Named
	// Insecure allows plain HTTP and unverified TLS for it.
	Insecure bool
	// Mirror tells a mirror from the primary location.
	Mirror bool
}

// Resolution is what the configuration says about one image name.
type Resolution struct {
	// Sources are where the image is pulled from, in order: the mirrors
	// that serve this kind of pull (by tag or by digest), then the primary
	// location; blocked ones are left out. Empty when all are blocked.
	Sources []Source
	// Blocked: the name's registry is blocked (pulls only through
	// mirrors, pushes refused).
	Blocked bool
	// Push is where pushes (and every access other than a pull of one
	// image: tag lists, deletes) go: the name itself, unrewritten, as
	// containers/image does.
	Push Source
	// Registry is the [[registry]] table that matched, nil when none did.
	Registry *Registry
}

// Resolve says where name (fully qualified, with a tag or digest, or
// neither) is pulled from and pushed to.
func (c *Config) Resolve(name reference.Named) (*Resolution, error) {
	m, err := c.get()
	if err != nil {
		return nil, err
	}
	ref := name.String()
	res := &Resolution{Push: Source{Name: name}}
	reg := m.find(ref)
	if reg == nil {
		res.Sources = []Source{{Name: name}}
		return res, nil
	}
	res.Registry, res.Blocked, res.Push.Insecure = reg, reg.Blocked, reg.Insecure
	digested := reference.Digest(name) != ""
	for _, mi := range reg.Mirrors {
		if !mirrorServes(reg, mi, digested) {
			continue
		}
		n, err := rewrite(name, reg.Prefix, mi.Location)
		if err != nil {
			return nil, fmt.Errorf("%w: registries.conf %s: mirror %q: %v", errdefs.ErrInvalidArgument, reg.Origin, mi.Location, err)
		}
		if !m.blocked(n) {
			res.Sources = append(res.Sources, Source{Name: n, Insecure: mi.Insecure, Mirror: true})
		}
	}
	if !reg.Blocked {
		n, err := rewrite(name, reg.Prefix, reg.Location)
		if err != nil {
			return nil, fmt.Errorf("%w: registries.conf %s: location %q: %v", errdefs.ErrInvalidArgument, reg.Origin, reg.Location, err)
		}
		if !m.blocked(n) {
			res.Sources = append(res.Sources, Source{Name: n, Insecure: reg.Insecure})
		}
	}
	return res, nil
}

// mirrorServes reports whether mi serves a pull by digest (digested) or
// by tag: mirror-by-digest-only on the registry, else the mirror's
// pull-from-mirror, decides.
func mirrorServes(reg *Registry, mi Mirror, digested bool) bool {
	switch {
	case reg.MirrorByDigestOnly:
		return digested
	case mi.PullFromMirror == MirrorDigestOnly:
		return digested
	case mi.PullFromMirror == MirrorTagOnly:
		return !digested
	}
	return true
}

// blocked reports whether the place n names (a mirror, or a rewritten
// location) is itself blocked by the table matching it, as
// containers/image checks each place it contacts.
func (m *merged) blocked(n reference.Named) bool {
	r := m.find(n.String())
	return r != nil && r.Blocked
}

// PullSources is Resolve's Sources, or an error when every source is
// blocked.
func (c *Config) PullSources(name reference.Named) ([]Source, error) {
	res, err := c.Resolve(name)
	if err != nil {
		return nil, err
	}
	if len(res.Sources) == 0 {
		return nil, blockedError(res.Registry)
	}
	return res.Sources, nil
}

// Endpoint says how to reach the registry of name for anything but a pull
// through mirrors (a push, a tag list, a delete, or one pull source):
// whether it is insecure, or an error when it is blocked.
func (c *Config) Endpoint(name reference.Named) (insecure bool, err error) {
	m, err := c.get()
	if err != nil {
		return false, err
	}
	reg := m.find(name.String())
	if reg == nil {
		return false, nil
	}
	if reg.Blocked {
		return false, blockedError(reg)
	}
	return reg.Insecure, nil
}

// blockedError is the refusal of a blocked registry (the caller names the
// image).
func blockedError(reg *Registry) error {
	return fmt.Errorf("%w: the registry %s is blocked in registries.conf (%s)", errdefs.ErrDenied, reg.Prefix, reg.Origin)
}

// rewrite replaces the prefix of name by location; an empty location (a
// wildcard prefix) leaves name as it is.
func rewrite(name reference.Named, prefix, location string) (reference.Named, error) {
	if location == "" {
		return name, nil
	}
	ref := name.String()
	n := matchLen(ref, prefix)
	if n < 0 {
		return nil, fmt.Errorf("prefix %q does not match %s", prefix, ref)
	}
	out, err := reference.ParseNormalizedNamed(location + ref[n:])
	if err != nil {
		return nil, fmt.Errorf("rewriting %s: %v", ref, err)
	}
	return out, nil
}

// Package reference parses Docker image names the way `docker pull` does
// and answers the questions ferry asks of them: which host serves the
// registry, which repository, which tag or digest.
package reference

import (
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
)

// Named is a parsed image name: a registry domain, a repository path, and
// a tag, a digest, both or neither. Only this package makes them.
type Named interface {
	// Name is the domain and path: "docker.io/library/nginx".
	Name() string
	// String is the whole name: "docker.io/library/nginx:1.27".
	String() string
	parts() name
}

// name is the one implementation of Named.
type name struct {
	domain, path, tag string
	dig               digest.Digest
}

func (n name) parts() name { return n }

func (n name) Name() string {
	if n.domain == "" {
		return n.path
	}
	return n.domain + "/" + n.path
}

func (n name) String() string {
	s := n.Name()
	if n.tag != "" {
		s += ":" + n.tag
	}
	if n.dig != "" {
		s += "@" + n.dig.String()
	}
	return s
}

// DockerHubDomain is the name Docker gives its public registry.
const DockerHubDomain = "docker.io"

// DockerHubHost is the host that actually serves docker.io's registry API.
const DockerHubHost = "registry-1.docker.io"

// legacyHubDomain is Docker Hub's old name, normalized to docker.io.
const legacyHubDomain = "index.docker.io"

// officialPrefix is the namespace of Docker Hub's official images.
const officialPrefix = "library/"

// defaultTag is what a name without tag or digest is pulled as.
const defaultTag = "latest"

// ParseNamed parses an image name as Docker does: "nginx" becomes
// "docker.io/library/nginx", and a name with neither tag nor digest gets
// ":latest" when defaultTag is set.
func ParseNamed(s string, defaultTag bool) (Named, error) {
	n, err := ParseNormalizedNamed(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", errdefs.ErrInvalidReference, Redact(s), err)
	}
	if defaultTag {
		n = TagNameOnly(n)
	}
	return n, nil
}

// ParseNormalizedNamed parses s as Docker does, with no default tag:
// "nginx" is "docker.io/library/nginx", "localhost/app" keeps its
// domain, and "team/app" is on Docker Hub. The error is the grammar's
// alone; ParseNamed adds the name.
func ParseNormalizedNamed(s string) (Named, error) {
	if isIdentifier(s) {
		return nil, errIdentifier
	}
	domain, rest := splitDomain(s)
	repo := rest
	if c := strings.IndexByte(rest, ':'); c >= 0 {
		repo = rest[:c]
	}
	if strings.ToLower(repo) != repo {
		return nil, fmt.Errorf("invalid reference format: repository name (%s) must be lowercase", repo)
	}
	n, err := split(domain + "/" + rest)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// splitDomain tells the registry from the rest of a name as Docker does:
// the first component is a registry when it is "localhost", holds a "."
// or a ":", or has capitals (which no repository path may have);
// otherwise the name is on Docker Hub, where a one-component name is an
// official image under library/.
func splitDomain(s string) (domain, rest string) {
	first, more, ok := strings.Cut(s, "/")
	switch {
	case !ok:
		domain, rest = DockerHubDomain, s
	case first == legacyHubDomain:
		domain, rest = DockerHubDomain, more
	case first == "localhost", strings.ContainsAny(first, ".:"), strings.ToLower(first) != first:
		domain, rest = first, more
	default:
		domain, rest = DockerHubDomain, s
	}
	if domain == DockerHubDomain && !strings.Contains(rest, "/") {
		rest = officialPrefix + rest
	}
	return domain, rest
}

// Parse parses s by the grammar alone, without Docker's normalization:
// "alpine" has no domain, and "foo/bar" has the domain "foo". It is for
// names that must be judged as written (registries.conf short names).
func Parse(s string) (Named, error) {
	n, err := split(s)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// ParseRepository parses a name that must carry neither tag nor digest
// (list-tags, sync sources).
func ParseRepository(s string) (Named, error) {
	n, err := ParseNamed(s, false)
	if err != nil {
		return nil, err
	}
	if !IsNameOnly(n) {
		return nil, fmt.Errorf("%w: %q: a repository name must not have a tag or digest", errdefs.ErrInvalidReference, Redact(s))
	}
	return n, nil
}

// ValidDomain reports whether s is a registry as an image name writes it:
// host[:port], the host a DNS name, an IPv4 address or a bracketed IPv6
// address.
func ValidDomain(s string) bool { return isDomain(s) }

// Domain returns the registry name of n as written (docker.io,
// localhost:5000); "" for a name parsed by Parse without one.
func Domain(n Named) string { return n.parts().domain }

// Path returns the repository path inside the registry (library/nginx).
func Path(n Named) string { return n.parts().path }

// RegistryHost returns the host:port that serves n's registry API.
// docker.io is served by registry-1.docker.io.
func RegistryHost(n Named) string {
	d := Domain(n)
	if d == DockerHubDomain || d == legacyHubDomain {
		return DockerHubHost
	}
	return d
}

// Tag returns n's tag, or "" when it has none.
func Tag(n Named) string { return n.parts().tag }

// Digest returns n's digest, or "" when it has none.
func Digest(n Named) digest.Digest { return n.parts().dig }

// IsNameOnly reports whether n has neither tag nor digest.
func IsNameOnly(n Named) bool { p := n.parts(); return p.tag == "" && p.dig == "" }

// TagNameOnly gives a name with neither tag nor digest the tag "latest".
func TagNameOnly(n Named) Named {
	if !IsNameOnly(n) {
		return n
	}
	p := n.parts()
	p.tag = defaultTag
	return p
}

// FamiliarName renders n's repository as Docker shows it to people:
// "nginx" for "docker.io/library/nginx", "team/app" for
// "docker.io/team/app".
func FamiliarName(n Named) string {
	p := n.parts()
	if p.domain != DockerHubDomain {
		return p.Name()
	}
	if rest, ok := strings.CutPrefix(p.path, officialPrefix); ok && !strings.Contains(rest, "/") {
		return rest
	}
	return p.path
}

// Familiar renders n as Docker shows it to people: "nginx:1.17.6" for
// "docker.io/library/nginx:1.17.6".
func Familiar(n Named) string {
	p := n.parts()
	return name{path: FamiliarName(n), tag: p.tag, dig: p.dig}.String()
}

// WithTag returns n's repository with tag t.
func WithTag(n Named, t string) (Named, error) {
	if !isTag(t) {
		return nil, fmt.Errorf("%w: tag %q: %v", errdefs.ErrInvalidReference, t, errTag)
	}
	p := TrimNamed(n).parts()
	p.tag = t
	return p, nil
}

// WithDigest returns n's repository with digest d.
func WithDigest(n Named, d digest.Digest) (Named, error) {
	if !isDigest(string(d)) {
		return nil, fmt.Errorf("%w: digest %q: %v", errdefs.ErrInvalidReference, d, errDigest)
	}
	p := TrimNamed(n).parts()
	p.dig = d
	return p, nil
}

// TrimNamed strips tag and digest.
func TrimNamed(n Named) Named {
	p := n.parts()
	return name{domain: p.domain, path: p.path}
}

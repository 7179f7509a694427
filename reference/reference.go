// Package reference parses Docker image names the way `docker pull` does,
// on top of github.com/distribution/reference, and answers the questions
// ferry asks of them: which host serves the registry, which repository,
// which tag or digest.
package reference

import (
	"fmt"

	dref "github.com/distribution/reference"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
)

// Named is a normalized Docker image name (docker.io/library/nginx, ...).
type Named = dref.Named

// DockerHubDomain is the name Docker gives its public registry.
const DockerHubDomain = "docker.io"

// DockerHubHost is the host that actually serves docker.io's registry API.
const DockerHubHost = "registry-1.docker.io"

// ParseNamed parses an image name as Docker does: "nginx" becomes
// "docker.io/library/nginx", and a name with neither tag nor digest gets
// ":latest" when defaultTag is set.
func ParseNamed(s string, defaultTag bool) (Named, error) {
	n, err := dref.ParseNormalizedNamed(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", errdefs.ErrInvalidReference, Redact(s), err)
	}
	if defaultTag {
		n = dref.TagNameOnly(n)
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
	if !dref.IsNameOnly(n) {
		return nil, fmt.Errorf("%w: %q: a repository name must not have a tag or digest", errdefs.ErrInvalidReference, Redact(s))
	}
	return n, nil
}

// Domain returns the registry name of n as written (docker.io, localhost:5000).
func Domain(n Named) string { return dref.Domain(n) }

// Path returns the repository path inside the registry (library/nginx).
func Path(n Named) string { return dref.Path(n) }

// RegistryHost returns the host:port that serves n's registry API.
// docker.io is served by registry-1.docker.io.
func RegistryHost(n Named) string {
	d := dref.Domain(n)
	if d == DockerHubDomain || d == "index.docker.io" {
		return DockerHubHost
	}
	return d
}

// Tag returns n's tag, or "" when it has none.
func Tag(n Named) string {
	if t, ok := n.(dref.Tagged); ok {
		return t.Tag()
	}
	return ""
}

// Digest returns n's digest, or "" when it has none.
func Digest(n Named) digest.Digest {
	if c, ok := n.(dref.Canonical); ok {
		return c.Digest()
	}
	return ""
}

// Familiar renders n as Docker shows it to people: "nginx:1.17.6" for
// "docker.io/library/nginx:1.17.6".
func Familiar(n Named) string { return dref.FamiliarString(n) }

// WithTag returns n's repository with tag t.
func WithTag(n Named, t string) (Named, error) {
	out, err := dref.WithTag(dref.TrimNamed(n), t)
	if err != nil {
		return nil, fmt.Errorf("%w: tag %q: %v", errdefs.ErrInvalidReference, t, err)
	}
	return out, nil
}

// WithDigest returns n's repository with digest d.
func WithDigest(n Named, d digest.Digest) (Named, error) {
	out, err := dref.WithDigest(dref.TrimNamed(n), d)
	if err != nil {
		return nil, fmt.Errorf("%w: digest %q: %v", errdefs.ErrInvalidReference, d, err)
	}
	return out, nil
}

// TrimNamed strips tag and digest.
func TrimNamed(n Named) Named { return dref.TrimNamed(n) }

package auth

import (
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
)

// dockerHubLegacyKey is the key Docker writes for Docker Hub in
// config.json, and the server name its credential helpers know it by.
const dockerHubLegacyKey = "https://index.docker.io/v1/"

// ParseKey reads the argument of a login or logout, as skopeo does: a
// registry host ("quay.io", "localhost:5000"), a URL of one (only its
// host counts), or a namespace or repository in it ("quay.io/team/app",
// which then gets credentials of its own). It returns the key the
// credentials are stored under and the registry host. A tag or digest is
// refused: credentials belong to repositories, not to images.
func ParseKey(arg string) (key, host string, err error) {
	s := arg
	if rest, ok := strings.CutPrefix(s, "https://"); ok {
		s, _, _ = strings.Cut(rest, "/")
	} else if rest, ok := strings.CutPrefix(s, "http://"); ok {
		s, _, _ = strings.Cut(rest, "/")
	}
	s = strings.TrimSuffix(s, "/")
	if s == "" {
		return "", "", fmt.Errorf("%w: no registry given (want a host such as quay.io or localhost:5000)", errdefs.ErrInvalidArgument)
	}
	host, _, namespaced := strings.Cut(s, "/")
	// A bare host is checked as the domain of a name in it: the grammar
	// of hosts and ports is the reference's.
	probe := s
	if !namespaced {
		probe = s + "/x"
	}
	n, err := reference.ParseNamed(probe, false)
	if err != nil || reference.Domain(n) != host && !(isDockerHub(host) && reference.Domain(n) == reference.DockerHubDomain) {
		return "", "", fmt.Errorf("%w: %q is not a registry or a repository in one (want quay.io, localhost:5000 or quay.io/team/app)", errdefs.ErrInvalidArgument, arg)
	}
	if !namespaced {
		return s, host, nil
	}
	if reference.Tag(n) != "" || reference.Digest(n) != "" {
		return "", "", fmt.Errorf("%w: %q names a tag or digest; credentials are for a registry or a repository (drop the :TAG or @DIGEST)", errdefs.ErrInvalidArgument, arg)
	}
	// docker.io/nginx is docker.io/library/nginx, where lookups look.
	return n.Name(), host, nil
}

// isDockerHub reports whether host is one of Docker Hub's names.
func isDockerHub(host string) bool { return normalizeHost(host) == reference.DockerHubDomain }

// isNamespaced reports whether key names a namespace or repository
// rather than a whole registry.
func isNamespaced(key string) bool { return strings.Contains(key, "/") }

// dockerKey is the key Docker's config.json uses for a host key: its
// historical URL for Docker Hub, the host for any other registry.
func dockerKey(key string) string {
	if isDockerHub(key) {
		return dockerHubLegacyKey
	}
	return key
}

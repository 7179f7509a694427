package registriesconf

import "strings"

// matchLen is how much of ref (a fully qualified name, possibly with tag
// or digest) prefix matches, or -1: ref must equal prefix or continue it
// with ":", "/" or "@". A "*.example.com" prefix matches any subdomain of
// example.com, and the match ends after the host.
func matchLen(ref, prefix string) int {
	if strings.HasPrefix(prefix, "*.") {
		return matchWildcard(ref, prefix[1:])
	}
	if !strings.HasPrefix(ref, prefix) {
		return -1
	}
	if len(ref) == len(prefix) {
		return len(prefix)
	}
	switch ref[len(prefix)] {
	case ':', '/', '@':
		return len(prefix)
	}
	return -1
}

// matchWildcard matches ref's host against ".example.com": the host must
// end with it (a subdomain, of any depth).
func matchWildcard(ref, suffix string) int {
	i := strings.Index(ref, suffix)
	if i <= 0 || strings.Contains(ref[:i], "/") {
		return -1
	}
	end := i + len(suffix)
	if end == len(ref) {
		return end
	}
	switch ref[end] {
	case ':', '/', '@':
		return end
	}
	return -1
}

// find is the registry whose prefix matches ref longest, or nil.
func (m *merged) find(ref string) *Registry {
	var best *Registry
	for i := range m.registries {
		r := &m.registries[i]
		if matchLen(ref, r.Prefix) >= 0 && (best == nil || len(r.Prefix) > len(best.Prefix)) {
			best = r
		}
	}
	return best
}

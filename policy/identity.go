package policy

import (
	"strings"

	"github.com/ferrytool/ferry/reference"
)

// matches reports whether a signature naming signed (a Docker reference
// as the payload carries it) is acceptable for an image whose own Docker
// reference is intended (nil for a source that has none, such as dir:).
func (id Identity) matches(intended reference.Named, signed string) bool {
	sig, err := reference.ParseNamed(signed, false)
	if err != nil {
		return false
	}
	switch id.Kind {
	case "matchExact":
		return intended != nil && !nameOnly(intended) && !nameOnly(sig) && sig.String() == intended.String()
	case "matchRepository":
		return intended != nil && sig.Name() == intended.Name()
	case "exactReference":
		return !nameOnly(sig) && sig.String() == id.DockerReference
	case "exactRepository":
		want, err := reference.ParseNamed(id.DockerRepository, false)
		return err == nil && sig.Name() == want.Name()
	case "remapIdentity":
		if intended == nil {
			return false
		}
		if remapped, ok := remap(intended, id.Prefix, id.SignedPrefix); ok {
			intended = remapped
		}
		return repoDigestOrExact(intended, sig)
	default: // matchRepoDigestOrExact
		return intended != nil && repoDigestOrExact(intended, sig)
	}
}

// repoDigestOrExact: an image named by digest accepts any signature for
// its repository (the digest is checked separately); one named by tag
// needs the exact name.
func repoDigestOrExact(intended, sig reference.Named) bool {
	if reference.Digest(intended) != "" && reference.Tag(intended) == "" {
		return sig.Name() == intended.Name()
	}
	if reference.Tag(intended) != "" {
		return !nameOnly(sig) && sig.String() == intended.String()
	}
	return false
}

func nameOnly(n reference.Named) bool { return reference.Tag(n) == "" && reference.Digest(n) == "" }

// remap replaces prefix by signedPrefix at the start of n, where prefix
// ends at a name-component boundary.
func remap(n reference.Named, prefix, signedPrefix string) (reference.Named, bool) {
	s := n.String()
	if !strings.HasPrefix(s, prefix) {
		return nil, false
	}
	if rest := s[len(prefix):]; rest != "" && !strings.ContainsAny(rest[:1], "/:@") {
		return nil, false
	}
	if len(s) > len(prefix) && s[len(prefix)] == ':' && !strings.Contains(prefix, "/") {
		return nil, false // host "a" must not match host "a:5000"
	}
	r, err := reference.ParseNamed(signedPrefix+s[len(prefix):], false)
	if err != nil {
		return nil, false
	}
	return r, true
}

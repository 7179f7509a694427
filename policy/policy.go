// Package policy reads and enforces a trust policy, containers-policy.json(5)
// as containers/image 5.42 reads it: which images may be copied from
// where, and which signatures they must carry. Evaluator plugs it into the
// copier as a copier.Policy.
package policy

import (
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
)

// Policy is a parsed policy.json.
type Policy struct {
	// Default applies where no transport scope matches.
	Default []Requirement
	// Transports maps a transport name ("docker", "dir", "oci", ...) to its
	// scopes; the scope "" applies to every image of the transport that no
	// more specific scope matches.
	Transports map[string]map[string][]Requirement
}

// Requirement is one entry of a requirements list; every one of a list
// must accept an image.
type Requirement interface {
	// Type is the requirement's "type" in policy.json.
	Type() string
}

// InsecureAcceptAnything accepts every image.
type InsecureAcceptAnything struct{}

// Reject refuses every image.
type Reject struct{}

// SignedBy requires a simple signing signature by one of the keys, whose
// identity matches SignedIdentity.
type SignedBy struct {
	KeyType string
	// Exactly one of KeyPath, KeyPaths and KeyData is set.
	KeyPath  string
	KeyPaths []string
	KeyData  []byte
	// SignedIdentity is the matchRepoDigestOrExact default when the file
	// does not say.
	SignedIdentity Identity
}

// SignedBaseLayer is parsed and, as in containers/image, always refuses.
type SignedBaseLayer struct {
	BaseLayerIdentity Identity
}

// SigstoreSigned requires a sigstore signature whose identity matches
// SignedIdentity, by one of the public keys (keyPath, keyPaths, keyData,
// keyDatas: PEM, the Data forms base64 of it) or by a certificate the
// Fulcio CA issued, or by a certificate of an organisation's PKI; Rekor
// public keys make a signed entry timestamp required (checked offline).
type SigstoreSigned struct {
	KeyPath, KeyData    string
	KeyPaths, KeyDatas  []string
	Fulcio              map[string]string
	PKI                 map[string]string
	RekorPublicKeyPath  string
	RekorPublicKeyPaths []string
	RekorPublicKeyData  string
	RekorPublicKeyDatas []string
	SignedIdentity      Identity
}

func (InsecureAcceptAnything) Type() string { return "insecureAcceptAnything" }
func (Reject) Type() string                 { return "reject" }
func (*SignedBy) Type() string              { return "signedBy" }
func (*SignedBaseLayer) Type() string       { return "signedBaseLayer" }
func (*SigstoreSigned) Type() string        { return "sigstoreSigned" }

// Identity is a signedIdentity: how the Docker reference a signature
// names must relate to the image being copied.
type Identity struct {
	// Kind is matchRepoDigestOrExact, matchExact, matchRepository,
	// exactReference, exactRepository or remapIdentity.
	Kind string
	// DockerReference (exactReference), DockerRepository
	// (exactRepository), Prefix and SignedPrefix (remapIdentity).
	DockerReference  string
	DockerRepository string
	Prefix           string
	SignedPrefix     string
}

// LoadError is a policy file that cannot be used, worded as
// containers/image words it.
type LoadError struct {
	Path string
	Err  error
}

func (e *LoadError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("invalid policy: %v", e.Err)
	}
	return fmt.Sprintf("invalid policy in %q: %v", e.Path, e.Err)
}

// Unwrap returns the reason and errdefs.ErrInvalidArgument.
func (e *LoadError) Unwrap() []error { return []error{e.Err, errdefs.ErrInvalidArgument} }

// invalid marks a policy file that cannot be read: it matches
// errdefs.ErrInvalidArgument and reads as the reason alone, as skopeo
// prints it after "Error loading trust policy: ".
func invalid(err error) error { return &invalidError{err} }

type invalidError struct{ err error }

func (e *invalidError) Error() string        { return e.err.Error() }
func (e *invalidError) Unwrap() error        { return e.err }
func (e *invalidError) Is(target error) bool { return target == errdefs.ErrInvalidArgument }

// Package lookaside reads and writes simple-signing signatures in a
// lookaside storage, the layout containers/image defines in
// docs/signature-protocols.md: signature N (from 1) of the manifest with
// digest ALGO:HEX is kept at BASE@ALGO=HEX/signature-N, BASE being the
// storage's URL with the repository path appended (what
// registriesd.Config.Lookaside returns). Readers stop at the first
// missing N. file:// storages are read and written; http:// and https://
// ones only read, without credentials (a lookaside is a plain web server,
// never the registry).
package lookaside

import (
	"fmt"
	"net/url"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
)

// Bounds on what a storage may serve, as containers/image bounds them: a
// server answering more is broken or hostile.
const (
	MaxSignatures    = 128
	MaxSignatureSize = 4 << 20
)

// SignatureURL is where signature i (from 0) of the manifest with digest d
// is kept under base.
func SignatureURL(base *url.URL, d digest.Digest, i int) (*url.URL, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%w: manifest digest %q: %v", errdefs.ErrInvalidArgument, d, err)
	}
	u := *base
	u.Path = fmt.Sprintf("%s@%s=%s/signature-%d", base.Path, d.Algorithm(), d.Encoded(), i+1)
	u.RawPath = ""
	return &u, nil
}

// Writable reports, as a sentence, why signatures cannot be written under
// base; nil when they can (a file:// storage).
func Writable(base *url.URL) error {
	switch base.Scheme {
	case "file":
		return nil
	case "http", "https":
		return fmt.Errorf("%w: writing directly to a %s lookaside %s is not supported; configure a lookaside-staging: location in registries.d",
			errdefs.ErrNotSupported, base.Scheme, base.Redacted())
	}
	return fmt.Errorf("%w: lookaside %s: unsupported URL scheme %q", errdefs.ErrNotSupported, base.Redacted(), base.Scheme)
}

package sigstore

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/signature"
	"github.com/ferrytool/ferry/transport"
)

// now is the clock payload timestamps come from.
var now = time.Now

// SignManifest makes a sigstore signature (in storage form, see Blob)
// saying man is the image identity names: a payload with the manifest's
// digest, the identity, ferry as creator and the time, signed with k.
func SignManifest(k *PrivateKey, man []byte, identity reference.Named) ([]byte, error) {
	if err := checkSignable(identity); err != nil {
		return nil, err
	}
	d, err := manifest.Digest(man)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errdefs.ErrInvalidManifest, err)
	}
	ts := now().Unix()
	payload, err := Payload{ManifestDigest: d, DockerReference: identity.String(), Creator: signature.Creator, Timestamp: &ts}.MarshalJSON()
	if err != nil {
		return nil, err
	}
	sig, err := signBytes(k, payload)
	if err != nil {
		return nil, fmt.Errorf("creating signature: %w", err)
	}
	return Signature{
		MIMEType:    MIMEType,
		Payload:     payload,
		Annotations: map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)},
	}.Blob()
}

// CopySigner signs the manifest a copy writes with a private key (it
// implements copier.Signer and copier.SignerChecker). Identity, when nil,
// is the destination's Docker reference.
type CopySigner struct {
	Key      *PrivateKey
	Identity reference.Named
}

// Sign signs man as written to dst.
func (c *CopySigner) Sign(_ context.Context, man []byte, dst transport.Reference) ([]byte, error) {
	id, err := signature.SignedIdentity(c.Identity, dst)
	if err != nil {
		return nil, err
	}
	return SignManifest(c.Key, man, id)
}

// CheckDestination refuses, before the copy starts, a destination with
// no identity to sign for.
func (c *CopySigner) CheckDestination(dst transport.Reference) error {
	id, err := signature.SignedIdentity(c.Identity, dst)
	if err != nil {
		return err
	}
	return checkSignable(id)
}

// checkSignable refuses a name without tag or digest, as containers/image
// does: a signature for a whole repository is cosign's habit, not one
// ferry imitates.
func checkSignable(id reference.Named) error {
	if reference.Tag(id) == "" && reference.Digest(id) == "" {
		return fmt.Errorf("%w: reference %s can't be signed, it has neither a tag nor a digest", errdefs.ErrInvalidArgument, id)
	}
	return nil
}

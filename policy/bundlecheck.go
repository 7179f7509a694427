package policy

import (
	"context"
	"errors"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/signature/sigstore"
	"github.com/ferrytool/ferry/transport"
)

// checkBundles accepts img when one of the Sigstore bundles attached to it
// (cosign 3's default signature form) verifies under r's trust (keys,
// or a Fulcio certificate and Rekor entry, or a PKI certificate, checked
// offline) for img's digest, and r's signedIdentity can match a bundle. It returns the
// reasons the bundles were refused and how many were not signatures
// (attestations).
//
// A bundle's in-toto statement names the image by digest alone: no
// repository, no tag. containers/image has no rule for that, so ferry
// takes the safe reading: a bundle's only identity is the repository it
// is stored in, which whoever can push there controls, and only
// matchRepository ("a signature for this image's repository") accepts
// it. Every other form refuses bundles: the default
// matchRepoDigestOrExact and matchExact would otherwise let a bundle for
// one repository vouch for a tag in another, and exactReference,
// exactRepository and remapIdentity name an identity the signer never
// wrote. A policy written for cosign's legacy signatures therefore
// accepts no more than before unless it says matchRepository.
func checkBundles(ctx context.Context, r *SigstoreSigned, trust sigstore.Trust, src transport.Reference, img copier.Instance) (ok bool, reasons []string, nonSignatures int) {
	if r.SignedIdentity.Kind != "matchRepository" || src.DockerReference() == nil {
		return false, nil, 0 // no bundle could be accepted: not even looked for
	}
	found, err := bundles(ctx, src, img)
	if err != nil {
		return false, []string{err.Error()}, 0
	}
	for _, b := range found {
		err := sigstore.VerifyBundle(b, img.Digest, trust)
		if errors.Is(err, sigstore.ErrNotSignature) {
			nonSignatures++
			continue
		}
		if err != nil {
			reasons = append(reasons, "Sigstore bundle: "+err.Error())
			continue
		}
		return true, nil, 0
	}
	return false, reasons, nonSignatures
}

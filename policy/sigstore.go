package policy

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/signature/sigstore"
	"github.com/ferrytool/ferry/transport"
)

// checkSigstore accepts the image when one of its sigstore signatures is
// by a key of r, for its manifest, with an identity r accepts, as
// containers/image's prSigstoreSigned decides. Simple signing signatures
// and attachments that are not signatures (attestations) do not count.
// When none of the legacy (.sig tag) signatures is accepted, the Sigstore
// bundles attached to the image as referrers are tried (checkBundles).
func (e *Evaluator) checkSigstore(ctx context.Context, r *SigstoreSigned, src transport.Reference, img copier.Instance) error {
	trust, err := e.sigstoreTrust(r)
	if err != nil {
		return err
	}
	var reasons []string
	nonSigstore, nonSignatures := 0, 0
	for _, sig := range img.Signatures {
		if !sigstore.IsBlob(sig) {
			nonSigstore++
			continue
		}
		p, err := sigstore.VerifyManifest(sig, img.Manifest, *trust)
		if errors.Is(err, sigstore.ErrNotSignature) {
			nonSignatures++
			continue
		}
		if err != nil {
			reasons = append(reasons, err.Error())
			continue
		}
		if !r.SignedIdentity.matches(src.DockerReference(), p.DockerReference) {
			reasons = append(reasons, fmt.Sprintf("Signature for identity %q is not accepted", p.DockerReference))
			continue
		}
		return nil
	}
	ok, why, skipped := checkBundles(ctx, r, *trust, src, img)
	if ok {
		return nil
	}
	reasons = append(reasons, why...)
	nonSignatures += skipped
	switch len(reasons) {
	case 0:
		if nonSigstore+nonSignatures == 0 {
			return denied("A signature was required, but no signature exists")
		}
		return denied("A signature was required, but no signature exists (%d non-sigstore signatures, %d sigstore non-signature attachments)", nonSigstore, nonSignatures)
	case 1:
		return denied("%s", reasons[0])
	}
	return denied("None of the signatures were accepted, reasons: %s", strings.Join(reasons, "; "))
}

// sigstoreTrust loads what r trusts once.
func (e *Evaluator) sigstoreTrust(r *SigstoreSigned) (*sigstore.Trust, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t, ok := e.sigstore[r]; ok {
		return t.trust, t.err
	}
	t, err := loadSigstoreTrust(r)
	e.sigstore[r] = sigstoreTrustOrErr{t, err}
	return t, err
}

type sigstoreTrustOrErr struct {
	trust *sigstore.Trust
	err   error
}

// loadSigstoreTrust reads the PEM public keys keyPath, keyPaths, keyData
// or keyDatas name (the Data forms base64 of the PEM), the Fulcio CA
// certificates and the Rekor public keys.
func loadSigstoreTrust(r *SigstoreSigned) (*sigstore.Trust, error) {
	var t sigstore.Trust
	keys, err := readPEMs(append(nonEmpty(r.KeyPath), r.KeyPaths...), append(nonEmpty(r.KeyData), r.KeyDatas...))
	if err != nil {
		return nil, err
	}
	for i, b := range keys {
		k, err := sigstore.ParsePublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("parsing public key %d: %w", i+1, err)
		}
		t.Keys = append(t.Keys, k)
	}
	rekor, err := readPEMs(append(nonEmpty(r.RekorPublicKeyPath), r.RekorPublicKeyPaths...), append(nonEmpty(r.RekorPublicKeyData), r.RekorPublicKeyDatas...))
	if err != nil {
		return nil, err
	}
	for i, b := range rekor {
		k, err := sigstore.ParsePublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("parsing Rekor public key %d: %w", i+1, err)
		}
		ec, ok := k.(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: Rekor public key %d is not using ECDSA", errdefs.ErrInvalidArgument, i+1)
		}
		t.RekorKeys = append(t.RekorKeys, ec)
	}
	if r.Fulcio != nil {
		ca, err := readPEMs(nonEmpty(r.Fulcio["caPath"]), nonEmpty(r.Fulcio["caData"]))
		if err != nil {
			return nil, err
		}
		if len(ca) != 1 {
			return nil, fmt.Errorf("%w: fulcio needs exactly one of caPath and caData", errdefs.ErrInvalidArgument)
		}
		pool, err := sigstore.ParseCertificatePool(ca[0])
		if err != nil {
			return nil, fmt.Errorf("%w: error loading Fulcio CA certificates: %v", errdefs.ErrInvalidArgument, err)
		}
		t.Fulcio = &sigstore.Fulcio{CAs: pool, Issuer: r.Fulcio["oidcIssuer"], Email: r.Fulcio["subjectEmail"]}
	}
	if r.PKI != nil {
		if t.PKI, err = loadPKI(r.PKI); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

// loadPKI reads pki's CA roots and intermediates.
func loadPKI(m map[string]string) (*sigstore.PKI, error) {
	p := &sigstore.PKI{Email: m["subjectEmail"], Hostname: m["subjectHostname"]}
	if p.Email == "" && p.Hostname == "" {
		return nil, fmt.Errorf("%w: pki needs subjectEmail or subjectHostname", errdefs.ErrInvalidArgument)
	}
	roots, err := readPEMs(nonEmpty(m["caRootsPath"]), nonEmpty(m["caRootsData"]))
	if err != nil {
		return nil, err
	}
	if len(roots) != 1 {
		return nil, fmt.Errorf("%w: pki needs exactly one of caRootsPath and caRootsData", errdefs.ErrInvalidArgument)
	}
	if p.Roots, err = sigstore.ParseCertificatePool(roots[0]); err != nil {
		return nil, fmt.Errorf("%w: error loading PKI CA roots: %v", errdefs.ErrInvalidArgument, err)
	}
	inter, err := readPEMs(nonEmpty(m["caIntermediatesPath"]), nonEmpty(m["caIntermediatesData"]))
	if err != nil {
		return nil, err
	}
	if len(inter) > 1 {
		return nil, fmt.Errorf("%w: pki takes one of caIntermediatesPath and caIntermediatesData", errdefs.ErrInvalidArgument)
	}
	if len(inter) == 1 {
		if p.Intermediates, err = sigstore.ParseCertificatePool(inter[0]); err != nil {
			return nil, fmt.Errorf("%w: error loading PKI intermediates: %v", errdefs.ErrInvalidArgument, err)
		}
	}
	return p, nil
}

// readPEMs reads the files paths and decodes the base64 datas.
func readPEMs(paths, datas []string) ([][]byte, error) {
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("%w: reading a file the policy names: %w", errdefs.ErrInvalidArgument, err)
		}
		out = append(out, b)
	}
	for _, d := range datas {
		b, err := base64.StdEncoding.DecodeString(d)
		if err != nil {
			return nil, fmt.Errorf("%w: key data is not base64: %v", errdefs.ErrInvalidArgument, err)
		}
		out = append(out, b)
	}
	return out, nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

package sigstore

import (
	"crypto"
	"crypto/x509"
	"slices"
)

// PKI trusts signatures whose certificate chains to an organisation's own
// CA (policy.json's pki), without Fulcio or Rekor: checked at the current
// time, for code signing, naming Email or Hostname (either may be empty,
// not both).
type PKI struct {
	Roots, Intermediates *x509.CertPool
	Email, Hostname      string
}

// verifyCertificate checks certPEM against p and returns its public key.
func (p *PKI) verifyCertificate(certPEM, chainPEM []byte) (crypto.PublicKey, error) {
	leaf, intermediates, err := leafAndChain(certPEM, chainPEM, p.Intermediates)
	if err != nil {
		return nil, err
	}
	return p.verifyLeaf(leaf, intermediates)
}

// verifyLeaf checks a parsed certificate against p, with intermediates
// (p's and the signature's) to build the chain, and returns its key.
func (p *PKI) verifyLeaf(leaf *x509.Certificate, intermediates *x509.CertPool) (crypto.PublicKey, error) {
	if _, err := leaf.Verify(x509.VerifyOptions{Intermediates: intermediates, Roots: p.Roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}); err != nil {
		return nil, denied("verifying the certificate failed: %v", err)
	}
	if p.Email != "" && !slices.Contains(leaf.EmailAddresses, p.Email) {
		return nil, denied("Required email %q not found (got %q)", p.Email, leaf.EmailAddresses)
	}
	if p.Hostname != "" {
		if err := leaf.VerifyHostname(p.Hostname); err != nil {
			return nil, denied("Unexpected subject hostname: %v", err)
		}
	}
	return leaf.PublicKey, nil
}

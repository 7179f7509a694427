package sigstore

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"slices"
	"time"
)

// Fulcio identifies keyless signers: a Fulcio CA issues a short-lived
// certificate to whoever proved an OpenID Connect identity, and a
// signature is trusted when its certificate chains to CAs, was valid when
// Rekor logged the signature, and names Issuer and Email. Checked offline,
// as containers/image checks it.
type Fulcio struct {
	CAs    *x509.CertPool
	Issuer string // the OIDC issuer URL the certificate must record
	Email  string // the e-mail address the certificate must hold
}

// The OIDC issuer extensions of Fulcio certificates: the first holds the
// URL as raw bytes, the second (current Fulcio) as a DER UTF8String.
var (
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
	oidSAN      = asn1.ObjectIdentifier{2, 5, 29, 17}
)

// verifyCertificate checks certPEM (one certificate) against f at time
// at, with chainPEM's certificates (all but the last, the root, which
// must be one of f.CAs) as intermediates, and returns its public key.
func (f *Fulcio) verifyCertificate(at time.Time, certPEM, chainPEM []byte) (crypto.PublicKey, error) {
	leaf, intermediates, err := leafAndChain(certPEM, chainPEM, nil)
	if err != nil {
		return nil, err
	}
	return f.verifyLeaf(at, leaf, intermediates)
}

// verifyLeaf checks a parsed certificate against f at time at, with
// intermediates (untrusted) to build the chain, and returns its key.
func (f *Fulcio) verifyLeaf(at time.Time, leaf *x509.Certificate, intermediates *x509.CertPool) (crypto.PublicKey, error) {
	// Fulcio marks the SAN critical when the subject is empty, and an
	// e-mail SAN Go does not parse is left "unhandled": it is checked below.
	leaf.UnhandledCriticalExtensions = slices.DeleteFunc(leaf.UnhandledCriticalExtensions, func(o asn1.ObjectIdentifier) bool { return o.Equal(oidSAN) })
	if _, err := leaf.Verify(x509.VerifyOptions{Intermediates: intermediates, Roots: f.CAs, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}); err != nil {
		return nil, denied("verifying the Fulcio certificate failed: %v", err)
	}
	issuer, err := fulcioIssuer(leaf)
	if err != nil {
		return nil, err
	}
	if issuer != f.Issuer {
		return nil, denied("Unexpected Fulcio OIDC issuer %q", issuer)
	}
	if !slices.Contains(leaf.EmailAddresses, f.Email) {
		return nil, denied("Required email %q not found (got %q)", f.Email, leaf.EmailAddresses)
	}
	return leaf.PublicKey, nil
}

// fulcioIssuer reads the OIDC issuer a Fulcio certificate records; both
// extensions present must agree.
func fulcioIssuer(c *x509.Certificate) (string, error) {
	var v1, v2 *string
	for _, ext := range c.Extensions {
		switch {
		case ext.Id.Equal(oidIssuerV1):
			if v1 != nil {
				return "", denied("Fulcio certificate has a duplicate OIDC issuer v1 extension")
			}
			s := string(ext.Value)
			v1 = &s
		case ext.Id.Equal(oidIssuerV2):
			if v2 != nil {
				return "", denied("Fulcio certificate has a duplicate OIDC issuer v2 extension")
			}
			var s string
			if rest, err := asn1.Unmarshal(ext.Value, &s); err != nil || len(rest) != 0 {
				return "", denied("invalid ASN.1 in OIDC issuer v2 extension")
			}
			v2 = &s
		}
	}
	switch {
	case v1 != nil && v2 != nil && *v1 != *v2:
		return "", denied("inconsistent OIDC issuer extension values: v1 %q, v2 %q", *v1, *v2)
	case v1 != nil:
		return *v1, nil
	case v2 != nil:
		return *v2, nil
	}
	return "", denied("Fulcio certificate is missing the issuer extension")
}

// leafAndChain parses the signature's certificate (exactly one) and the
// intermediates its chain annotation carries (all but the last
// certificate, the root, which the trust root must hold), added to a copy
// of base.
func leafAndChain(certPEM, chainPEM []byte, base *x509.CertPool) (*x509.Certificate, *x509.CertPool, error) {
	certs, err := parseCertificates(certPEM)
	if err != nil {
		return nil, nil, denied("parsing leaf certificate: %v", err)
	}
	if len(certs) != 1 {
		return nil, nil, denied("want one certificate in the signature's certificate data, found %d", len(certs))
	}
	pool := x509.NewCertPool()
	if base != nil {
		pool = base.Clone()
	}
	if len(chainPEM) > 0 {
		chain, err := parseCertificates(chainPEM)
		if err != nil {
			return nil, nil, denied("loading certificate chain: %v", err)
		}
		for _, c := range chain[:len(chain)-1] {
			pool.AddCert(c)
		}
	}
	return certs[0], pool, nil
}

// parseCertificates reads every CERTIFICATE block of b.
func parseCertificates(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("unexpected PEM block %q", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no PEM certificate found")
	}
	return out, nil
}

// ParseCertificatePool reads PEM CA certificates (policy.json's caPath or
// caData) into a pool.
func ParseCertificatePool(b []byte) (*x509.CertPool, error) {
	certs, err := parseCertificates(b)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

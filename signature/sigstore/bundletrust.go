package sigstore

import (
	"crypto"
	"crypto/x509"
	"strings"
)

// verificationMaterial is a bundle's signer material: a public key hint
// (the key is the verifier's to know), or a certificate (v0.3) or chain
// (leaf first, then intermediates: v0.1 and v0.2, and cosign 3 with
// --certificate), and the Rekor log entries.
type verificationMaterial struct {
	Certificate *struct {
		RawBytes []byte `json:"rawBytes"`
	} `json:"certificate"`
	X509CertificateChain *struct {
		Certificates []struct {
			RawBytes []byte `json:"rawBytes"`
		} `json:"certificates"`
	} `json:"x509CertificateChain"`
	TlogEntries []tlogEntry `json:"tlogEntries"`
}

// certificates parses the signer's certificate and adds the chain's
// other certificates (untrusted) to a copy of base.
func (vm *verificationMaterial) certificates(base *x509.CertPool) (*x509.Certificate, *x509.CertPool, error) {
	var ders [][]byte
	switch {
	case vm.Certificate != nil:
		ders = append(ders, vm.Certificate.RawBytes)
	case vm.X509CertificateChain != nil:
		for _, c := range vm.X509CertificateChain.Certificates {
			ders = append(ders, c.RawBytes)
		}
	}
	if len(ders) == 0 {
		return nil, nil, denied("the Sigstore bundle holds no certificate")
	}
	pool := x509.NewCertPool()
	if base != nil {
		pool = base.Clone()
	}
	var leaf *x509.Certificate
	for i, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, nil, denied("parsing the Sigstore bundle's certificate: %v", err)
		}
		if i == 0 {
			leaf = c
		} else {
			pool.AddCert(c)
		}
	}
	return leaf, pool, nil
}

// bundleKeys is the keys a bundle's signature may be verified with under
// t, once its certificate and log entries are checked as t asks: l is
// what a log entry must record (bundleKeys fills in the signer).
func (t Trust) bundleKeys(vm *verificationMaterial, l logged) ([]crypto.PublicKey, error) {
	switch {
	case t.Fulcio != nil:
		if len(t.RekorKeys) == 0 {
			return nil, denied("a Fulcio CA is trusted only with a Rekor public key")
		}
		leaf, intermediates, err := vm.certificates(nil)
		if err != nil {
			return nil, err
		}
		l.signer = leaf.Raw
		at, err := verifyTlog(t.RekorKeys, vm.TlogEntries, l, true)
		if err != nil {
			return nil, err
		}
		k, err := t.Fulcio.verifyLeaf(at, leaf, intermediates)
		if err != nil {
			return nil, err
		}
		return []crypto.PublicKey{k}, nil
	case t.PKI != nil:
		leaf, intermediates, err := vm.certificates(t.PKI.Intermediates)
		if err != nil {
			return nil, err
		}
		k, err := t.PKI.verifyLeaf(leaf, intermediates)
		if err != nil {
			return nil, err
		}
		return []crypto.PublicKey{k}, nil
	case len(t.RekorKeys) > 0:
		var failures []string
		for _, k := range t.Keys {
			der, err := x509.MarshalPKIXPublicKey(k)
			if err != nil {
				return nil, err
			}
			l.signer = der
			if _, err := verifyTlog(t.RekorKeys, vm.TlogEntries, l, false); err != nil {
				failures = append(failures, err.Error())
				continue
			}
			return []crypto.PublicKey{k}, nil // an entry records one key
		}
		return nil, denied("No public key verified against the Rekor log entries: %s", strings.Join(failures, ", "))
	}
	return t.Keys, nil
}

package sigstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/errdefs"
	"go.yaml.in/yaml/v3"
)

// SigningParams is a sigstore signing parameter file,
// containers-sigstore-signing-params.yaml(5), as copy
// --sign-by-sigstore reads it.
type SigningParams struct {
	// PrivateKeyFile signs with a private key; PrivateKeyPassphraseFile
	// holds its passphrase (asked for when empty).
	PrivateKeyFile           string `yaml:"privateKeyFile"`
	PrivateKeyPassphraseFile string `yaml:"privateKeyPassphraseFile"`
	// Fulcio asks a Fulcio server for a short-lived certificate (keyless
	// signing); RekorURL records the signature in a Rekor log. Both need
	// network services ferry does not talk to: parsed, then refused.
	Fulcio   *FulcioParams `yaml:"fulcio"`
	RekorURL string        `yaml:"rekorURL"`
}

// FulcioParams is the fulcio section of a signing parameter file.
type FulcioParams struct {
	FulcioURL        string `yaml:"fulcioURL"`
	OIDCMode         string `yaml:"oidcMode"`
	OIDCIssuerURL    string `yaml:"oidcIssuerURL"`
	OIDCClientID     string `yaml:"oidcClientID"`
	OIDCClientSecret string `yaml:"oidcClientSecret"`
	OIDCIDToken      string `yaml:"oidcIDToken"`
}

// ParseSigningParams reads a parameter file strictly (an unknown key is an
// error, as in containers/image) and checks that it asks for what ferry
// can do: signing with a private key, without a Rekor upload.
func ParseSigningParams(b []byte) (*SigningParams, error) {
	var p SigningParams
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %s", errdefs.ErrInvalidArgument, oneLine(err.Error()))
	}
	switch {
	case p.Fulcio != nil && p.PrivateKeyFile != "":
		return nil, fmt.Errorf("%w: privateKeyFile and fulcio cannot be used together", errdefs.ErrInvalidArgument)
	case p.Fulcio != nil:
		return nil, fmt.Errorf("%w: keyless signing (fulcio) needs a Fulcio server and an OpenID Connect login; ferry signs with a private key only (privateKeyFile)", errdefs.ErrNotSupported)
	case p.PrivateKeyFile == "":
		return nil, fmt.Errorf("%w: no signing method given: set privateKeyFile", errdefs.ErrInvalidArgument)
	case p.RekorURL != "":
		return nil, fmt.Errorf("%w: rekorURL: ferry does not upload signatures to a Rekor transparency log; remove rekorURL to sign with the key alone", errdefs.ErrNotSupported)
	}
	return &p, nil
}

func oneLine(s string) string { return string(bytes.Join(bytes.Fields([]byte(s)), []byte(" "))) }

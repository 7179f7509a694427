package cli

import (
	"fmt"
	"os"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/signature"
	"github.com/ferrytool/ferry/signature/sigstore"
	"github.com/spf13/pflag"
)

// signFlags are copy's signing options: skopeo's --sign-by (through gpg),
// --sign-by-sigstore-private-key, --sign-by-sigstore,
// --sign-passphrase-file and --sign-identity, and ferry's --sign-by-key
// (an exported OpenPGP secret key, signed with in pure Go).
type signFlags struct {
	by, byKey, passphraseFile, identity string
	sigstoreKey, sigstoreParams         string
	// prompt asks for a passphrase on the terminal (app.promptSecret);
	// nil refuses to ask.
	prompt func(prompt, keyPath string) (string, error)
}

func (s *signFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.by, "sign-by", "", "sign the image using a GPG key with the specified `FINGERPRINT` (through gpg and gpg-agent)")
	fs.StringVar(&s.byKey, "sign-by-key", "", "sign the image with the exported OpenPGP secret key in `FILE` (pure Go, no gpg needed)")
	fs.StringVar(&s.sigstoreKey, "sign-by-sigstore-private-key", "", "sign the image using a sigstore private key at `PATH` (generate-sigstore-key, cosign generate-key-pair)")
	fs.StringVar(&s.sigstoreParams, "sign-by-sigstore", "", "sign the image using a sigstore parameter file at `PATH` (containers-sigstore-signing-params.yaml; private keys only)")
	fs.StringVar(&s.passphraseFile, "sign-passphrase-file", "", "read a passphrase for signing an image from `PATH`")
	fs.StringVar(&s.identity, "sign-identity", "", "identity of signed image, a fully specified docker `REFERENCE` (default: the destination's docker reference)")
}

// signers turns the flags into the copier's Signers: a simple signing
// signer and sigstore signers may be combined, as in skopeo; the
// passphrase file serves one of them only.
func (s *signFlags) signers() ([]copier.Signer, error) {
	simple, sigstoreKey := s.by != "" || s.byKey != "", s.sigstoreKey != ""
	if !simple && !sigstoreKey && s.sigstoreParams == "" {
		if s.passphraseFile != "" || s.identity != "" {
			return nil, fmt.Errorf("%w: --sign-passphrase-file and --sign-identity need --sign-by, --sign-by-key, --sign-by-sigstore-private-key or --sign-by-sigstore", errdefs.ErrInvalidArgument)
		}
		return nil, nil
	}
	if s.by != "" && s.byKey != "" {
		return nil, fmt.Errorf("%w: --sign-by and --sign-by-key cannot be used together", errdefs.ErrInvalidArgument)
	}
	if s.passphraseFile != "" && simple && sigstoreKey {
		return nil, fmt.Errorf("%w: Only one of --sign-by, --sign-by-key and --sign-by-sigstore-private-key can be used with --sign-passphrase-file", errdefs.ErrInvalidArgument)
	}
	pass, err := readPassphrase(s.passphraseFile)
	if err != nil {
		return nil, err
	}
	var identity reference.Named
	if s.identity != "" {
		if identity, err = signature.ParseIdentity(s.identity); err != nil {
			return nil, err
		}
	}
	var out []copier.Signer
	if simple {
		cs, err := s.simpleSigner(pass, identity)
		if err != nil {
			return nil, err
		}
		out = append(out, cs)
	}
	if sigstoreKey {
		if s.passphraseFile == "" {
			if pass, err = s.ask(s.sigstoreKey); err != nil {
				return nil, err
			}
		}
		k, err := loadSigstoreKey(s.sigstoreKey, pass)
		if err != nil {
			return nil, fmt.Errorf("--sign-by-sigstore-private-key: %w", err)
		}
		out = append(out, &sigstore.CopySigner{Key: k, Identity: identity})
	}
	if s.sigstoreParams != "" {
		k, err := s.paramsKey()
		if err != nil {
			return nil, fmt.Errorf("Error using --sign-by-sigstore %s: %w", s.sigstoreParams, err)
		}
		out = append(out, &sigstore.CopySigner{Key: k, Identity: identity})
	}
	return out, nil
}

func (s *signFlags) simpleSigner(pass string, identity reference.Named) (*signature.CopySigner, error) {
	cs := &signature.CopySigner{Identity: identity}
	if s.by != "" {
		cs.Signer = &signature.GPG{Fingerprint: s.by, Passphrase: pass}
		return cs, nil
	}
	b, err := os.ReadFile(s.byKey)
	if err != nil {
		return nil, fmt.Errorf("%w: --sign-by-key: %w", errdefs.ErrInvalidArgument, err)
	}
	k, err := signature.NewKeyFile(b, pass)
	if err != nil {
		return nil, fmt.Errorf("--sign-by-key %s: %w", s.byKey, err)
	}
	cs.Signer = k
	return cs, nil
}

// paramsKey loads the private key a --sign-by-sigstore parameter file
// names, with its passphrase file or a prompt.
func (s *signFlags) paramsKey() (*sigstore.PrivateKey, error) {
	b, err := os.ReadFile(s.sigstoreParams)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errdefs.ErrInvalidArgument, err)
	}
	p, err := sigstore.ParseSigningParams(b)
	if err != nil {
		return nil, err
	}
	var pass string
	if p.PrivateKeyPassphraseFile != "" {
		pass, err = readPassphrase(p.PrivateKeyPassphraseFile)
	} else {
		pass, err = s.ask(p.PrivateKeyFile)
	}
	if err != nil {
		return nil, err
	}
	return loadSigstoreKey(p.PrivateKeyFile, pass)
}

func (s *signFlags) ask(keyPath string) (string, error) {
	if s.prompt == nil {
		return "", fmt.Errorf("%w: no passphrase given for key %s (use --sign-passphrase-file)", errdefs.ErrInvalidArgument, keyPath)
	}
	return s.prompt(fmt.Sprintf("Passphrase for key %s: ", keyPath), keyPath)
}

// loadSigstoreKey reads and decrypts a sigstore private key file.
func loadSigstoreKey(path, pass string) (*sigstore.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: reading private key: %w", errdefs.ErrInvalidArgument, err)
	}
	k, err := sigstore.ParsePrivateKey(b, []byte(pass))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/policy"
	"github.com/ferrytool/ferry/signature"
	"github.com/spf13/pflag"
)

// trustPolicy is the copier.Policy the global options choose: nil (accept
// anything) with --insecure-policy or when no policy file exists anywhere
// (ferry is a static binary no package configures; skopeo refuses to run
// there), else the policy file found, enforced.
func (g *globalOptions) trustPolicy() (copier.Policy, error) {
	if g.insecurePolicy {
		return nil, nil
	}
	path, err := g.policyLocations.Find(g.policyPath)
	if err != nil {
		return nil, fmt.Errorf("Error loading trust policy: %w", err)
	}
	if path == "" {
		g.log().Debug("no trust policy file found (--policy, CONTAINERS_POLICY_JSON, $XDG_CONFIG_HOME/containers/policy.json, /etc/containers/policy.json, /usr/share/containers/policy.json): accepting any image")
		return nil, nil
	}
	p, err := policy.Load(path)
	if err != nil {
		return nil, fmt.Errorf("Error loading trust policy: %w", err)
	}
	g.log().Debug("using trust policy", "file", path)
	return policy.NewEvaluator(p, g.log()), nil
}

// signFlags are copy's signing options: skopeo's --sign-by (through gpg),
// --sign-passphrase-file and --sign-identity, and ferry's --sign-by-key
// (an exported secret key, signed with in pure Go).
type signFlags struct {
	by, byKey, passphraseFile, identity string
}

func (s *signFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.by, "sign-by", "", "sign the image using a GPG key with the specified `FINGERPRINT` (through gpg and gpg-agent)")
	fs.StringVar(&s.byKey, "sign-by-key", "", "sign the image with the exported OpenPGP secret key in `FILE` (pure Go, no gpg needed)")
	fs.StringVar(&s.passphraseFile, "sign-passphrase-file", "", "read a passphrase for signing an image from `PATH`")
	fs.StringVar(&s.identity, "sign-identity", "", "identity of signed image, a fully specified docker `REFERENCE` (default: the destination's docker reference)")
}

// signers turns the flags into the copier's Signers.
func (s *signFlags) signers() ([]copier.Signer, error) {
	if s.by == "" && s.byKey == "" {
		if s.passphraseFile != "" || s.identity != "" {
			return nil, fmt.Errorf("%w: --sign-passphrase-file and --sign-identity need --sign-by or --sign-by-key", errdefs.ErrInvalidArgument)
		}
		return nil, nil
	}
	if s.by != "" && s.byKey != "" {
		return nil, fmt.Errorf("%w: --sign-by and --sign-by-key cannot be used together", errdefs.ErrInvalidArgument)
	}
	pass, err := readPassphrase(s.passphraseFile)
	if err != nil {
		return nil, err
	}
	cs := &signature.CopySigner{}
	if s.identity != "" {
		if cs.Identity, err = signature.ParseIdentity(s.identity); err != nil {
			return nil, err
		}
	}
	if s.by != "" {
		cs.Signer = &signature.GPG{Fingerprint: s.by, Passphrase: pass}
	} else {
		b, err := os.ReadFile(s.byKey)
		if err != nil {
			return nil, fmt.Errorf("%w: --sign-by-key: %w", errdefs.ErrInvalidArgument, err)
		}
		k, err := signature.NewKeyFile(b, pass)
		if err != nil {
			return nil, fmt.Errorf("--sign-by-key %s: %w", s.byKey, err)
		}
		cs.Signer = k
	}
	return []copier.Signer{cs}, nil
}

// readPassphrase reads a passphrase file as skopeo does: the first line,
// without its line ending. "" reads nothing.
func readPassphrase(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%w: reading the passphrase file: %w", errdefs.ErrInvalidArgument, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSuffix(line, "\r"), nil
}

package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/signature"
	"github.com/ferrytool/ferry/signature/sigstore"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// standaloneSignCommand is skopeo's standalone-sign: sign a manifest file
// for a Docker reference with a gpg key, without any image.
func (a *app) standaloneSignCommand() *cobra.Command {
	var output, passphraseFile string
	cmd := &cobra.Command{
		Use:   "standalone-sign [command options] MANIFEST DOCKER-REFERENCE KEY-FINGERPRINT --output|-o SIGNATURE",
		Short: "Create a signature using local files",
		Long: `Sign MANIFEST as the image DOCKER-REFERENCE with the gpg key KEY-FINGERPRINT
(through the user's gpg and gpg-agent; GNUPGHOME is honoured), writing a
simple signing signature to SIGNATURE.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 3 || output == "" {
				return errors.New("Usage: ferry standalone-sign manifest docker-reference key-fingerprint -o signature")
			}
			man, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("Error reading %s: %w", args[0], err)
			}
			pass, err := readPassphrase(passphraseFile)
			if err != nil {
				return err
			}
			sig, err := signature.SignManifest(cmd.Context(), &signature.GPG{Fingerprint: args[2], Passphrase: pass}, man, args[1])
			if err != nil {
				return fmt.Errorf("Error creating signature: %w", err)
			}
			if err := os.WriteFile(output, sig, 0o644); err != nil {
				return fmt.Errorf("Error writing signature to %s: %w", output, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "output the signature to `SIGNATURE`")
	cmd.Flags().StringVar(&passphraseFile, "passphrase-file", "", "file that contains a passphrase for the --sign-by key")
	return cmd
}

// standaloneVerifyCommand is skopeo's standalone-verify: check a signature
// file against a manifest file, a Docker reference and trusted keys.
func (a *app) standaloneVerifyCommand() *cobra.Command {
	var publicKeyFile string
	cmd := &cobra.Command{
		Use:   "standalone-verify [command options] MANIFEST DOCKER-REFERENCE KEY-FINGERPRINTS SIGNATURE",
		Short: "Verify a signature using local files",
		Long: `Verify that SIGNATURE signs MANIFEST as the image DOCKER-REFERENCE, by one of
the comma-separated KEY-FINGERPRINTS ("any": any key of --public-key-file).
Keys come from --public-key-file, else from gpg's public keyring
(gpg --export, GNUPGHOME honoured). Verification itself is pure Go.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 4 {
				return errors.New("Usage: ferry standalone-verify manifest docker-reference key-fingerprint signature")
			}
			man, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("Error reading manifest from %s: %w", args[0], err)
			}
			sig, err := os.ReadFile(args[3])
			if err != nil {
				return fmt.Errorf("Error reading signature from %s: %w", args[3], err)
			}
			var fprs []string
			if args[2] == "any" {
				if publicKeyFile == "" {
					return errors.New("Cannot use any fingerprint without a public key file")
				}
			} else {
				for _, f := range strings.Split(args[2], ",") {
					if f = strings.TrimSpace(f); f != "" {
						fprs = append(fprs, f)
					}
				}
			}
			var keyData []byte
			if publicKeyFile != "" {
				if keyData, err = os.ReadFile(publicKeyFile); err != nil {
					return fmt.Errorf("Error reading from public key file %s: %w", publicKeyFile, err)
				}
			} else if keyData, err = signature.ExportGPGKeys(cmd.Context(), "", nil); err != nil {
				return fmt.Errorf("Error verifying signature: %w", err)
			}
			keys, err := signature.ReadKeys(keyData)
			if err != nil {
				return fmt.Errorf("Error verifying signature: %w", err)
			}
			if len(fprs) == 0 {
				fprs = keys.Fingerprints()
			}
			v, err := signature.VerifyManifest(sig, man, keys, fprs)
			if err == nil && !sameReference(v.Payload.DockerReference, args[1]) {
				err = signature.IdentityMismatch(v.Payload.DockerReference, args[1])
			}
			if err != nil {
				return fmt.Errorf("Error verifying signature: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Signature verified using fingerprint %s, digest %s\n", v.Fingerprint, v.Payload.ManifestDigest)
			return nil
		},
	}
	cmd.Flags().StringVar(&publicKeyFile, "public-key-file", "", "file containing public keys to use when verifying signature")
	return cmd
}

// untrustedSignatureDumpCommand is skopeo's hidden
// untrusted-signature-dump-without-verification: print what a signature
// claims, without checking who made it.
func (a *app) untrustedSignatureDumpCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "untrusted-signature-dump-without-verification SIGNATURE",
		Short:  "Dump contents of a signature WITHOUT VERIFYING IT",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return errors.New("Usage: ferry untrusted-signature-dump-without-verification signature")
			}
			b, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("Error reading %s: %w", args[0], err)
			}
			u, err := signature.ReadUntrusted(b)
			if err != nil {
				return fmt.Errorf("Error decoding signature: %w", err)
			}
			out, err := json.MarshalIndent(u, "", "    ")
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(out))
			return nil
		},
	}
}

// sameReference compares two Docker references as skopeo does: after
// normalization ("busybox:1" is "docker.io/library/busybox:1").
func sameReference(a, b string) bool {
	na, err := reference.ParseNamed(a, false)
	if err != nil {
		return false
	}
	nb, err := reference.ParseNamed(b, false)
	return err == nil && na.String() == nb.String()
}

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

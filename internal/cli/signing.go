package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/signature"
	"github.com/spf13/cobra"
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

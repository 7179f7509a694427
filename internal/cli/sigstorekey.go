package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/signature/sigstore"
	"github.com/spf13/cobra"
)

// generateSigstoreKeyCommand is skopeo's generate-sigstore-key: an ECDSA
// P-256 key pair, PREFIX.private encrypted as cosign encrypts it (mode
// 0600) and PREFIX.pub, refusing to replace either.
func (a *app) generateSigstoreKeyCommand() *cobra.Command {
	var prefix, passphraseFile string
	cmd := &cobra.Command{
		Use:   "generate-sigstore-key [command options] --output-prefix PREFIX",
		Short: "Generate a sigstore public/private key pair",
		Long: `Generate an ECDSA P-256 key pair for sigstore signatures: PREFIX.private,
the private key encrypted with a passphrase as cosign encrypts it (readable
by cosign sign --key), and PREFIX.pub, the public key (for cosign verify --key
and policy.json's sigstoreSigned keyPath). The passphrase comes from
--passphrase-file, or is asked for on the terminal. Existing files are never
replaced.`,
		Example: "  ferry generate-sigstore-key --output-prefix mykey",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 || prefix == "" {
				return usagef(cmd.CommandPath(), "Usage: generate-sigstore-key --output-prefix PREFIX")
			}
			return a.generateSigstoreKey(cmd, prefix, passphraseFile)
		},
	}
	cmd.Flags().StringVar(&prefix, "output-prefix", "", "write the keys to `PREFIX`.pub and `PREFIX`.private")
	cmd.Flags().StringVar(&passphraseFile, "passphrase-file", "", "read a passphrase for the private key from `PATH`")
	return cmd
}

func (a *app) generateSigstoreKey(cmd *cobra.Command, prefix, passphraseFile string) error {
	pubPath, privPath := prefix+".pub", prefix+".private"
	for _, p := range []string{pubPath, privPath} {
		if err := ensureAbsent(p); err != nil {
			return err
		}
	}
	var pass string
	var err error
	if passphraseFile != "" {
		pass, err = readPassphrase(passphraseFile)
	} else {
		pass, err = a.promptNewPassphrase(privPath)
	}
	if err != nil {
		return err
	}
	keys, err := sigstore.GenerateKeyPair([]byte(pass))
	if err != nil {
		return fmt.Errorf("Error generating key pair: %w", err)
	}
	if err := createExclusive(privPath, keys.Private, 0o600); err != nil {
		return fmt.Errorf("Error writing private key to %q: %w", privPath, err)
	}
	if err := createExclusive(pubPath, keys.Public, 0o644); err != nil {
		os.Remove(privPath) // no half of a pair left behind
		return fmt.Errorf("Error writing public key to %q: %w", pubPath, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Key written to %q and %q\n", privPath, pubPath)
	return nil
}

// ensureAbsent refuses a path that exists, in skopeo's words.
func ensureAbsent(path string) error {
	switch _, err := os.Lstat(path); {
	case err == nil:
		return fmt.Errorf("%w: Refusing to overwrite existing %q", errdefs.ErrInvalidArgument, path)
	case errors.Is(err, fs.ErrNotExist):
		return nil
	default:
		return fmt.Errorf("Error checking existence of %q: %w", path, err)
	}
}

// createExclusive writes a new file, failing if path exists (even one
// created since ensureAbsent looked), and removes what it wrote if the
// write fails.
func createExclusive(path string, b []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// promptNewPassphrase asks twice, without echo, for the passphrase of a
// new private key.
func (a *app) promptNewPassphrase(keyPath string) (string, error) {
	p, err := a.promptSecret(fmt.Sprintf("Passphrase for key %s: ", keyPath), keyPath)
	if err != nil {
		return "", err
	}
	again, err := a.promptSecret("Repeat the passphrase: ", keyPath)
	if err != nil {
		return "", err
	}
	if again != p {
		return "", fmt.Errorf("%w: the passphrases do not match", errdefs.ErrInvalidArgument)
	}
	return p, nil
}

// promptSecret shows prompt on standard error and reads a line from the
// terminal without echo; without a terminal it refuses, naming keyPath.
func (a *app) promptSecret(prompt, keyPath string) (string, error) {
	fd := int(a.stdin.Fd())
	if !a.isTerminal(fd) {
		return "", fmt.Errorf("%w: Cannot prompt for a passphrase for key %s, standard input is not a TTY (give a passphrase file)", errdefs.ErrInvalidArgument, keyPath)
	}
	fmt.Fprint(a.stderr, prompt)
	b, err := a.readPassword(fd)
	fmt.Fprintln(a.stderr)
	if err != nil {
		return "", fmt.Errorf("reading the passphrase: %w", err)
	}
	return string(b), nil
}

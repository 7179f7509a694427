package signature

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"

	"github.com/ferrytool/ferry/errdefs"
)

// ExportGPGKeys reads public keys from the user's gpg keyring (gpg
// --export; GNUPGHOME honoured), the keyring skopeo's standalone-verify
// trusts when it is given no key file. fingerprints nil exports every key.
func ExportGPGKeys(ctx context.Context, program string, fingerprints []string) ([]byte, error) {
	if program == "" {
		program = "gpg"
	}
	path, err := exec.LookPath(program)
	if err != nil {
		return nil, fmt.Errorf("%w: reading keys from gpg: %w (or give --public-key-file)", errdefs.ErrNotSupported, err)
	}
	cmd := exec.CommandContext(ctx, path, append([]string{"--batch", "--no-tty", "--export"}, fingerprints...)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: gpg --export: %s", errdefs.ErrInvalidArgument, gpgReason(stderr.String(), err))
	}
	if out.Len() == 0 {
		return nil, denied("gpg has none of the keys %v", fingerprints)
	}
	return out.Bytes(), nil
}

// IdentityMismatch is the refusal of a signature naming another image
// than standalone-verify was told, in skopeo's words.
func IdentityMismatch(signed, want string) error {
	return denied("Docker reference %s does not match %s", signed, want)
}

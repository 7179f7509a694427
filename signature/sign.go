package signature

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

// Creator is written to optional.creator of the signatures ferry makes.
var Creator = "ferry"

// MessageSigner wraps a payload into a binary OpenPGP signed message.
type MessageSigner interface {
	SignMessage(ctx context.Context, payload []byte) ([]byte, error)
}

// GPG signs through the user's gpg binary with the key Fingerprint names,
// so the secret key never leaves gpg-agent (as gpgme does for skopeo).
// GNUPGHOME is honoured through the environment. Passphrase, when set, is
// handed to gpg with loopback pinentry; otherwise gpg-agent asks or has it
// cached.
type GPG struct {
	Fingerprint string
	Passphrase  string
	// Program is the gpg binary; "" looks up "gpg" in PATH.
	Program string
}

// SignMessage runs gpg --sign over payload.
func (g *GPG) SignMessage(ctx context.Context, payload []byte) ([]byte, error) {
	prog := g.Program
	if prog == "" {
		prog = "gpg"
	}
	path, err := exec.LookPath(prog)
	if err != nil {
		return nil, fmt.Errorf("%w: signing with --sign-by needs gpg: %w (or sign with --sign-by-key and an exported key)", errdefs.ErrNotSupported, err)
	}
	args := []string{"--batch", "--no-tty", "--quiet", "--local-user", g.Fingerprint}
	var extra []*os.File
	if g.Passphrase != "" {
		// Through a pipe on fd 3, so the passphrase never touches the disk
		// or the command line.
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		defer r.Close()
		go func() {
			w.WriteString(g.Passphrase + "\n")
			w.Close()
		}()
		extra = []*os.File{r}
		args = append(args, "--pinentry-mode", "loopback", "--passphrase-fd", "3")
	}
	args = append(args, "--output", "-", "--sign")
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.ExtraFiles = extra
	cmd.Stdin = bytes.NewReader(payload)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, denied("signing with gpg key %s: %s", g.Fingerprint, gpgReason(stderr.String(), err))
	}
	return out.Bytes(), nil
}

// gpgReason keeps the last meaningful line gpg printed.
func gpgReason(stderr string, err error) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(strings.TrimPrefix(lines[i], "gpg: ")); l != "" {
			return l
		}
	}
	return err.Error()
}

// KeyFile signs in pure Go with an exported OpenPGP secret key (ferry's
// --sign-by-key): no gpg, no agent.
type KeyFile struct {
	entity *openpgp.Entity
}

// NewKeyFile reads an exported secret key (armored or binary) and unlocks
// it with passphrase where it is protected.
func NewKeyFile(b []byte, passphrase string) (*KeyFile, error) {
	e, err := readSecretKey(b, []byte(passphrase))
	if err != nil {
		return nil, err
	}
	return &KeyFile{entity: e}, nil
}

// Fingerprint is the primary key's fingerprint.
func (k *KeyFile) Fingerprint() string { return fingerprint(k.entity.PrimaryKey.Fingerprint) }

// SignMessage writes a binary signed message (one-pass signature, literal
// data, signature), the shape gpg --sign produces.
func (k *KeyFile) SignMessage(_ context.Context, payload []byte) ([]byte, error) {
	var out bytes.Buffer
	w, err := openpgp.Sign(&out, k.entity, nil, &packet.Config{Time: now})
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	if _, err := w.Write(payload); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return out.Bytes(), nil
}

// SignManifest makes a simple signature saying man is the image identity
// names.
func SignManifest(ctx context.Context, s MessageSigner, man []byte, identity string) ([]byte, error) {
	d, err := manifest.Digest(man)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errdefs.ErrInvalidManifest, err)
	}
	ts := now().Unix()
	payload, err := Payload{ManifestDigest: d, DockerReference: identity, Creator: Creator, Timestamp: &ts}.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return s.SignMessage(ctx, payload)
}

// ParseIdentity reads a --sign-identity: a fully specified Docker
// reference, as skopeo requires.
func ParseIdentity(s string) (reference.Named, error) {
	n, err := reference.ParseNamed(s, false)
	if err != nil || n.String() != s {
		return nil, fmt.Errorf("%w: Could not parse --sign-identity: %q is not a fully specified docker reference", errdefs.ErrInvalidArgument, s)
	}
	return n, nil
}

// CopySigner signs the manifest a copy writes (it implements
// copier.Signer). Identity, when nil, is the destination's Docker
// reference.
type CopySigner struct {
	Signer   MessageSigner
	Identity reference.Named
}

// Sign signs man as written to dst.
func (c *CopySigner) Sign(ctx context.Context, man []byte, dst transport.Reference) ([]byte, error) {
	id, err := c.identity(dst)
	if err != nil {
		return nil, err
	}
	return SignManifest(ctx, c.Signer, man, id.String())
}

// CheckDestination refuses, before the copy starts, a destination with
// no Docker reference when no identity was given (skopeo's message).
func (c *CopySigner) CheckDestination(dst transport.Reference) error {
	_, err := c.identity(dst)
	return err
}

func (c *CopySigner) identity(dst transport.Reference) (reference.Named, error) {
	return SignedIdentity(c.Identity, dst)
}

// SignedIdentity is the identity a copy's signature names: explicit
// (--sign-identity) when set, else the destination's Docker reference; a
// destination without one is refused in skopeo's words.
func SignedIdentity(explicit reference.Named, dst transport.Reference) (reference.Named, error) {
	if explicit != nil {
		return explicit, nil
	}
	if id := dst.DockerReference(); id != nil {
		return id, nil
	}
	return nil, fmt.Errorf("%w: Cannot determine canonical Docker reference for destination %s", errdefs.ErrInvalidArgument, transport.FullName(dst))
}

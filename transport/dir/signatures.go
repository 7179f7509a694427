package dir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// A dir: image keeps signatures beside its manifests (simple signing
// OpenPGP messages, and sigstore signatures in containers/image's
// "\x00sigstore-json\n" form, each file opaque bytes here), as
// skopeo writes them: signature-1, signature-2, ... for the top manifest
// and HEX.signature-N for an instance of an index. The files are opaque
// here: verifying them is the policy's business, not the transport's.

var (
	_ transport.SignatureSource      = (*Source)(nil)
	_ transport.SignatureDestination = (*Destination)(nil)
)

// Signatures returns the signatures stored beside the top manifest
// (instance nil) or an instance: signature-1, signature-2, ... up to the
// first missing one, as skopeo reads them. None is not an error.
func (s *Source) Signatures(ctx context.Context, instance *digest.Digest) ([][]byte, error) {
	var sigs [][]byte
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name, err := signatureName(i, instance)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		b, err := readSmallFile(filepath.Join(s.root, name))
		if errors.Is(err, fs.ErrNotExist) {
			return sigs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		sigs = append(sigs, b)
	}
}

// PutSignatures stores signatures of the top manifest (instance nil) or
// of an instance as signature-1, signature-2, ..., the files skopeo reads.
// Call it after PutManifest and before Commit.
func (d *Destination) PutSignatures(ctx context.Context, sigs [][]byte, instance *digest.Digest) error {
	for i, sig := range sigs {
		name, err := signatureName(i, instance)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		if err := d.writeFile(ctx, name, sig); err != nil {
			return err
		}
	}
	return nil
}

package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/signature/sigstore"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxBundle bounds one Sigstore bundle read into memory (a key-based
// bundle is a few kilobytes; one with a certificate chain and log entries
// some tens).
const maxBundle = 4 << 20

// maxBundles bounds how many bundle referrers of one image are read.
const maxBundles = 64

// bundles reads the Sigstore bundles attached to img as OCI referrers
// (cosign 3's default signature form) in src's repository: none when the
// source keeps no attached artifacts.
func bundles(ctx context.Context, src transport.Reference, img copier.Instance) ([][]byte, error) {
	l, ok := src.(transport.AttachedLister)
	if !ok {
		return nil, nil
	}
	list, err := l.ListAttached(ctx, img.SourceOptions, img.Digest)
	if err != nil {
		return nil, fmt.Errorf("listing the artifacts attached to %s: %w", img.Digest, err)
	}
	var out [][]byte
	for _, a := range list {
		for _, r := range a.Referrers {
			if r.ArtifactType != sigstore.BundleArtifactType || len(out) >= maxBundles {
				continue
			}
			b, err := readBundle(ctx, l, img.SourceOptions, r.Digest)
			if err != nil {
				return nil, fmt.Errorf("reading the Sigstore bundle %s: %w", r.Digest, err)
			}
			out = append(out, b...)
		}
	}
	return out, nil
}

// readBundle reads the bundle layers of the referrer manifest d.
func readBundle(ctx context.Context, l transport.AttachedLister, o *transport.Options, d digest.Digest) ([][]byte, error) {
	ref, err := l.Sibling("", d)
	if err != nil {
		return nil, err
	}
	s, err := ref.NewSource(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	raw, _, err := s.Manifest(ctx, nil)
	if err != nil {
		return nil, err
	}
	if err := verify.Bytes(raw, d, int64(len(raw))); err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", errdefs.ErrInvalidManifest, err)
	}
	var out [][]byte
	for _, layer := range m.Layers {
		if layer.MediaType != sigstore.BundleArtifactType {
			continue
		}
		if layer.Size < 0 || layer.Size > maxBundle {
			return nil, fmt.Errorf("%w: bundle layer of %d bytes", errdefs.ErrInvalidArgument, layer.Size)
		}
		rc, err := s.Blob(ctx, layer)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(io.LimitReader(rc, layer.Size+1))
		rc.Close()
		if err != nil {
			return nil, err
		}
		if err := verify.Bytes(b, layer.Digest, layer.Size); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

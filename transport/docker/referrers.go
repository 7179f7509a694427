package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var _ transport.AttachedLister = (*Reference)(nil)

// attachedSuffixes are cosign's digest tags, after the referrers tag
// schema's own tag (no suffix).
var attachedSuffixes = []string{"", ".sig", ".att", ".sbom"}

// ListAttached implements transport.AttachedLister: the tags
// sha256-HEX (the OCI 1.1 referrers tag schema, an index of referrers),
// sha256-HEX.sig, .att and .sbom (cosign's) of subject's repository, those
// that exist.
func (r *Reference) ListAttached(ctx context.Context, o *transport.Options, subject digest.Digest) ([]transport.Attached, error) {
	if err := subject.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", errdefs.ErrInvalidArgument, err)
	}
	c, release, err := r.config().client(r.named, o)
	if err != nil {
		return nil, err
	}
	defer release()
	repo := reference.Path(r.named)
	base := strings.Replace(subject.String(), ":", "-", 1)
	var out []transport.Attached
	for _, suffix := range attachedSuffixes {
		tag := base + suffix
		b, mt, d, err := c.GetManifest(ctx, repo, tag)
		if errors.Is(err, errdefs.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", reference.Familiar(r.named), tag, err)
		}
		a := transport.Attached{Tag: tag, Descriptor: ocispec.Descriptor{MediaType: manifest.Normalize(mt), Digest: d, Size: int64(len(b))}}
		if suffix == "" {
			var ix ocispec.Index
			if err := json.Unmarshal(b, &ix); err != nil || !manifest.IsIndex(a.Descriptor.MediaType) {
				return nil, fmt.Errorf("%w: %s: the referrers tag %s does not hold an index", errdefs.ErrInvalidManifest, reference.Familiar(r.named), tag)
			}
			a.Referrers = ix.Manifests
		}
		out = append(out, a)
	}
	return out, nil
}

// Sibling implements transport.AttachedLister.
func (r *Reference) Sibling(tag string, d digest.Digest) (transport.Reference, error) {
	var n reference.Named
	var err error
	if tag != "" {
		n, err = reference.WithTag(reference.TrimNamed(r.named), tag)
	} else {
		n, err = reference.WithDigest(reference.TrimNamed(r.named), d)
	}
	if err != nil {
		return nil, err
	}
	return &Reference{named: n, t: r.t}, nil
}

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

var (
	_ transport.AttachedLister = (*Reference)(nil)
	_ transport.SubjectIndexer = (*Reference)(nil)
)

// attachedSuffixes are cosign's digest tags, after the referrers tag
// schema's own tag (no suffix).
var attachedSuffixes = []string{"", ".sig", ".att", ".sbom"}

// ListAttached implements transport.AttachedLister: the referrers of
// subject, through the OCI 1.1 referrers API where the registry serves it
// (listed as the tag schema's sha256-HEX, with no descriptor of its own),
// else from the tag schema's index (the tag sha256-HEX), and cosign's tags
// sha256-HEX.sig, .att and .sbom of subject's repository, those that
// exist.
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
	suffixes := attachedSuffixes
	api, supported, err := c.GetReferrers(ctx, repo, subject, "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", reference.Familiar(r.named), err)
	}
	if supported {
		if len(api) > 0 {
			out = append(out, transport.Attached{Tag: base, Referrers: api})
		}
		suffixes = suffixes[1:]
	}
	for _, suffix := range suffixes {
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

// probeDigest is the subject IndexesSubjects asks the referrers API
// about: a registry serving the API answers 200 for any digest (an empty
// list), one without it 404.
var probeDigest = digest.FromBytes(nil)

// IndexesSubjects implements transport.SubjectIndexer: a registry serving
// the referrers API indexes each manifest pushed with a subject itself
// (distribution-spec: it answers such a push with OCI-Subject), so no
// tag schema index is written there.
func (r *Reference) IndexesSubjects(ctx context.Context, o *transport.Options) (bool, error) {
	c, release, err := r.config().client(r.named, o)
	if err != nil {
		return false, err
	}
	defer release()
	_, supported, err := c.GetReferrers(ctx, reference.Path(r.named), probeDigest, "")
	if err != nil {
		return false, fmt.Errorf("%s: %w", reference.Familiar(r.named), err)
	}
	return supported, nil
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

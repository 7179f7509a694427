package layout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// In an OCI layout, the artifacts attached to an image are index.json
// entries, as the image-spec's image layout, oras and regctl keep them:
//
//   - an OCI 1.1 referrer is an entry (with no ref name) whose manifest's
//     subject is the image; a referrers index stored under the tag
//     schema's name (ref name sha256-HEX, as older regctl versions write
//     it) is read too;
//   - cosign's digest tags are entries named sha256-HEX.sig, .att, .sbom.
//
// They are written through the layout's Destination like any image, so
// the layout's rules hold for them: blobs visible only when verified,
// index.json replaced atomically under its lock.

var (
	_ transport.AttachedLister = (*Reference)(nil)
	_ transport.SubjectIndexer = (*Reference)(nil)
)

// cosignSuffixes are cosign's digest tags' suffixes.
var cosignSuffixes = []string{".sig", ".att", ".sbom"}

// maxReferrerManifest bounds the manifest read to find its subject.
const maxReferrerManifest = 4 << 20

// ListAttached implements transport.AttachedLister: the entries named
// with cosign's digest tags of subject, and, as one Attached named by the
// referrers tag schema (sha256-HEX), the entries whose subject is subject.
// A layout that does not exist yet holds none.
func (r *Reference) ListAttached(ctx context.Context, o *transport.Options, subject digest.Digest) ([]transport.Attached, error) {
	if err := subject.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", errdefs.ErrInvalidArgument, err)
	}
	name := transport.FullName(r)
	lay := r.layout(r.Path)
	ix, exists, err := lay.ReadIndex()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !exists {
		return nil, nil
	}
	base := strings.Replace(subject.String(), ":", "-", 1)
	var tags []transport.Attached
	refs := transport.Attached{Tag: base}
	add := func(d ocispec.Descriptor) {
		if !slices.ContainsFunc(refs.Referrers, func(x ocispec.Descriptor) bool { return x.Digest == d.Digest }) {
			refs.Referrers = append(refs.Referrers, d)
		}
	}
	for _, e := range ix.Manifests {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ref := ocilayout.RefName(e)
		if suffix, ok := strings.CutPrefix(ref, base); ok && slices.Contains(cosignSuffixes, suffix) {
			tags = append(tags, transport.Attached{Tag: ref, Descriptor: ocispec.Descriptor{MediaType: e.MediaType, Digest: e.Digest, Size: e.Size}})
			continue
		}
		if e.Size > maxReferrerManifest {
			continue
		}
		b, err := lay.Blobs.ReadSmall(ctx, e.Digest)
		if errors.Is(err, errdefs.ErrNotFound) {
			continue // an entry whose manifest is not here has no subject to read
		}
		if err == nil {
			err = verify.Bytes(b, e.Digest, e.Size)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: manifest %s: %w", name, e.Digest, err)
		}
		if ref == base {
			ix, err := manifest.ParseIndex(b)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: the referrers index %s does not parse: %v", errdefs.ErrInvalidManifest, name, ref, err)
			}
			for _, d := range ix.Manifests {
				add(d)
			}
			continue
		}
		if d, ok := referrerOf(b, e, subject); ok {
			add(d)
		}
	}
	if len(refs.Referrers) > 0 {
		tags = append([]transport.Attached{refs}, tags...)
	}
	return tags, nil
}

// referrerOf returns the descriptor the referrers API would list for the
// manifest b (index.json entry e) when its subject is subject: its
// artifact type (the config's media type when it has none) and
// annotations.
func referrerOf(b []byte, e ocispec.Descriptor, subject digest.Digest) (ocispec.Descriptor, bool) {
	var m struct {
		MediaType    string              `json:"mediaType"`
		ArtifactType string              `json:"artifactType"`
		Config       *ocispec.Descriptor `json:"config"`
		Subject      *ocispec.Descriptor `json:"subject"`
		Annotations  map[string]string   `json:"annotations"`
	}
	if json.Unmarshal(b, &m) != nil || m.Subject == nil || m.Subject.Digest != subject {
		return ocispec.Descriptor{}, false
	}
	d := ocispec.Descriptor{MediaType: e.MediaType, Digest: e.Digest, Size: e.Size, ArtifactType: m.ArtifactType, Annotations: m.Annotations}
	if d.MediaType == "" {
		d.MediaType = m.MediaType
	}
	if d.ArtifactType == "" && m.Config != nil {
		d.ArtifactType = m.Config.MediaType
	}
	return d, true
}

// Sibling implements transport.AttachedLister: the entry named tag, or
// the manifest with digest d, in the same layout.
func (r *Reference) Sibling(tag string, d digest.Digest) (transport.Reference, error) {
	if tag != "" {
		if err := ocilayout.ValidateRefName(tag); err != nil {
			return nil, err
		}
		return &Reference{Name: ocilayout.Name{Path: r.Path, Ref: tag, Index: -1}, SharedBlobDir: r.SharedBlobDir}, nil
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", errdefs.ErrInvalidArgument, err)
	}
	return &Reference{Name: ocilayout.Name{Path: r.Path, Index: -1}, Digest: d, SharedBlobDir: r.SharedBlobDir}, nil
}

// IndexesSubjects implements transport.SubjectIndexer: a layout lists
// every referrer in index.json, found by its subject.
func (r *Reference) IndexesSubjects(context.Context, *transport.Options) (bool, error) {
	return true, nil
}

package ocilayout

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Referenced is every blob the images of ix need: their manifests and
// indexes, configs, layers and subjects, read from the layout. A manifest
// that is missing or unreadable is an error: callers use the set to decide
// what may be removed, and must then remove nothing.
func (l *Layout) Referenced(ctx context.Context, ix *ocispec.Index) (map[digest.Digest]bool, error) {
	seen := map[digest.Digest]bool{}
	todo := append([]ocispec.Descriptor(nil), ix.Manifests...)
	for len(todo) > 0 {
		d := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[d.Digest] {
			continue
		}
		seen[d.Digest] = true
		if !manifest.IsManifest(d.MediaType) {
			continue
		}
		b, err := l.Blobs.ReadSmall(ctx, d.Digest)
		if err != nil {
			return nil, err
		}
		children, err := children(b)
		if err != nil {
			return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
		}
		todo = append(todo, children...)
	}
	return seen, nil
}

// children lists what a manifest of any kind points at: an image's config,
// layers and subject, an index's manifests and subject, a schema-1
// manifest's layers. Fields a kind does not have are simply empty.
func children(b []byte) ([]ocispec.Descriptor, error) {
	var m struct {
		Config    *ocispec.Descriptor  `json:"config"`
		Layers    []ocispec.Descriptor `json:"layers"`
		Manifests []ocispec.Descriptor `json:"manifests"`
		Subject   *ocispec.Descriptor  `json:"subject"`
		FSLayers  []struct {
			BlobSum digest.Digest `json:"blobSum"`
		} `json:"fsLayers"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", errdefs.ErrInvalidManifest, err)
	}
	out := append(m.Layers, m.Manifests...)
	for _, d := range []*ocispec.Descriptor{m.Config, m.Subject} {
		if d != nil && d.Digest != "" {
			out = append(out, *d)
		}
	}
	for _, l := range m.FSLayers {
		out = append(out, ocispec.Descriptor{Digest: l.BlobSum})
	}
	return out, nil
}

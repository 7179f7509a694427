package manifest

import (
	"encoding/json"
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Children lists what a manifest of any kind points at: an image's config,
// layers and subject, an index's manifests and subject, a schema-1
// manifest's layers. Fields a kind does not have are simply empty.
func Children(b []byte) ([]ocispec.Descriptor, error) {
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

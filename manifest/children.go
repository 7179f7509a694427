package manifest

import (
	"encoding/json"
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Children lists what a manifest of any kind points at, whatever its media
// type says: blobs (an image's config and layers, a schema-1 manifest's
// layers) and manifests (an index's entries, which may be indexes
// themselves). A subject is not listed: a referrer does not need its
// subject to be present.
func Children(b []byte) (blobs, manifests []ocispec.Descriptor, err error) {
	var m struct {
		Config    *ocispec.Descriptor  `json:"config"`
		Layers    []ocispec.Descriptor `json:"layers"`
		Manifests []ocispec.Descriptor `json:"manifests"`
		FSLayers  []struct {
			BlobSum digest.Digest `json:"blobSum"`
		} `json:"fsLayers"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errdefs.ErrInvalidManifest, err)
	}
	blobs = m.Layers
	if m.Config != nil && m.Config.Digest != "" {
		blobs = append(blobs, *m.Config)
	}
	for _, l := range m.FSLayers {
		blobs = append(blobs, ocispec.Descriptor{Digest: l.BlobSum})
	}
	return blobs, m.Manifests, nil
}

package manifest

import (
	"encoding/json"
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Image is a single-image manifest. OCI image manifests and Docker schema-2
// manifests share this JSON shape; MediaType tells them apart.
type Image = ocispec.Manifest

// Index is a list of manifests. OCI indexes and Docker manifest lists share
// this JSON shape; MediaType tells them apart.
type Index = ocispec.Index

// ParseImage decodes a schema-2 image manifest (OCI or Docker).
func ParseImage(b []byte) (*Image, error) {
	var m Image
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", errdefs.ErrInvalidManifest, err)
	}
	if m.SchemaVersion != 2 {
		return nil, fmt.Errorf("%w: schemaVersion %d, want 2", errdefs.ErrInvalidManifest, m.SchemaVersion)
	}
	if m.Config.Digest == "" {
		return nil, fmt.Errorf("%w: image manifest has no config", errdefs.ErrInvalidManifest)
	}
	return &m, nil
}

// ParseIndex decodes an OCI index or a Docker manifest list.
func ParseIndex(b []byte) (*Index, error) {
	var ix Index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("%w: %v", errdefs.ErrInvalidManifest, err)
	}
	if ix.SchemaVersion != 2 {
		return nil, fmt.Errorf("%w: schemaVersion %d, want 2", errdefs.ErrInvalidManifest, ix.SchemaVersion)
	}
	return &ix, nil
}

// Blobs lists the blobs a schema-2 image manifest refers to: config first, then layers.
func Blobs(m *Image) []ocispec.Descriptor {
	out := make([]ocispec.Descriptor, 0, len(m.Layers)+1)
	out = append(out, m.Config)
	return append(out, m.Layers...)
}

package store

import (
	"encoding/json"
	"fmt"

	"github.com/opencontainers/go-digest"
	cstorage "go.podman.io/storage"
)

// The items an image carries in the store, named as containers/image
// names them so that podman, buildah and skopeo read ferry's images and
// ferry theirs:
//
//   - the config under its digest ("sha256:...");
//   - the manifest under "manifest" (what readers take when given no
//     digest) and under "manifest-sha256:..." (a reference by digest);
//     a manifest list the image was chosen from under its own
//     "manifest-sha256:..." key;
//   - the top manifest's signatures concatenated under "signatures", an
//     instance's under "signature-HEX", with their lengths in the image's
//     metadata JSON (signatureMetadata), since the blobs have no framing.

// manifestKey is the key of the manifest with digest d.
func manifestKey(d digest.Digest) string {
	return cstorage.ImageDigestManifestBigDataNamePrefix + "-" + d.String()
}

// signatureKey is the key of the signatures of instance (nil: the image's
// own manifest).
func signatureKey(instance *digest.Digest) string {
	if instance == nil {
		return "signatures"
	}
	return "signature-" + instance.Encoded()
}

// signatureMetadata is the image's metadata JSON: the length of each
// signature in the concatenated blobs.
type signatureMetadata struct {
	SignatureSizes  []int                   `json:"signature-sizes,omitempty"`
	SignaturesSizes map[digest.Digest][]int `json:"signatures-sizes,omitempty"`
}

// sizes returns the lengths recorded for instance.
func (m *signatureMetadata) sizes(instance *digest.Digest) []int {
	if instance == nil {
		return m.SignatureSizes
	}
	return m.SignaturesSizes[*instance]
}

// readSignatures splits the signatures stored for instance.
func readSignatures(st cstorage.Store, img *cstorage.Image, instance *digest.Digest) ([][]byte, error) {
	if instance != nil {
		if err := instance.Validate(); err != nil {
			return nil, err
		}
	}
	var meta signatureMetadata
	if img.Metadata != "" {
		if err := json.Unmarshal([]byte(img.Metadata), &meta); err != nil {
			return nil, fmt.Errorf("reading the image's metadata: %w", err)
		}
	}
	sizes := meta.sizes(instance)
	if len(sizes) == 0 {
		return nil, nil
	}
	blob, err := st.ImageBigData(img.ID, signatureKey(instance))
	if err != nil {
		return nil, fmt.Errorf("reading the image's signatures: %w", err)
	}
	var out [][]byte
	off := 0
	for _, n := range sizes {
		if n < 0 || off+n > len(blob) {
			return nil, fmt.Errorf("the image's signatures are %d bytes, their recorded sizes say more", len(blob))
		}
		out = append(out, blob[off:off+n])
		off += n
	}
	if off != len(blob) {
		return nil, fmt.Errorf("the image's signatures hold %d bytes more than their recorded sizes", len(blob)-off)
	}
	return out, nil
}

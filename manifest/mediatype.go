// Package manifest holds the OCI and Docker manifest formats ferry reads and
// writes: media types, parsing, digests, platform matching and conversion.
package manifest

import (
	"encoding/json"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Media types of the OCI image spec and Docker's image manifest v2.
const (
	MediaTypeOCIManifest = ocispec.MediaTypeImageManifest
	MediaTypeOCIIndex    = ocispec.MediaTypeImageIndex
	MediaTypeOCIConfig   = ocispec.MediaTypeImageConfig
	MediaTypeOCILayer    = ocispec.MediaTypeImageLayer
	MediaTypeOCILayerGz  = ocispec.MediaTypeImageLayerGzip
	MediaTypeOCILayerZst = ocispec.MediaTypeImageLayerZstd
	// Deprecated by the spec but still found in the wild.
	MediaTypeOCINondistLayer   = "application/vnd.oci.image.layer.nondistributable.v1.tar"
	MediaTypeOCINondistLayerGz = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"

	MediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerList         = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerConfig       = "application/vnd.docker.container.image.v1+json"
	MediaTypeDockerLayer        = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	MediaTypeDockerLayerPlain   = "application/vnd.docker.image.rootfs.diff.tar"
	MediaTypeDockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
	MediaTypeDockerSchema1      = "application/vnd.docker.distribution.manifest.v1+json"
	MediaTypeDockerSchema1Sig   = "application/vnd.docker.distribution.manifest.v1+prettyjws"
)

// AcceptedMediaTypes is every manifest media type ferry can read, in the
// order a registry should prefer them; it is sent as the Accept header.
var AcceptedMediaTypes = []string{
	MediaTypeOCIIndex,
	MediaTypeDockerList,
	MediaTypeOCIManifest,
	MediaTypeDockerManifest,
	MediaTypeDockerSchema1Sig,
	MediaTypeDockerSchema1,
}

// IsIndex reports whether mt names a list of manifests (OCI index or Docker manifest list).
func IsIndex(mt string) bool { return mt == MediaTypeOCIIndex || mt == MediaTypeDockerList }

// IsImage reports whether mt names a single-image manifest in a schema-2 form.
func IsImage(mt string) bool { return mt == MediaTypeOCIManifest || mt == MediaTypeDockerManifest }

// IsSchema1 reports whether mt names a Docker schema-1 manifest (readable, never written).
func IsSchema1(mt string) bool {
	return mt == MediaTypeDockerSchema1 || mt == MediaTypeDockerSchema1Sig || mt == "application/json"
}

// IsManifest reports whether mt is any manifest media type ferry understands.
func IsManifest(mt string) bool { return IsIndex(mt) || IsImage(mt) || IsSchema1(mt) }

// Normalize strips parameters and white space from a Content-Type value.
func Normalize(mt string) string {
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	return strings.TrimSpace(mt)
}

// Detect guesses the media type of manifest bytes that came without a
// trustworthy one (a file on disk, a registry answering text/plain). It
// reads the mediaType field first, then the shape of the document.
func Detect(b []byte) string {
	var probe struct {
		SchemaVersion int               `json:"schemaVersion"`
		MediaType     string            `json:"mediaType"`
		Manifests     json.RawMessage   `json:"manifests"`
		Layers        json.RawMessage   `json:"layers"`
		Config        json.RawMessage   `json:"config"`
		FSLayers      json.RawMessage   `json:"fsLayers"`
		Signatures    []json.RawMessage `json:"signatures"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return ""
	}
	switch {
	case probe.MediaType != "":
		return probe.MediaType
	case probe.SchemaVersion == 1:
		if len(probe.Signatures) > 0 {
			return MediaTypeDockerSchema1Sig
		}
		return MediaTypeDockerSchema1
	case probe.Manifests != nil:
		return MediaTypeOCIIndex
	case probe.Config != nil || probe.Layers != nil:
		return MediaTypeOCIManifest
	}
	return ""
}

// IsCompressedLayer reports whether a layer media type says gzip or zstd.
func IsCompressedLayer(mt string) bool {
	return strings.HasSuffix(mt, "+gzip") || strings.HasSuffix(mt, "+zstd") ||
		mt == MediaTypeDockerLayer || mt == MediaTypeDockerForeignLayer
}

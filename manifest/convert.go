package manifest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var ociToDocker = map[string]string{
	MediaTypeOCIConfig:         MediaTypeDockerConfig,
	MediaTypeOCILayerGz:        MediaTypeDockerLayer,
	MediaTypeOCILayer:          MediaTypeDockerLayerPlain,
	MediaTypeOCINondistLayerGz: MediaTypeDockerForeignLayer,
	MediaTypeOCIManifest:       MediaTypeDockerManifest,
	MediaTypeOCIIndex:          MediaTypeDockerList,
}

var dockerToOCI = map[string]string{
	MediaTypeDockerConfig:       MediaTypeOCIConfig,
	MediaTypeDockerLayer:        MediaTypeOCILayerGz,
	MediaTypeDockerLayerPlain:   MediaTypeOCILayer,
	MediaTypeDockerForeignLayer: MediaTypeOCINondistLayerGz,
	MediaTypeDockerManifest:     MediaTypeOCIManifest,
	MediaTypeDockerList:         MediaTypeOCIIndex,
}

// IsOCI reports whether mt is an OCI manifest or index type.
func IsOCI(mt string) bool { return mt == MediaTypeOCIManifest || mt == MediaTypeOCIIndex }

// ConvertImage rewrites a schema-2 image manifest to the OCI
// (MediaTypeOCIManifest) or Docker (MediaTypeDockerManifest) format,
// mapping config and layer media types, and serialises it as skopeo does,
// so that both tools give the same image the same digest: Docker's format
// in its own field order without annotations (MarshalDocker), OCI's
// rebuilt from the descriptors alone when converting from Docker. Docker's
// format has no zstd layers and no artifacts: a manifest that needs them
// cannot be converted. A Docker manifest converted to OCI must name the
// config ConvertConfig made of the source's (the caller sets m.Config).
func ConvertImage(m *Image, to string) ([]byte, error) {
	table, err := conversionTable(to, MediaTypeOCIManifest, MediaTypeDockerManifest)
	if err != nil {
		return nil, err
	}
	out := *m
	out.MediaType = to
	if out.Config, err = convertDescriptor(m.Config, table); err != nil {
		return nil, err
	}
	out.Layers = make([]ocispec.Descriptor, len(m.Layers))
	for i, l := range m.Layers {
		if out.Layers[i], err = convertDescriptor(l, table); err != nil {
			return nil, err
		}
	}
	switch {
	case to == MediaTypeDockerManifest:
		if m.Subject != nil || m.ArtifactType != "" {
			return nil, fmt.Errorf("%w: an OCI artifact (subject or artifactType) cannot be converted to %s", errdefs.ErrNotSupported, to)
		}
		return MarshalDocker(&out)
	case m.MediaType == MediaTypeDockerManifest:
		// What a Docker manifest can say, in OCI's shape and order.
		fresh := Image{MediaType: to, Config: ociFromDocker(out.Config), Layers: make([]ocispec.Descriptor, len(out.Layers))}
		fresh.SchemaVersion = 2
		for i, l := range out.Layers {
			fresh.Layers[i] = ociFromDocker(l)
			fresh.Layers[i].Annotations = l.Annotations // set by a recompression
		}
		return json.Marshal(fresh)
	}
	return json.Marshal(out)
}

// ociFromDocker keeps the fields a Docker descriptor has.
func ociFromDocker(d ocispec.Descriptor) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size, URLs: d.URLs}
}

// ConvertIndex rewrites an index to the OCI or Docker list format, with
// instance descriptors pointing at manifests given by converted (digest
// rewrites done by the caller; entries map old digest to new descriptor).
// A Docker list is written in Docker's field order, as skopeo writes it.
func ConvertIndex(ix *Index, to string, converted map[string]ocispec.Descriptor) ([]byte, error) {
	if _, err := conversionTable(to, MediaTypeOCIIndex, MediaTypeDockerList); err != nil {
		return nil, err
	}
	out := *ix
	out.MediaType = to
	out.Manifests = make([]ocispec.Descriptor, len(ix.Manifests))
	for i, d := range ix.Manifests {
		if nd, ok := converted[d.Digest.String()]; ok {
			nd.Platform, nd.Annotations = d.Platform, d.Annotations
			d = nd
		}
		out.Manifests[i] = d
	}
	if to == MediaTypeDockerList {
		if ix.Subject != nil || ix.ArtifactType != "" {
			return nil, fmt.Errorf("%w: an OCI artifact index cannot be converted to %s", errdefs.ErrNotSupported, to)
		}
		return marshalDockerList(&out)
	}
	if ix.MediaType == MediaTypeDockerList {
		// What a Docker list can say, in OCI's shape.
		fresh := Index{MediaType: to, Manifests: make([]ocispec.Descriptor, len(out.Manifests))}
		fresh.SchemaVersion = 2
		for i, d := range out.Manifests {
			fresh.Manifests[i] = ociFromDocker(d)
			fresh.Manifests[i].Platform = d.Platform
		}
		return json.Marshal(fresh)
	}
	return json.Marshal(out)
}

func conversionTable(to, oci, docker string) (map[string]string, error) {
	switch to {
	case oci:
		return dockerToOCI, nil
	case docker:
		return ociToDocker, nil
	}
	return nil, fmt.Errorf("%w: cannot convert to %q", errdefs.ErrNotSupported, to)
}

func convertDescriptor(d ocispec.Descriptor, table map[string]string) (ocispec.Descriptor, error) {
	if nt, ok := table[d.MediaType]; ok {
		d.MediaType = nt
		return d, nil
	}
	toDocker := table[MediaTypeOCIConfig] != ""
	isDocker := strings.HasPrefix(d.MediaType, "application/vnd.docker.")
	if toDocker == isDocker {
		return d, nil // already in the target format, or a type of neither family kept as is
	}
	return d, fmt.Errorf("%w: media type %s has no equivalent in the target format", errdefs.ErrNotSupported, d.MediaType)
}

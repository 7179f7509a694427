package manifest

import (
	"encoding/json"
	"runtime"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The JSON shapes of Docker's schema-2 manifest and manifest list as
// skopeo (containers/image) writes them. The fields come in the order of
// Docker's own structs (a descriptor says mediaType, size, digest, not
// OCI's mediaType, digest, size), and there are no annotations: a manifest
// ferry writes in Docker's format is then byte for byte the one skopeo
// writes for the same image, so both tools give it the same digest.
type (
	dockerDescriptor struct {
		MediaType string        `json:"mediaType"`
		Size      int64         `json:"size"`
		Digest    digest.Digest `json:"digest"`
		URLs      []string      `json:"urls,omitempty"`
	}
	dockerImage struct {
		SchemaVersion int                `json:"schemaVersion"`
		MediaType     string             `json:"mediaType"`
		Config        dockerDescriptor   `json:"config"`
		Layers        []dockerDescriptor `json:"layers"`
	}
	dockerPlatform struct {
		Architecture string   `json:"architecture"`
		OS           string   `json:"os"`
		OSVersion    string   `json:"os.version,omitempty"`
		OSFeatures   []string `json:"os.features,omitempty"`
		Variant      string   `json:"variant,omitempty"`
		Features     []string `json:"features,omitempty"`
	}
	dockerListEntry struct {
		dockerDescriptor
		Platform dockerPlatform `json:"platform"`
	}
	dockerList struct {
		SchemaVersion int               `json:"schemaVersion"`
		MediaType     string            `json:"mediaType"`
		Manifests     []dockerListEntry `json:"manifests"`
	}
)

func toDockerDescriptor(d ocispec.Descriptor) dockerDescriptor {
	return dockerDescriptor{MediaType: d.MediaType, Size: d.Size, Digest: d.Digest, URLs: d.URLs}
}

// MarshalDocker writes m, whose media types are already Docker's, in the
// JSON form of a Docker schema-2 manifest (see dockerImage): what skopeo
// writes for it. Annotations and OCI-only fields are not part of the
// format and are left out.
func MarshalDocker(m *Image) ([]byte, error) {
	out := dockerImage{SchemaVersion: 2, MediaType: MediaTypeDockerManifest, Config: toDockerDescriptor(m.Config),
		Layers: make([]dockerDescriptor, len(m.Layers))}
	for i, l := range m.Layers {
		out.Layers[i] = toDockerDescriptor(l)
	}
	return json.Marshal(out)
}

// marshalDockerList writes ix, whose entries' media types are already
// Docker's, as a Docker manifest list. An entry without a platform gets
// the host's, as skopeo gives it.
func marshalDockerList(ix *Index) ([]byte, error) {
	out := dockerList{SchemaVersion: 2, MediaType: MediaTypeDockerList, Manifests: make([]dockerListEntry, len(ix.Manifests))}
	for i, d := range ix.Manifests {
		p := ocispec.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
		if d.Platform != nil {
			p = *d.Platform
		}
		out.Manifests[i] = dockerListEntry{toDockerDescriptor(d), dockerPlatform{Architecture: p.Architecture, OS: p.OS,
			OSVersion: p.OSVersion, OSFeatures: p.OSFeatures, Variant: p.Variant}}
	}
	return json.Marshal(out)
}

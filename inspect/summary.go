package inspect

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
)

// configSummary is the part of a config (OCI config.md, Docker's image
// JSON, or a schema-1 v1Compatibility entry: all share these names) that
// inspect reports.
type configSummary struct {
	Created       *time.Time `json:"created"`
	DockerVersion string     `json:"docker_version"`
	Architecture  string     `json:"architecture"`
	Variant       string     `json:"variant"`
	OS            string     `json:"os"`
	Config        *struct {
		Labels map[string]string `json:"Labels"`
		Env    []string          `json:"Env"`
	} `json:"config"`
}

// Output summarizes the instance as skopeo inspect does. Digest is the
// digest of the manifest the name points to (the index's, for an index);
// Name and RepoTags are left for the caller, who knows the reference
// (Inspect fills them). RepoTags is an empty list, never null.
func (in *Instance) Output(ctx context.Context) (*Output, error) {
	raw, err := in.configJSON(ctx)
	if err != nil {
		return nil, err
	}
	var cfg configSummary
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("%w: config: %v", errdefs.ErrInvalidManifest, err)
	}
	out := &Output{
		Digest:        in.top.Digest,
		RepoTags:      []string{},
		Created:       cfg.Created,
		DockerVersion: cfg.DockerVersion,
		Architecture:  cfg.Architecture,
		Variant:       cfg.Variant,
		Os:            cfg.OS,
	}
	if cfg.Config != nil {
		out.Labels, out.Env = cfg.Config.Labels, cfg.Config.Env
	}
	// Docker's config types hold Created as a plain time, so skopeo prints
	// the zero time where the field is missing; OCI's is a pointer (null).
	if out.Created == nil && in.MediaType != manifest.MediaTypeOCIManifest {
		out.Created = new(time.Time)
	}
	if manifest.IsSchema1(in.MediaType) {
		return out, in.schema1Layers(out)
	}
	m, err := manifest.ParseImage(in.Manifest)
	if err != nil {
		return nil, err
	}
	out.Layers = make([]string, 0, len(m.Layers))
	out.LayersData = make([]Layer, 0, len(m.Layers))
	for _, l := range m.Layers {
		out.Layers = append(out.Layers, l.Digest.String())
		out.LayersData = append(out.LayersData, Layer{MIMEType: l.MediaType, Digest: l.Digest, Size: l.Size, Annotations: l.Annotations})
	}
	return out, nil
}

// schema1Layers fills Tag and the layers of a schema-1 manifest. fsLayers
// lists the newest layer first; inspect shows the base first, empty
// (throwaway) layers included, as skopeo does. Schema 1 records neither
// media types nor sizes.
func (in *Instance) schema1Layers(out *Output) error {
	m, err := manifest.ParseSchema1(in.Manifest)
	if err != nil {
		return err
	}
	out.Tag = m.Tag
	n := len(m.FSLayers)
	out.Layers = make([]string, 0, n)
	out.LayersData = make([]Layer, 0, n)
	for i := n - 1; i >= 0; i-- {
		d := m.FSLayers[i].BlobSum
		out.Layers = append(out.Layers, d.String())
		out.LayersData = append(out.LayersData, Layer{Digest: d, Size: -1})
	}
	return nil
}

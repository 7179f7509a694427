package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxConfigSize bounds a config blob read into memory. Configs are a few
// KiB; the bound keeps a hostile descriptor from exhausting memory.
const maxConfigSize = 8 << 20

// ConfigBlob returns the instance's config blob exactly as stored,
// verified against its descriptor. A Docker schema-1 manifest has no
// config blob: the result is nil, as skopeo's `inspect --raw --config`
// prints nothing for one.
func (in *Instance) ConfigBlob(ctx context.Context) ([]byte, error) {
	if manifest.IsSchema1(in.MediaType) {
		return nil, nil
	}
	m, err := manifest.ParseImage(in.Manifest)
	if err != nil {
		return nil, err
	}
	d := m.Config
	if d.Size > maxConfigSize {
		return nil, fmt.Errorf("%w: config %s is %d bytes, more than the %d allowed", errdefs.ErrInvalidManifest, d.Digest, d.Size, maxConfigSize)
	}
	rc, err := in.top.src.Blob(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", d.Digest, err)
	}
	defer rc.Close()
	vr, err := verify.NewReader(io.LimitReader(rc, maxConfigSize+1), d.Digest, d.Size)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, vr); err != nil {
		return nil, fmt.Errorf("config %s: %w", d.Digest, err)
	}
	return buf.Bytes(), nil
}

// OCIConfig returns the instance's config in the OCI image config shape
// (image-spec config.md). Docker's schema-2 config shares that JSON shape,
// so it is decoded as is, dropping Docker-only fields as skopeo does; a
// schema-1 manifest's config is taken from history[0].v1Compatibility.
func (in *Instance) OCIConfig(ctx context.Context) (*ocispec.Image, error) {
	if manifest.IsSchema1(in.MediaType) {
		return schema1Config(in.Manifest)
	}
	raw, err := in.ConfigBlob(ctx)
	if err != nil {
		return nil, err
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("%w: config: %v", errdefs.ErrInvalidManifest, err)
	}
	return &cfg, nil
}

// schema1Config builds the OCI config of a schema-1 image as skopeo's
// schema-1 to schema-2 conversion does without downloading layers: the
// newest v1Compatibility entry's config, a history entry per
// v1Compatibility entry (oldest first), and one diff ID per non-empty
// layer, left blank because only the layer contents could tell it.
func schema1Config(b []byte) (*ocispec.Image, error) {
	m, err := manifest.ParseSchema1(b)
	if err != nil {
		return nil, err
	}
	if len(m.History) == 0 {
		return nil, fmt.Errorf("%w: schema-1 manifest has no history", errdefs.ErrInvalidManifest)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal([]byte(m.History[0].V1Compatibility), &cfg); err != nil {
		return nil, fmt.Errorf("%w: schema-1 v1Compatibility: %v", errdefs.ErrInvalidManifest, err)
	}
	cfg.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{}}
	cfg.History = nil
	for i := len(m.History) - 1; i >= 0; i-- {
		var v1 struct {
			Created         *time.Time `json:"created"`
			Author          string     `json:"author"`
			Comment         string     `json:"comment"`
			ThrowAway       bool       `json:"throwaway"`
			ContainerConfig struct {
				Cmd []string `json:"Cmd"`
			} `json:"container_config"`
		}
		if err := json.Unmarshal([]byte(m.History[i].V1Compatibility), &v1); err != nil {
			return nil, fmt.Errorf("%w: schema-1 v1Compatibility %d: %v", errdefs.ErrInvalidManifest, i, err)
		}
		cfg.History = append(cfg.History, ocispec.History{
			Created: v1.Created, CreatedBy: strings.Join(v1.ContainerConfig.Cmd, " "),
			Author: v1.Author, Comment: v1.Comment, EmptyLayer: v1.ThrowAway,
		})
		if !v1.ThrowAway {
			cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, "")
		}
	}
	return &cfg, nil
}

// configJSON is the JSON the inspect fields are read from: the config blob,
// or the newest v1Compatibility entry of a schema-1 manifest.
func (in *Instance) configJSON(ctx context.Context) ([]byte, error) {
	if !manifest.IsSchema1(in.MediaType) {
		return in.ConfigBlob(ctx)
	}
	m, err := manifest.ParseSchema1(in.Manifest)
	if err != nil {
		return nil, err
	}
	if len(m.History) == 0 {
		return nil, fmt.Errorf("%w: schema-1 manifest has no history", errdefs.ErrInvalidManifest)
	}
	return []byte(m.History[0].V1Compatibility), nil
}

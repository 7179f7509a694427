package manifest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
)

// ociConfig is the OCI image config as Debian's skopeo 1.9.3 knows it
// (Debian's image-spec 1.1.0~rc2, with ArgsEscaped): the fields and their
// order decide the bytes, and so the digest, of a config converted from
// Docker's format.
type ociConfig struct {
	Created      *time.Time `json:"created,omitempty"`
	Author       string     `json:"author,omitempty"`
	Architecture string     `json:"architecture"`
	Variant      string     `json:"variant,omitempty"`
	OS           string     `json:"os"`
	OSVersion    string     `json:"os.version,omitempty"`
	OSFeatures   []string   `json:"os.features,omitempty"`
	Config       struct {
		User         string              `json:"User,omitempty"`
		ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
		Env          []string            `json:"Env,omitempty"`
		Entrypoint   []string            `json:"Entrypoint,omitempty"`
		Cmd          []string            `json:"Cmd,omitempty"`
		Volumes      map[string]struct{} `json:"Volumes,omitempty"`
		WorkingDir   string              `json:"WorkingDir,omitempty"`
		Labels       map[string]string   `json:"Labels,omitempty"`
		StopSignal   string              `json:"StopSignal,omitempty"`
		ArgsEscaped  bool                `json:"ArgsEscaped,omitempty"`
	} `json:"config,omitempty"`
	RootFS struct {
		Type    string          `json:"type"`
		DiffIDs []digest.Digest `json:"diff_ids"`
	} `json:"rootfs"`
	History []struct {
		Created    *time.Time `json:"created,omitempty"`
		CreatedBy  string     `json:"created_by,omitempty"`
		Author     string     `json:"author,omitempty"`
		Comment    string     `json:"comment,omitempty"`
		EmptyLayer bool       `json:"empty_layer,omitempty"`
	} `json:"history,omitempty"`
}

// ConvertConfig rewrites a Docker image config as the OCI config skopeo
// makes of it when it converts a Docker manifest to OCI: the fields the
// OCI format has, re-encoded, and nothing else (Docker's container,
// container_config, docker_version, healthcheck and the like are
// dropped). A config already in that form comes back unchanged.
func ConvertConfig(b []byte) ([]byte, error) {
	var c ociConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%w: image config: %v", errdefs.ErrInvalidManifest, err)
	}
	return json.Marshal(c)
}

// Package inspect builds what `skopeo inspect` prints: a summary of one
// image drawn from the manifest the name points to (Digest), the single
// image it resolves to for a platform (most fields) and its config blob.
//
// The library reads and summarizes; it prints nothing. The CLI renders
// Output as JSON indented with four spaces, exactly as skopeo does.
package inspect

import (
	"time"

	"github.com/opencontainers/go-digest"
)

// Output is skopeo inspect's document. Field names, order and omitempty
// tags are skopeo's (cmd/skopeo/inspect/output.go), so scripts that parse
// skopeo's JSON or use its --format templates keep working.
type Output struct {
	// Name is the repository the image was read from, without tag or
	// digest; omitted for transports that have no Docker name.
	Name string `json:",omitempty"`
	// Tag is printed only for Docker schema-1 manifests, which carry their
	// tag inside the manifest (as skopeo does; schema-2 has no such field).
	Tag string `json:",omitempty"`
	// Digest is the digest of the manifest the name points to, as fetched:
	// an index's digest when the name points to an index.
	Digest digest.Digest
	// RepoTags lists the repository's tags (docker:// only; empty elsewhere).
	RepoTags      []string
	Created       *time.Time
	DockerVersion string
	Labels        map[string]string
	Architecture  string
	// Variant is not part of skopeo's JSON; it is kept for --format
	// templates ({{.Variant}}) only.
	Variant string `json:"-"`
	Os      string
	// Layers are the layer blob digests in manifest order.
	Layers     []string
	LayersData []Layer
	Env        []string
}

// Layer describes one layer as skopeo's LayersData does. Size is -1 and
// MIMEType empty where the manifest does not say (Docker schema 1).
type Layer struct {
	MIMEType    string
	Digest      digest.Digest
	Size        int64
	Annotations map[string]string
}

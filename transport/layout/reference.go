package layout

import (
	"context"

	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// Reference names an image in an OCI layout: by reference name, by
// position (@N, source only), by digest (PATH:@ALG:HEX, how an attached
// artifact is named: an index.json entry with no ref name), or, with none
// of these, the layout's only image (see ocilayout.Name).
type Reference struct {
	ocilayout.Name
	// Digest, when set, names the manifest by digest; Name then has
	// neither Ref nor Index.
	Digest digest.Digest
	// SharedBlobDir, when set, holds the layout's blobs (see
	// Config.SharedBlobDir); it is not part of the name.
	SharedBlobDir string
}

func (r *Reference) Transport() transport.Transport {
	return layoutTransport{cfg: Config{SharedBlobDir: r.SharedBlobDir}}
}

// layout is the layout at root (r's path, or a temporary one beside it),
// its blobs where r keeps them.
func (r *Reference) layout(root string) *ocilayout.Layout {
	return ocilayout.AtShared(root, r.SharedBlobDir)
}

// String renders the name as ParseReference reads it.
func (r *Reference) String() string {
	if r.Digest != "" {
		return r.Path + ":@" + r.Digest.String()
	}
	return r.Name.String()
}

// DockerReference is nil: an OCI reference name is not a Docker name.
func (r *Reference) DockerReference() reference.Named { return nil }

func (r *Reference) NewSource(ctx context.Context, o *transport.Options) (transport.Source, error) {
	return newSource(ctx, r, o)
}

func (r *Reference) NewDestination(ctx context.Context, o *transport.Options) (transport.Destination, error) {
	return newDestination(ctx, r, o)
}

package layout

import (
	"context"

	"github.com/ferrytool/ferry/transport"
)

func newSource(ctx context.Context, r *Reference, o *transport.Options) (transport.Source, error) {
	return nil, transport.NotYet("oci", "source")
}

func newDestination(ctx context.Context, r *Reference, o *transport.Options) (transport.Destination, error) {
	return nil, transport.NotYet("oci", "destination")
}

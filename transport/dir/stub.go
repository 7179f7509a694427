package dir

import (
	"context"

	"github.com/ferrytool/ferry/transport"
)

func newSource(ctx context.Context, r *Reference, o *transport.Options) (transport.Source, error) {
	return nil, transport.NotYet("dir", "source")
}

func newDestination(ctx context.Context, r *Reference, o *transport.Options) (transport.Destination, error) {
	return nil, transport.NotYet("dir", "destination")
}

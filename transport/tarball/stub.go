package tarball

import (
	"context"

	"github.com/ferrytool/ferry/transport"
)

func newSource(ctx context.Context, r *Reference, o *transport.Options) (transport.Source, error) {
	return nil, transport.NotYet("tarball", "source")
}

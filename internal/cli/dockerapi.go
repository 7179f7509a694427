package cli

import (
	"context"

	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

// listTags lists a registry repository's tags.
func listTags(ctx context.Context, repo reference.Named, o *transport.Options) ([]string, error) {
	return nil, transport.NotYet("docker", "tag lister") // TODO(h4): docker.ListTags
}

// untag removes one tag, leaving the manifest and its other tags.
func untag(ctx context.Context, ref transport.Reference, o *transport.Options) error {
	return transport.NotYet("docker", "tag remover") // TODO(h4): docker.UntagImage
}

package inspect

import (
	"context"

	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/docker"
)

// repoTags lists the tags of ref's repository for docker:// references,
// as skopeo's RepoTags does; other transports have no repository to list
// (nil, nil).
func repoTags(ctx context.Context, ref transport.Reference, o *transport.Options) ([]string, error) {
	dr, ok := ref.(*docker.Reference)
	if !ok {
		return nil, nil
	}
	return dr.ListTags(ctx, o)
}

package inspect

import (
	"context"

	"github.com/ferrytool/ferry/transport"
)

// repoTags lists the tags of ref's repository for docker:// references;
// other transports have no repository to list (nil, nil).
func repoTags(ctx context.Context, ref transport.Reference, o *transport.Options) ([]string, error) {
	return nil, nil // TODO(h4): docker.ListTags once transport/docker lands
}

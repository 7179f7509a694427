package inspect

import (
	"context"

	"github.com/ferrytool/ferry/transport"
)

// repoTags lists the tags of ref's repository where its transport can
// (transport.TagLister: a registry), as skopeo's RepoTags does; other
// transports have no repository to list (nil, nil).
func repoTags(ctx context.Context, ref transport.Reference, o *transport.Options) ([]string, error) {
	tl, ok := ref.(transport.TagLister)
	if !ok {
		return nil, nil
	}
	return tl.ListTags(ctx, o)
}

package docker

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/transport"
)

// ListTags lists every tag of repo (a name without tag or digest, e.g.
// from reference.ParseRepository), following the registry's pagination.
// It serves list-tags and inspect's RepoTags.
func ListTags(ctx context.Context, repo reference.Named, o *transport.Options) ([]string, error) {
	name := reference.Familiar(reference.TrimNamed(repo))
	c, err := registry.New(ctx, repo, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer c.Close()
	tags, err := c.Tags(ctx, reference.Path(repo), 0)
	if err != nil {
		return nil, fmt.Errorf("%s: listing tags: %w", name, err)
	}
	return tags, nil
}

package docker

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

// ListTags lists every tag of the reference's repository (its tag or
// digest ignored), following the registry's pagination. It serves
// list-tags and inspect's RepoTags.
func (r *Reference) ListTags(ctx context.Context, o *transport.Options) ([]string, error) {
	repo := reference.TrimNamed(r.named)
	name := reference.Familiar(repo)
	c, release, err := r.config().client(repo, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer release()
	tags, err := c.Tags(ctx, reference.Path(repo), 0)
	if err != nil {
		return nil, fmt.Errorf("%s: listing tags: %w", name, err)
	}
	return tags, nil
}

// ListTags lists every tag of repo (a name without tag or digest, e.g.
// from reference.ParseRepository) with the zero Config.
func ListTags(ctx context.Context, repo reference.Named, o *transport.Options) ([]string, error) {
	r := &Reference{named: repo, t: Transport.(*dockerTransport)}
	return r.ListTags(ctx, o)
}

package docker

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
)

// The docker transport's optional abilities, found by type assertion by
// list-tags, inspect and delete.
var (
	_ transport.TagLister        = (*Reference)(nil)
	_ transport.Untagger         = (*Reference)(nil)
	_ transport.RepositoryParser = (*dockerTransport)(nil)
)

// Untag removes only the reference's tag (see UntagImage).
func (r *Reference) Untag(ctx context.Context, o *transport.Options) error {
	return r.UntagImage(ctx, o)
}

// ParseRepository parses "//HOST/REPO", a repository without tag or
// digest, as list-tags takes it. The reference carries ":latest", which
// listing ignores.
func (t *dockerTransport) ParseRepository(s string) (transport.Reference, error) {
	if !strings.HasPrefix(s, "//") {
		return nil, fmt.Errorf("%w: %q: repository names start with docker://", errdefs.ErrInvalidReference, "docker:"+s)
	}
	n, err := reference.ParseRepository(strings.TrimPrefix(s, "//"))
	if err != nil {
		return nil, err
	}
	return t.ParseReference("//" + n.Name())
}

package ferry

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transports"
)

// TagList is a repository's tags: skopeo list-tags' document (its JSON
// encoding is skopeo's).
type TagList struct {
	// Repository is the repository's name ("docker.io/library/alpine");
	// empty for an archive, whose "tags" are the image names it holds.
	Repository string `json:",omitempty"`
	// Tags are the tags, never nil.
	Tags []string
}

// ListTags lists the tags of the repository name points to:
// "docker://HOST/REPOSITORY" without tag or digest, or an archive
// ("docker-archive:PATH") whose image names it lists as skopeo does (each
// RepoTags entry as the archive spells it; "@N" for an unnamed image). A transport that
// cannot list tags is an error matching ErrUnsupported.
func (c *Client) ListTags(ctx context.Context, name string, opts ...Option) (*TagList, error) {
	s, err := c.settings(opts)
	if err != nil {
		return nil, err
	}
	ref, isRepo, err := parseRepository(c.transportsFor(s, &s.src, name), name)
	if err != nil {
		return nil, err
	}
	topts := s.transportOptions()
	var tags []string
	switch tl := ref.(type) {
	case transport.TagLister:
		if err := s.withRetry(ctx, func() (err error) {
			tags, err = tl.ListTags(ctx, &topts)
			return err
		}); err != nil {
			return nil, err
		}
	case transport.ImageNameLister:
		if tags, err = tl.ListImageNames(ctx, &topts); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: list-tags %q: the %s transport cannot list tags (those that can: %s)",
			ErrUnsupported, reference.Redact(name), ref.Transport().Name(), strings.Join(tagListers(), ", "))
	}
	if tags == nil {
		tags = []string{}
	}
	out := &TagList{Tags: tags}
	if n := ref.DockerReference(); isRepo && n != nil {
		out.Repository = reference.TrimNamed(n).Name()
	}
	return out, nil
}

// ListTags lists a repository's tags with a client made for this one
// call; see Client.ListTags.
func ListTags(ctx context.Context, name string, opts ...Option) (*TagList, error) {
	return oneShot(opts, func(c *Client) (*TagList, error) { return c.ListTags(ctx, name) })
}

// parseRepository parses list-tags' argument: a repository for transports
// that name one (transport.RepositoryParser, docker://HOST/REPO), else an
// image reference of the transport (an archive).
func parseRepository(set *transports.Set, name string) (ref transport.Reference, isRepo bool, err error) {
	tname, details, _ := strings.Cut(name, ":")
	rp, ok := set.Get(tname).(transport.RepositoryParser)
	if !ok {
		ref, err = set.Parse(name)
		return ref, false, err
	}
	ref, err = rp.ParseRepository(details)
	return ref, true, err
}

// tagListers names the transports whose repositories can be listed, and
// those whose files list the images they hold (a docker-archive).
func tagListers() []string {
	var names []string
	for _, t := range transports.All {
		if _, ok := t.(transport.RepositoryParser); ok {
			names = append(names, t.Name())
		} else if r, err := t.ParseReference("file"); err == nil {
			if _, ok := r.(transport.ImageNameLister); ok {
				names = append(names, t.Name())
			}
		}
	}
	return names
}

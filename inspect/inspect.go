package inspect

import (
	"context"
	"errors"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/transport"
)

// Options tunes Inspect. The zero value inspects the host platform's image
// and lists the repository's tags.
type Options struct {
	// Transport opens the source: credentials, TLS, logger, and the
	// Platform that picks an index's instance.
	Transport transport.Options
	// NoTags skips listing the repository's tags (skopeo's --no-tags).
	NoTags bool
}

// Inspect reads the image ref names and summarizes it as skopeo inspect
// does: the top manifest's digest, the host (or Options.Transport.Platform)
// instance's config and layers, the repository's name and tags.
func Inspect(ctx context.Context, ref transport.Reference, o Options) (out *Output, err error) {
	src, err := ref.NewSource(ctx, &o.Transport)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := src.Close(); cerr != nil && err == nil {
			out, err = nil, cerr
		}
	}()
	img, err := Fetch(ctx, src)
	if err != nil {
		return nil, err
	}
	in, err := img.Instance(ctx, o.Transport.Platform)
	if err != nil {
		return nil, err
	}
	return Describe(ctx, ref, in, o)
}

// Describe is Instance.Output completed with what the reference
// contributes: Name (the Docker repository name, where there is one) and
// RepoTags (docker:// only, unless o.NoTags). A registry that refuses to
// list tags (ECR without ecr:ListImages, public.ecr.aws answering 404)
// leaves RepoTags empty with a warning, as skopeo does.
func Describe(ctx context.Context, ref transport.Reference, in *Instance, o Options) (*Output, error) {
	out, err := in.Output(ctx)
	if err != nil {
		return nil, err
	}
	if named := ref.DockerReference(); named != nil {
		out.Name = named.Name()
	}
	if o.NoTags {
		return out, nil
	}
	tags, err := repoTags(ctx, ref, &o.Transport)
	switch {
	case err == nil:
		if tags != nil {
			out.RepoTags = tags
		}
	case tagListRefused(err):
		o.Transport.Log().Warn("registry refuses to list tags; RepoTags left empty", "image", transport.FullName(ref), "error", err)
	default:
		return nil, err
	}
	return out, nil
}

// tagListRefused reports errors that mean "this registry does not let you
// list tags", which inspect tolerates.
func tagListRefused(err error) bool {
	return errors.Is(err, errdefs.ErrDenied) || errors.Is(err, errdefs.ErrNotFound)
}

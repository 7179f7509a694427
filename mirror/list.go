package mirror

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dir"
	"github.com/ferrytool/ferry/transport/docker"
)

// repoSource is one source repository before its tags are known: what
// skopeo calls a source in "Synced N images from M sources".
type repoSource struct {
	// key names the repository for sharding and reports.
	key string
	// group numbers the source as skopeo counts them: each repository
	// of a registry or YAML file, a whole dir: tree as one.
	group int
	// list returns its images as (reference, skopeo naming suffix).
	list func(ctx context.Context) ([]listed, error)
}

type listed struct {
	ref    transport.Reference
	suffix string
	tag    string // "" for an image named by digest or a dir: image
}

// dockerSource is the repository or image src names in a registry.
func dockerSource(src string, o *Options) ([]repoSource, error) {
	named, err := reference.ParseNamed(src, false)
	if err != nil {
		return nil, err
	}
	t := docker.New(o.sourceDocker(reference.Domain(named)))
	rs := repoSource{key: reference.TrimNamed(named).String()}
	if reference.Tag(named) == "" && reference.Digest(named) == "" {
		rs.list = func(ctx context.Context) ([]listed, error) {
			return listTags(ctx, t, named, nil, o)
		}
	} else {
		ref, err := t.ParseReference("//" + named.String())
		if err != nil {
			return nil, err
		}
		one := []listed{{ref: ref, suffix: named.String(), tag: reference.Tag(named)}}
		rs.list = func(context.Context) ([]listed, error) { return one, nil }
	}
	return []repoSource{rs}, nil
}

// listTags lists repo's tags (every page), sorted, keeping those match
// accepts (all when nil); with Options.Referrers, not the tags of attached
// artifacts, which travel with their image.
func listTags(ctx context.Context, t transport.Transport, repo reference.Named, match func(string) bool, o *Options) ([]listed, error) {
	r, err := t.ParseReference("//" + repo.String())
	if err != nil {
		return nil, err
	}
	tl, ok := r.(transport.TagLister)
	if !ok {
		return nil, fmt.Errorf("%w: %s cannot list tags", errdefs.ErrNotSupported, repo)
	}
	tags, err := tl.ListTags(ctx, &o.Copy.Source)
	if err != nil {
		return nil, fmt.Errorf("determining the tags of %s: %w", repo, err)
	}
	slices.Sort(tags)
	tags = slices.Compact(tags)
	var out []listed
	for _, tag := range tags {
		if match != nil && !match(tag) || o.Referrers && isAttachedTag(tag) {
			continue
		}
		n, err := reference.WithTag(repo, tag)
		if err != nil {
			o.log().Warn("the registry listed a tag that is not valid; skipping it", "repository", repo.String(), "tag", tag)
			continue
		}
		ref, err := t.ParseReference("//" + n.String())
		if err != nil {
			return nil, err
		}
		out = append(out, listed{ref: ref, suffix: n.String(), tag: tag})
	}
	return out, nil
}

// dirSource is every directory holding a manifest.json at or below base,
// in lexical order (a directory holding one is not searched further).
// Each image is a source of its own for sharding; skopeo counts the tree
// as one source, and so does the summary.
func dirSource(base string) ([]repoSource, error) {
	if _, err := os.Stat(base); err != nil {
		return nil, fmt.Errorf("%w: invalid source directory: %w", errdefs.ErrInvalidArgument, err)
	}
	var found []listed
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "manifest.json" {
			imageDir := filepath.Dir(p)
			ref, err := dir.ParseReference(imageDir)
			if err != nil {
				return err
			}
			found = append(found, listed{ref: ref, suffix: dirSuffix(base, imageDir)})
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walking %s: %w", base, err)
	}
	out := make([]repoSource, 0, len(found))
	for _, l := range found {
		one := []listed{l}
		out = append(out, repoSource{key: l.suffix, list: func(context.Context) ([]listed, error) { return one, nil }})
	}
	return out, nil
}

// yamlSources is every repository of a YAML file, each reached with its
// registry's credentials and TLS settings.
func yamlSources(path string, o *Options) ([]repoSource, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	sels, err := f.selectors()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	transports := map[string]transport.Transport{}
	var out []repoSource
	for _, s := range sels {
		t := transports[s.registry]
		if t == nil {
			t = docker.New(registryConfig(o.sourceDocker(s.registry), s.cfg))
			transports[s.registry] = t
		}
		rs := repoSource{key: s.repo.String()}
		if s.list {
			rs.list = func(ctx context.Context) ([]listed, error) { return listTags(ctx, t, s.repo, s.match, o) }
		} else {
			var refs []listed
			for _, n := range s.refs {
				ref, err := t.ParseReference("//" + n.String())
				if err != nil {
					return nil, err
				}
				refs = append(refs, listed{ref: ref, suffix: n.String(), tag: reference.Tag(n)})
			}
			rs.list = func(context.Context) ([]listed, error) { return refs, nil }
		}
		out = append(out, rs)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s names no images", errdefs.ErrInvalidArgument, path)
	}
	return out, nil
}

// registryConfig is base with a YAML registry's settings: its credentials
// replace any other, tls-verify (when given) and cert-dir replace the
// command line's.
func registryConfig(base docker.Config, r *Registry) docker.Config {
	c := base
	if r.Credentials != (Credentials{}) {
		c.Auth.Username, c.Auth.Password = r.Credentials.Username, r.Credentials.Password
		c.Auth.BearerToken, c.Auth.NoCreds = "", false
	}
	if r.TLSVerify != nil {
		c.Insecure = !*r.TLSVerify
	}
	if r.CertDir != "" {
		c.CertDir = r.CertDir
	}
	return c
}

// errNoImages is the error of a source that holds nothing to sync.
func errNoImages(src string) error {
	return fmt.Errorf("%w: no images to sync found in %q", errdefs.ErrNotFound, src)
}

package mirror

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ferrytool/ferry/internal/retry"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/transport"
)

// Image is one image a sync copies.
type Image struct {
	Source, Destination transport.Reference
	// Repository names the source repository (HOST/PATH, or the image's
	// path below a dir: source): the unit of sharding.
	Repository string
	// N is the image's position (from 1) among the Of images of its
	// source (a repository, a dir: tree), as skopeo's "image ref N/M"
	// lines count.
	N, Of int

	group int
}

// Plan is a checked list of images to copy. NewPlan makes it; Run copies.
type Plan struct {
	Images []Image
	// Sources counts the source repositories holding images in the plan
	// (skopeo's "from M sources").
	Sources int
	// Failed lists the repositories that could not be listed, when
	// Options.KeepGoing lets the sync go on without them.
	Failed []Result

	o   Options
	oci *ociState // --dest oci only
}

// NewPlan lists what src holds (by Options.Source: a registry repository
// or image, a directory tree, a YAML file), keeps this shard's part and
// the tags Options.Filter accepts, and names each image under dst. It
// copies nothing; any bad input or unreadable source is reported here,
// before the first copy (with KeepGoing, a repository that cannot be
// listed is recorded in Failed instead).
func NewPlan(ctx context.Context, src, dst string, o Options) (*Plan, error) {
	if o.Source == Dir && o.Destination == Dir {
		return nil, fmt.Errorf("%w: sync from 'dir' to 'dir' is not implemented, consider using rsync instead", errdefs.ErrNotSupported)
	}
	if o.Referrers {
		if o.Source == Dir || o.Destination == Dir {
			return nil, fmt.Errorf("%w: --referrers copies attached artifacts between registries and OCI layouts, not dir: trees", errdefs.ErrNotSupported)
		}
		o.Copy.PreserveDigests = true // the artifacts name the image by digest
	}
	if o.Destination == OCI && o.Copy.Format == "" && !o.Copy.PreserveDigests {
		o.Copy.Format = "oci" // skopeo reads only OCI manifests from a layout
	}
	namer, err := newDestNamer(dst, &o)
	if err != nil {
		return nil, err
	}
	if o.Destination == Dir || o.Destination == OCI {
		if err := checkWritable(dst); err != nil {
			return nil, err
		}
	}
	var sources []repoSource
	switch o.Source {
	case Docker:
		sources, err = dockerSource(src, &o)
	case Dir:
		sources, err = dirSource(src)
	case YAML:
		sources, err = yamlSources(src, &o)
	default:
		err = fmt.Errorf("%w: %q is not a valid source transport (want docker, dir or yaml)", errdefs.ErrInvalidArgument, o.Source)
	}
	if err != nil {
		return nil, err
	}
	if o.Source != Dir {
		for i := range sources {
			sources[i].group = i
		}
	}
	p := &Plan{o: o}
	seen := map[string]bool{}
	groups := map[int]bool{}
	var mine []repoSource
	for _, rs := range sources {
		if o.Shard.owns(rs.key) {
			mine = append(mine, rs)
		}
	}
	lists := listAll(ctx, mine, retry.Policy{Times: o.Copy.RetryTimes, Delay: o.Copy.RetryDelay,
		OnRetry: func(attempt int, wait time.Duration, err error) {
			o.log().Warn("listing failed, retrying", "attempt", attempt, "of", o.Copy.RetryTimes, "in", wait, "error", err)
		}})
	for i, rs := range mine {
		found, err := lists[i].found, lists[i].err
		if err != nil {
			if !o.KeepGoing {
				return nil, err
			}
			p.Failed = append(p.Failed, failedResult(rs.key, "docker://"+rs.key, err)) // only registries are listed
			continue
		}
		imgs, err := p.images(rs.key, rs.group, o.Filter.apply(found), namer, seen)
		if err != nil {
			return nil, err
		}
		if len(imgs) == 0 {
			o.log().Warn("no images to sync found", "repository", rs.key)
			continue
		}
		p.Images = append(p.Images, imgs...)
		groups[rs.group] = true
	}
	p.Sources = len(groups)
	p.number()
	if len(p.Images) == 0 && len(p.Failed) == 0 && o.Shard.Count <= 1 {
		return nil, errNoImages(src)
	}
	return p, nil
}

// listParallel is how many repositories are listed at once.
const listParallel = 8

type listing struct {
	found []listed
	err   error
}

// listAll lists the sources, listParallel at a time, keeping their order;
// a listing that fails is retried as --retry-times says (skopeo retries
// its whole listing).
func listAll(ctx context.Context, sources []repoSource, rp retry.Policy) []listing {
	out := make([]listing, len(sources))
	sem := make(chan struct{}, listParallel)
	var wg sync.WaitGroup
	for i, rs := range sources {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i].err = retry.Do(ctx, rp, func() error {
				var err error
				out[i].found, err = rs.list(ctx)
				return err
			})
		}()
	}
	wg.Wait()
	return out
}

// images names the destinations of one repository's images, dropping an
// image already planned (a YAML file may select it twice).
func (p *Plan) images(repo string, group int, found []listed, namer *destNamer, seen map[string]bool) ([]Image, error) {
	var out []Image
	for _, l := range found {
		dst, err := namer.name(l.suffix)
		if err != nil {
			return nil, fmt.Errorf("naming the destination of %s: %w", transport.FullName(l.ref), err)
		}
		key := transport.FullName(l.ref) + " " + transport.FullName(dst)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, Image{Source: l.ref, Destination: dst, Repository: repo, group: group})
	}
	return out, nil
}

// number sets each image's N and Of within its source.
func (p *Plan) number() {
	count := map[int]int{}
	for _, img := range p.Images {
		count[img.group]++
	}
	seen := map[int]int{}
	for i := range p.Images {
		g := p.Images[i].group
		seen[g]++
		p.Images[i].N, p.Images[i].Of = seen[g], count[g]
	}
}

// apply keeps the images Include and Exclude accept and, with Newest,
// the newest tags; images named by digest or path pass.
func (f *Filter) apply(found []listed) []listed {
	if f.Include == nil && f.Exclude == nil && f.Newest <= 0 {
		return found
	}
	var tags []string
	for _, l := range found {
		if l.tag != "" && f.keep(l.tag) {
			tags = append(tags, l.tag)
		}
	}
	if f.Newest > 0 {
		tags = newest(tags, f.Newest)
	}
	keepTag := map[string]bool{}
	for _, t := range tags {
		keepTag[t] = true
	}
	var out []listed
	for _, l := range found {
		if l.tag == "" || keepTag[l.tag] {
			out = append(out, l)
		}
	}
	return out
}

// Sync plans and runs a sync: NewPlan, then Run.
func Sync(ctx context.Context, src, dst string, o Options) (*Summary, error) {
	p, err := NewPlan(ctx, src, dst, o)
	if err != nil {
		return nil, err
	}
	return p.Run(ctx)
}

// SetProgress sets the reporter the copies send blob and image events to
// (Options.Copy.Progress), for a caller that starts showing progress only
// once the plan is made.
func (p *Plan) SetProgress(r progress.Reporter) { p.o.Copy.Progress = r }

package docker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/transport"
)

// A Source reads one image from the places registries.conf names for it:
// its mirrors in order, then its primary location (rewritten by
// location=). The top manifest comes from the first place that serves
// it, as in containers/image, and everything else is asked of that place
// first; unlike containers/image, a manifest instance or blob that place
// fails to give is asked of the places after it, so a mirror missing a
// layer does not fail the copy. Content is verified by digest whichever
// place served it. Pushes, tag lists and deletes go to the name itself.

// pullSource is one place a Source reads from.
type pullSource struct {
	c      *registry.Client
	repo   string // the repository there
	name   string // the image's name there, for messages
	mirror bool
}

// mirrorRetry: a mirror that does not answer is given up on sooner than
// a primary, since another place follows it.
func mirrorRetry() registry.Option { return registry.WithRetry(2, 200*time.Millisecond, 5*time.Second) }

// openSources makes a client for each place r's image is read from, in
// order; release closes the pool made for them when the Config has none.
// A place whose client cannot be made (its certificate directory is
// unreadable, say) is skipped with a debug line while another remains.
func openSources(r *Reference, o *transport.Options) (srcs []pullSource, release func() error, err error) {
	cfg, log := r.config(), o.Log()
	places, err := cfg.Registries.PullSources(r.named)
	if err != nil {
		return nil, nil, err
	}
	p, release := cfg.pool(o)
	for _, pl := range places {
		ro := cfg.registryOptions(log)
		ro.Insecure = ro.Insecure || pl.Insecure
		if reference.Domain(pl.Name) != reference.Domain(r.named) {
			// Credentials given for the image (--src-creds, a token) are
			// for its registry: a mirror elsewhere gets only what the
			// auth files hold for it, as in containers/image.
			ro.Auth.Username, ro.Auth.Password, ro.Auth.BearerToken = "", "", ""
		}
		var opts []registry.Option
		if pl.Mirror {
			opts = append(opts, mirrorRetry())
		}
		c, cerr := p.Client(pl.Name, ro, opts...)
		if cerr != nil {
			err = cerr
			log.Debug("registries.conf source skipped", "image", reference.Familiar(r.named), "source", pl.Name.String(), "error", cerr)
			continue
		}
		srcs = append(srcs, pullSource{c: c, repo: reference.Path(pl.Name), name: pl.Name.String(), mirror: pl.Mirror})
	}
	if len(srcs) == 0 {
		release()
		return nil, nil, err
	}
	if len(places) > 1 || srcs[0].name != r.named.String() {
		names := make([]string, len(srcs))
		for i, s := range srcs {
			names[i] = s.name
		}
		log.Debug("reading the image from the places registries.conf names, in order", "image", reference.Familiar(r.named), "sources", names)
	}
	return srcs, release, nil
}

// current is the index of the place that served the top manifest (0
// before it is fetched).
func (s *Source) current() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chosen
}

func (s *Source) choose(i int) {
	s.mu.Lock()
	s.chosen = i
	s.mu.Unlock()
}

// fromSources runs f on the places from index from onwards until one
// succeeds, and returns its index. Each failure but the last is logged at
// debug level and the next place tried; when all fail, the error is the
// last place's (usually the primary's, whose kind decides the exit code),
// with the others' in its text.
func (s *Source) fromSources(ctx context.Context, from int, what string, f func(p *pullSource) error) (int, error) {
	var failed []string
	for i := from; i < len(s.srcs); i++ {
		p := &s.srcs[i]
		err := f(p)
		if err == nil {
			return i, nil
		}
		if ctx.Err() != nil || i == len(s.srcs)-1 {
			if len(failed) > 0 {
				return -1, fmt.Errorf("%w (also failed: %s)", err, strings.Join(failed, "; "))
			}
			return -1, err
		}
		s.log.Debug("registries.conf source failed; trying the next", "what", what, "source", p.name, "next", s.srcs[i+1].name, "error", err)
		failed = append(failed, p.name+": "+err.Error())
	}
	return -1, fmt.Errorf("%s: no source left to try", what)
}

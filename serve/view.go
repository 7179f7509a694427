package serve

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// view is what the registry derives from one version of index.json:
// the manifests each repository reaches and the referrers of each
// subject, computed when first asked for and dropped when index.json
// changes.
type view struct {
	ix      *ocispec.Index
	version string

	mu        sync.Mutex
	reach     map[string]map[digest.Digest]string // repo -> manifest -> media type
	referrers map[digest.Digest][]referrer        // nil until built
}

// maxCachedRepos bounds the repositories whose reachable manifests a
// view keeps.
const maxCachedRepos = 1024

// referrer is a manifest whose subject is another, with the repository
// of the entry that holds it ("" for every repository).
type referrer struct {
	desc ocispec.Descriptor
	repo string
}

// currentView returns the view of the current index.json.
func (s *Registry) currentView(ctx context.Context) (*view, error) {
	ix, version, err := s.content.index(ctx)
	if err != nil {
		return nil, err
	}
	s.viewMu.Lock()
	defer s.viewMu.Unlock()
	if s.view != nil && s.view.version == version && version != "" {
		return s.view, nil
	}
	s.view = &view{ix: ix, version: version, reach: map[string]map[digest.Digest]string{}}
	return s.view, nil
}

// dropView forgets the cached view after the registry changed index.json.
func (s *Registry) dropView() {
	s.viewMu.Lock()
	s.view = nil
	s.viewMu.Unlock()
}

// reachable returns the manifests repository repo's entries reach, with
// their media types (from the entry or the manifest's own mediaType
// field; "" when neither says).
func (s *Registry) reachable(ctx context.Context, v *view, repo string) (map[digest.Digest]string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if m, ok := v.reach[repo]; ok {
		return m, nil
	}
	seen := map[digest.Digest]string{}
	var todo []ocispec.Descriptor
	for _, e := range v.ix.Manifests {
		if belongs(e, repo) {
			todo = append(todo, e)
		}
	}
	for len(todo) > 0 {
		d := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if _, ok := seen[d.Digest]; ok {
			continue
		}
		b, err := readManifest(ctx, s.content, d.Digest)
		if errors.Is(err, errdefs.ErrNotFound) {
			continue // an index copied without some of its instances
		}
		if err != nil {
			return nil, err
		}
		mt := d.MediaType
		if mt == "" {
			mt = mediaTypeOf(b)
		}
		seen[d.Digest] = mt
		if _, children, err := manifest.Children(b); err == nil {
			todo = append(todo, children...)
		}
	}
	if len(v.reach) >= maxCachedRepos {
		// Requests for many repository names (a client probing) do not
		// grow memory without bound: the cache starts again.
		clear(v.reach)
	}
	v.reach[repo] = seen
	return seen, nil
}

// referrersOf lists repository repo's manifests whose subject is
// subject, as the referrers API describes them.
func (s *Registry) referrersOf(ctx context.Context, v *view, repo string, subject digest.Digest) ([]ocispec.Descriptor, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.referrers == nil {
		all := map[digest.Digest][]referrer{}
		for _, e := range v.ix.Manifests {
			r, _, ok := entryName(e)
			if !ok || e.Size > maxManifest {
				continue
			}
			b, err := readManifest(ctx, s.content, e.Digest)
			if errors.Is(err, errdefs.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if subj, d, ok := describeReferrer(b, e); ok && !slices.ContainsFunc(all[subj], func(x referrer) bool { return x.desc.Digest == d.Digest && x.repo == r }) {
				all[subj] = append(all[subj], referrer{desc: d, repo: r})
			}
		}
		v.referrers = all
	}
	out := []ocispec.Descriptor{}
	for _, x := range v.referrers[subject] {
		if (x.repo == "" || x.repo == repo) && !slices.ContainsFunc(out, func(d ocispec.Descriptor) bool { return d.Digest == x.desc.Digest }) {
			out = append(out, x.desc)
		}
	}
	return out, nil
}

// manifestFields are the fields of a manifest or index the registry
// reads: its media type, artifact type, config and subject.
type manifestFields struct {
	MediaType    string              `json:"mediaType"`
	ArtifactType string              `json:"artifactType"`
	Config       *ocispec.Descriptor `json:"config"`
	Subject      *ocispec.Descriptor `json:"subject"`
	Annotations  map[string]string   `json:"annotations"`
}

// describeReferrer returns the subject of manifest b (index.json entry
// e) and the descriptor the referrers API lists it with (distribution
// spec "Listing Referrers": artifactType, else the config's media type).
func describeReferrer(b []byte, e ocispec.Descriptor) (digest.Digest, ocispec.Descriptor, bool) {
	var m manifestFields
	if json.Unmarshal(b, &m) != nil || m.Subject == nil || m.Subject.Digest.Validate() != nil {
		return "", ocispec.Descriptor{}, false
	}
	d := ocispec.Descriptor{MediaType: m.MediaType, Digest: e.Digest, Size: e.Size, ArtifactType: m.ArtifactType, Annotations: m.Annotations}
	if d.MediaType == "" {
		d.MediaType = e.MediaType
	}
	if d.ArtifactType == "" && m.Config != nil {
		d.ArtifactType = m.Config.MediaType
	}
	return m.Subject.Digest, d, true
}

// mediaTypeOf is a manifest's media type as its bytes say it.
func mediaTypeOf(b []byte) string {
	var m manifestFields
	if json.Unmarshal(b, &m) == nil && m.MediaType != "" {
		return m.MediaType
	}
	return manifest.Detect(b)
}

package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/ferrytool/ferry/internal/ocilayout"
	"github.com/ferrytool/ferry/manifest"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// serveManifest answers /v2/<name>/manifests/<reference>.
func (s *Registry) serveManifest(w http.ResponseWriter, r *http.Request, repo, ref string) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return s.getManifest(w, r, repo, ref)
	case http.MethodPut:
		return s.putManifest(w, r, repo, ref)
	case http.MethodDelete:
		return s.deleteManifest(w, r, repo, ref)
	}
	return methodNotAllowed()
}

var errManifestUnknown = newError(http.StatusNotFound, codeManifestUnknown, "manifest unknown to registry")

// resolve finds the manifest ref names in repository repo: a tag of the
// repository, or a digest one of its entries reaches.
func (s *Registry) resolve(ctx context.Context, repo, ref string) (digest.Digest, string, error) {
	d, isDigest, err := parseDigest(ref)
	if isDigest && err != nil {
		return "", "", newError(http.StatusBadRequest, codeDigestInvalid, "invalid digest")
	}
	if !isDigest && !validTag(ref) {
		return "", "", newError(http.StatusBadRequest, "TAG_INVALID", "invalid tag")
	}
	v, err := s.currentView(ctx)
	if err != nil {
		return "", "", err
	}
	if !isDigest {
		i := tagEntry(v.ix, repo, ref)
		if i < 0 {
			return "", "", errManifestUnknown
		}
		return v.ix.Manifests[i].Digest, v.ix.Manifests[i].MediaType, nil
	}
	reach, err := s.reachable(ctx, v, repo)
	if err != nil {
		return "", "", err
	}
	mt, ok := reach[d]
	if !ok {
		return "", "", errManifestUnknown
	}
	return d, mt, nil
}

func (s *Registry) getManifest(w http.ResponseWriter, r *http.Request, repo, ref string) error {
	d, mt, err := s.resolve(r.Context(), repo, ref)
	if err != nil {
		return err
	}
	b, err := readManifest(r.Context(), s.content, d)
	if err != nil {
		return notFound(err, codeManifestUnknown, "manifest unknown to registry")
	}
	if mt == "" {
		mt = mediaTypeOf(b)
	}
	h := w.Header()
	h.Set("Content-Type", mt)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Docker-Content-Digest", d.String())
	h.Set("Etag", `"`+d.String()+`"`)
	if r.Method == http.MethodHead {
		return nil
	}
	w.Write(b)
	return nil
}

// putManifest stores a pushed manifest (distribution spec "Pushing
// Manifests"): bounded, parsed, its digest checked against a digest
// reference, the blobs and manifests it names present, then stored and
// named in index.json.
func (s *Registry) putManifest(w http.ResponseWriter, r *http.Request, repo, ref string) error {
	lc, err := s.writable()
	if err != nil {
		return err
	}
	want, isDigest, err := parseDigest(ref)
	if isDigest && err != nil {
		return newError(http.StatusBadRequest, codeDigestInvalid, "invalid digest")
	}
	if !isDigest && (!validTag(ref) || ocilayout.ValidateRefName(refName(repo, ref)) != nil) {
		return newError(http.StatusBadRequest, "TAG_INVALID", "invalid tag")
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxManifest+1))
	if err != nil {
		return err
	}
	if len(b) > maxManifest {
		return newError(http.StatusRequestEntityTooLarge, codeSizeInvalid, fmt.Sprintf("a manifest may have at most %d bytes", maxManifest))
	}
	alg := digest.Canonical
	if isDigest {
		alg = want.Algorithm()
	}
	d := alg.FromBytes(b)
	if isDigest && d != want {
		return newError(http.StatusBadRequest, codeDigestInvalid, "the manifest does not hash to the digest it was pushed as")
	}
	mt, subject, need, err := checkManifest(b, r.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	for _, c := range need {
		ok, err := lc.has(ctx, c)
		if err != nil {
			return err
		}
		if !ok {
			return newError(http.StatusNotFound, codeManifestBlobUnknown, "blob unknown to registry: "+c.String())
		}
	}
	if err := lc.putBytes(ctx, d, b); err != nil {
		return err
	}
	name := ""
	if !isDigest {
		name = refName(repo, ref)
	}
	desc := ocispec.Descriptor{MediaType: mt, Digest: d, Size: int64(len(b))}
	err = lc.update(ctx, append(need, d), func(ix *ocispec.Index) (bool, error) {
		ocilayout.AddEntry(ix, desc, name)
		return true, nil
	})
	if err != nil {
		return notFound(err, codeManifestBlobUnknown, "a blob the manifest names was removed meanwhile")
	}
	s.dropView()
	s.log.Debug("serve: manifest pushed", "repo", repo, "ref", ref, "digest", d)
	h := w.Header()
	h.Set("Location", "/v2/"+repo+"/manifests/"+d.String())
	h.Set("Docker-Content-Digest", d.String())
	if subject != "" {
		h.Set("OCI-Subject", subject.String())
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

// checkManifest parses a pushed manifest and returns its media type, its
// subject, and the blobs and manifests that must already be in the
// registry: an image's config and layers (except non-distributable ones
// and those fetched from URLs), an index's manifests. A subject need not
// exist (distribution spec "Pushing Manifests with Subject").
func checkManifest(b []byte, contentType string) (string, digest.Digest, []digest.Digest, error) {
	invalid := func(msg string) (string, digest.Digest, []digest.Digest, error) {
		return "", "", nil, newError(http.StatusBadRequest, codeManifestInvalid, msg)
	}
	if !json.Valid(b) {
		return invalid("the manifest is not JSON")
	}
	var m struct {
		manifestFields
		SchemaVersion int                  `json:"schemaVersion"`
		Layers        []ocispec.Descriptor `json:"layers"`
		Manifests     []ocispec.Descriptor `json:"manifests"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		return invalid("the manifest does not parse: " + err.Error())
	}
	mt := contentType
	if m.MediaType != "" {
		if mt != "" && mt != m.MediaType {
			return invalid(fmt.Sprintf("Content-Type %q differs from the manifest's mediaType %q", mt, m.MediaType))
		}
		mt = m.MediaType
	}
	if mt == "" {
		mt = manifest.Detect(b)
	}
	var subject digest.Digest
	if m.Subject != nil {
		if err := m.Subject.Digest.Validate(); err != nil {
			return invalid("the subject's digest is invalid")
		}
		subject = m.Subject.Digest
	}
	var need []digest.Digest
	add := func(d ocispec.Descriptor) error {
		if err := d.Digest.Validate(); err != nil {
			return newError(http.StatusBadRequest, codeManifestInvalid, fmt.Sprintf("descriptor digest %q is invalid", d.Digest))
		}
		need = append(need, d.Digest)
		return nil
	}
	switch {
	case manifest.IsIndex(mt):
		if m.SchemaVersion != 2 {
			return invalid("an index has schemaVersion 2")
		}
		for _, d := range m.Manifests {
			if err := add(d); err != nil {
				return "", "", nil, err
			}
		}
	case manifest.IsImage(mt):
		if m.SchemaVersion != 2 || m.Config == nil {
			return invalid("an image manifest has schemaVersion 2 and a config")
		}
		if err := add(*m.Config); err != nil {
			return "", "", nil, err
		}
		for _, l := range m.Layers {
			if len(l.URLs) > 0 || isNonDistributable(l.MediaType) {
				if l.Digest.Validate() != nil {
					return invalid("a layer's digest is invalid")
				}
				continue
			}
			if err := add(l); err != nil {
				return "", "", nil, err
			}
		}
	default:
		return "", "", nil, newError(http.StatusBadRequest, codeManifestInvalid, fmt.Sprintf("media type %q is not a manifest this registry stores", mt))
	}
	return mt, subject, need, nil
}

// isNonDistributable reports the layer media types whose blobs a
// registry is not given (image-spec "Non-distributable layers").
func isNonDistributable(mt string) bool {
	switch mt {
	case ocispec.MediaTypeImageLayerNonDistributable, ocispec.MediaTypeImageLayerNonDistributableGzip, ocispec.MediaTypeImageLayerNonDistributableZstd, //nolint:staticcheck // what clients still push
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip":
		return true
	}
	return false
}

// deleteManifest removes a tag (the manifest stays, by digest) or, by
// digest, every entry of the repository holding that manifest.
func (s *Registry) deleteManifest(w http.ResponseWriter, r *http.Request, repo, ref string) error {
	lc, err := s.writable()
	if err != nil {
		return err
	}
	d, isDigest, err := parseDigest(ref)
	if isDigest && err != nil {
		return newError(http.StatusBadRequest, codeDigestInvalid, "invalid digest")
	}
	if !isDigest && !validTag(ref) {
		return newError(http.StatusBadRequest, "TAG_INVALID", "invalid tag")
	}
	found := false
	err = lc.update(r.Context(), nil, func(ix *ocispec.Index) (bool, error) {
		kept := []ocispec.Descriptor{}
		if isDigest {
			for _, e := range ix.Manifests {
				if e.Digest == d && belongs(e, repo) {
					found = true
					continue
				}
				kept = append(kept, e)
			}
			ix.Manifests = kept
			return found, nil
		}
		i := tagEntry(ix, repo, ref)
		if i < 0 {
			return false, nil
		}
		found = true
		e := ix.Manifests[i]
		ix.Manifests = append(ix.Manifests[:i:i], ix.Manifests[i+1:]...)
		// The manifest stays, by digest, as a registry keeps it.
		ocilayout.AddEntry(ix, e, "")
		return true, nil
	})
	if err != nil {
		return err
	}
	if !found {
		return errManifestUnknown
	}
	s.dropView()
	s.log.Debug("serve: manifest deleted", "repo", repo, "ref", ref)
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// tagEntry is the position of repository repo's tag in ix: REPO:TAG, or
// else a bare TAG; -1 when neither.
func tagEntry(ix *ocispec.Index, repo, tag string) int {
	bare := -1
	for i, e := range ix.Manifests {
		r, t, ok := entryName(e)
		if !ok || t != tag {
			continue
		}
		if r == repo {
			return i
		}
		if r == "" && bare < 0 {
			bare = i
		}
	}
	return bare
}

package serve

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
)

// Options configure a Registry; the zero value serves read-write with no
// logging.
type Options struct {
	// ReadOnly refuses every write (UNSUPPORTED, 405). Archives are
	// always read-only.
	ReadOnly bool
	// Log receives what the registry has to say; nil discards it.
	Log *slog.Logger
	// MaxUploads bounds the uploads in progress at once (0: 256). Each
	// holds a temporary file and little memory; an upload left idle past
	// UploadTimeout is dropped when room is needed.
	MaxUploads int
}

// Registry is an http.Handler serving one layout or archive under /v2/.
// Close it once the http.Server using it has shut down.
type Registry struct {
	content  content
	layout   *layoutContent // nil when read-only
	log      *slog.Logger
	uploads  *uploads
	name     string
	viewMu   sync.Mutex
	view     *view
	closeMu  sync.Mutex
	isClosed bool
}

// Open opens what name designates, "oci:PATH", "oci-archive:PATH" or
// "docker-archive:PATH", for serving. A layout is created when missing
// (unless read-only); archives must exist and are served read-only.
func Open(ctx context.Context, name string, o Options) (*Registry, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	transportName, rest, ok := strings.Cut(name, ":")
	// The first colon ends the path, as in ferry's (and skopeo's) image
	// names; what would follow names one image, and a registry serves
	// them all.
	path, ref, _ := strings.Cut(rest, ":")
	if !ok || path == "" {
		return nil, fmt.Errorf("%w: %q: name what to serve as oci:PATH, oci-archive:PATH or docker-archive:PATH", errdefs.ErrInvalidReference, name)
	}
	if ref != "" {
		return nil, fmt.Errorf("%w: %q: a registry serves every image of %s:%s; drop :%s", errdefs.ErrInvalidReference, name, transportName, path, ref)
	}
	s := &Registry{log: log, name: name}
	var err error
	switch transportName {
	case "oci":
		var lc *layoutContent
		lc, err = openLayout(ctx, path, !o.ReadOnly, log)
		if err == nil {
			s.content = lc
			if !o.ReadOnly {
				s.layout = lc
			}
		}
	case "oci-archive":
		s.content, err = openOCIArchive(ctx, path)
	case "docker-archive":
		s.content, err = openDockerArchive(ctx, path)
	default:
		return nil, fmt.Errorf("%w: %q: ferry serves oci:, oci-archive: and docker-archive:, not %s:", errdefs.ErrNotSupported, name, transportName)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if s.layout != nil {
		s.uploads = newUploads(s.layout, o.MaxUploads)
	}
	log.Debug("serve: opened", "name", name, "readOnly", s.layout == nil)
	return s, nil
}

// ReadOnly reports whether the registry refuses writes.
func (s *Registry) ReadOnly() bool { return s.layout == nil }

// Close drops unfinished uploads and, for a layout served read-write,
// takes back the uploaded blobs that no image names. Call it after the
// http.Server has stopped handing it requests.
func (s *Registry) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.isClosed {
		return nil
	}
	s.isClosed = true
	if s.uploads != nil {
		s.uploads.closeAll()
	}
	return s.content.close()
}

// route is the grammar of the distribution spec's endpoints; the name is
// checked apart, so that a bad name gets NAME_INVALID.
var route = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^/v2/(.+?)/(manifests/[^/]+|blobs/uploads/[^/]*|blobs/[^/]+|tags/list|referrers/[^/]+)$`)
})

// ServeHTTP implements http.Handler.
func (s *Registry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	p := r.URL.Path
	switch {
	case p == "/v2/" || p == "/v2":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeErrorBody(w, newError(http.StatusMethodNotAllowed, codeUnsupported, "method not allowed"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{}"))
		return
	case p == "/v2/_catalog":
		s.serveCatalog(w, r)
		return
	}
	m := route().FindStringSubmatch(p)
	if m == nil {
		writeErrorBody(w, newError(http.StatusNotFound, codeNameUnknown, "no such endpoint"))
		return
	}
	repo, rest := m[1], m[2]
	if !validRepo(repo) {
		writeErrorBody(w, newError(http.StatusBadRequest, codeNameInvalid, "invalid repository name"))
		return
	}
	var err error
	switch kind, arg, _ := strings.Cut(rest, "/"); kind {
	case "manifests":
		err = s.serveManifest(w, r, repo, arg)
	case "tags":
		err = s.serveTags(w, r, repo)
	case "referrers":
		err = s.serveReferrers(w, r, repo, arg)
	case "blobs":
		if id, ok := strings.CutPrefix(arg, "uploads/"); ok {
			err = s.serveUpload(w, r, repo, id)
		} else {
			err = s.serveBlob(w, r, repo, arg)
		}
	}
	if err != nil {
		s.writeError(w, r, err)
	}
}

// methodNotAllowed answers a method an endpoint does not have.
func methodNotAllowed() error {
	return newError(http.StatusMethodNotAllowed, codeUnsupported, "method not allowed")
}

// writable returns the layout to write to, or the read-only refusal.
func (s *Registry) writable() (*layoutContent, error) {
	if s.layout == nil {
		return nil, errReadOnly
	}
	return s.layout, nil
}

package serve

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/opencontainers/go-digest"
)

// uploadIdle is how long an upload may sit without a request before it
// may be dropped to make room for another.
const uploadIdle = time.Hour

// defaultMaxUploads bounds the uploads in progress at once.
const defaultMaxUploads = 256

// uploads are the blob uploads in progress (distribution spec "Pushing
// Blobs"). Each writes to a temporary file in the layout's blobs
// directory while a sha256 follows it, so that the digest check at the
// end reads nothing again; a blob gets its name only once verified.
type uploads struct {
	lc  *layoutContent
	max int

	mu     sync.Mutex
	m      map[string]*upload
	closed bool
}

type upload struct {
	id, repo string

	mu     sync.Mutex
	tmp    *fsutil.Temp
	sha    hash.Hash // sha256 of what was written so far
	size   int64
	last   time.Time
	closed bool
}

func newUploads(lc *layoutContent, max int) *uploads {
	if max <= 0 {
		max = defaultMaxUploads
	}
	return &uploads{lc: lc, max: max, m: map[string]*upload{}}
}

// start begins an upload in repo, dropping idle ones when there is no
// room; a full table is TOOMANYREQUESTS.
func (us *uploads) start(repo string) (*upload, error) {
	us.mu.Lock()
	defer us.mu.Unlock()
	if us.closed {
		return nil, errClosed
	}
	if len(us.m) >= us.max {
		for id, u := range us.m {
			if u.mu.TryLock() {
				if time.Since(u.last) > uploadIdle {
					u.discardLocked()
					delete(us.m, id)
				}
				u.mu.Unlock()
			}
		}
	}
	if len(us.m) >= us.max {
		return nil, newError(http.StatusTooManyRequests, codeTooManyRequests, "too many uploads in progress")
	}
	tmp, err := us.lc.newTemp()
	if err != nil {
		return nil, err
	}
	var b [16]byte
	rand.Read(b[:])
	u := &upload{id: hex.EncodeToString(b[:]), repo: repo, tmp: tmp, sha: sha256.New(), last: time.Now()}
	us.m[u.id] = u
	return u, nil
}

// get finds repo's upload id, locked; the caller unlocks it.
func (us *uploads) get(repo, id string) (*upload, error) {
	us.mu.Lock()
	u, ok := us.m[id]
	us.mu.Unlock()
	if !ok || u.repo != repo {
		return nil, errUploadUnknown
	}
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return nil, errUploadUnknown
	}
	u.last = time.Now()
	return u, nil
}

// drop ends the upload u (locked by the caller) and forgets it.
func (us *uploads) drop(u *upload) {
	u.discardLocked()
	us.mu.Lock()
	delete(us.m, u.id)
	us.mu.Unlock()
}

// closeAll discards every upload: the registry is shutting down.
func (us *uploads) closeAll() {
	us.mu.Lock()
	us.closed = true
	all := us.m
	us.m = map[string]*upload{}
	us.mu.Unlock()
	for _, u := range all {
		u.mu.Lock()
		u.discardLocked()
		u.mu.Unlock()
	}
}

func (u *upload) discardLocked() {
	if !u.closed {
		u.closed = true
		u.tmp.Discard()
	}
}

// write appends r to the upload.
func (u *upload) write(r *http.Request) error {
	n, err := u.tmp.CopyFrom(r.Context(), io.TeeReader(r.Body, u.sha))
	u.size += n
	return err
}

// verify checks the upload's content against d: the running sha256, or,
// for another algorithm, the file read again.
func (u *upload) verify(d digest.Digest) error {
	if d.Algorithm() == digest.SHA256 {
		if got := digest.NewDigest(digest.SHA256, u.sha); got != d {
			return fmt.Errorf("content has digest %s, want %s", got, d)
		}
		return nil
	}
	f, err := os.Open(u.tmp.Name())
	if err != nil {
		return err
	}
	defer f.Close()
	vr, err := verify.NewReader(f, d, u.size)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, vr)
	return err
}

var (
	errUploadUnknown = newError(http.StatusNotFound, codeBlobUploadUnknown, "blob upload unknown to registry")
	errUploadDigest  = newError(http.StatusBadRequest, codeDigestInvalid, "provided digest did not match uploaded content")
)

// serveUpload answers /v2/<name>/blobs/uploads/[<id>].
func (s *Registry) serveUpload(w http.ResponseWriter, r *http.Request, repo, id string) error {
	if s.uploads == nil {
		if r.Method == http.MethodGet {
			return errUploadUnknown
		}
		return errReadOnly
	}
	if id == "" {
		if r.Method != http.MethodPost {
			return methodNotAllowed()
		}
		return s.startUpload(w, r, repo)
	}
	u, err := s.uploads.get(repo, id)
	if err != nil {
		return err
	}
	defer u.mu.Unlock()
	switch r.Method {
	case http.MethodGet:
		uploadHeaders(w, u)
		w.WriteHeader(http.StatusNoContent)
		return nil
	case http.MethodDelete:
		s.uploads.drop(u)
		w.WriteHeader(http.StatusNoContent)
		return nil
	case http.MethodPatch:
		if err := s.appendChunk(w, r, u); err != nil {
			return err
		}
		uploadHeaders(w, u)
		w.WriteHeader(http.StatusAccepted)
		return nil
	case http.MethodPut:
		return s.finishUpload(w, r, u)
	}
	return methodNotAllowed()
}

// startUpload answers POST: a mount when the blob is here, a monolithic
// upload with ?digest=, otherwise a new upload session.
func (s *Registry) startUpload(w http.ResponseWriter, r *http.Request, repo string) error {
	q := r.URL.Query()
	if m := q.Get("mount"); m != "" {
		// Every repository of a layout shares its blobs, so a mount
		// needs no source repository (from may be absent or any).
		if d, isDigest, err := parseDigest(m); isDigest && err == nil {
			ok, err := s.layout.has(r.Context(), d)
			if err != nil {
				return err
			}
			if ok {
				blobCreated(w, repo, d)
				return nil
			}
		}
	}
	u, err := s.uploads.start(repo)
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if q.Has("digest") {
		return s.finishUpload(w, r, u)
	}
	uploadHeaders(w, u)
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// appendChunk appends a PATCH's body. A Content-Range that does not
// start where the upload is is refused with 416, the upload unchanged
// (distribution spec "Pushing a blob in chunks").
func (s *Registry) appendChunk(w http.ResponseWriter, r *http.Request, u *upload) error {
	if cr := r.Header.Get("Content-Range"); cr != "" {
		start, _, ok := parseContentRange(cr)
		if !ok || start != u.size {
			uploadHeaders(w, u)
			return newError(http.StatusRequestedRangeNotSatisfiable, codeBlobUploadInvalid, fmt.Sprintf("the upload is at byte %d", u.size))
		}
	}
	if err := u.write(r); err != nil {
		s.uploads.drop(u)
		if r.Context().Err() != nil {
			return err
		}
		return newError(http.StatusBadRequest, codeBlobUploadInvalid, "the chunk could not be stored; start the upload again")
	}
	return nil
}

// finishUpload answers the closing PUT ?digest= (and a monolithic POST):
// the last chunk, if any, is appended; the content is verified; the
// blob gets its name. A mismatch drops the upload and stores nothing.
func (s *Registry) finishUpload(w http.ResponseWriter, r *http.Request, u *upload) error {
	d, isDigest, err := parseDigest(r.URL.Query().Get("digest"))
	if !isDigest || err != nil {
		s.uploads.drop(u)
		return newError(http.StatusBadRequest, codeDigestInvalid, "the digest parameter is missing or invalid")
	}
	if err := s.appendChunk(w, r, u); err != nil {
		return err
	}
	if err := u.verify(d); err != nil {
		s.uploads.drop(u)
		return errUploadDigest
	}
	if err := s.layout.commitTemp(u.tmp, d); err != nil {
		s.uploads.drop(u)
		return err
	}
	s.uploads.drop(u)
	s.log.Debug("serve: blob pushed", "repo", u.repo, "digest", d, "size", u.size)
	blobCreated(w, u.repo, d)
	return nil
}

func blobCreated(w http.ResponseWriter, repo string, d digest.Digest) {
	w.Header().Set("Location", "/v2/"+repo+"/blobs/"+d.String())
	w.Header().Set("Docker-Content-Digest", d.String())
	w.WriteHeader(http.StatusCreated)
}

// uploadHeaders are the headers every answer about an upload carries.
func uploadHeaders(w http.ResponseWriter, u *upload) {
	h := w.Header()
	h.Set("Location", "/v2/"+u.repo+"/blobs/uploads/"+u.id)
	h.Set("Docker-Upload-UUID", u.id)
	h.Set("Range", "0-"+itoa(max(u.size-1, 0)))
}

// parseContentRange reads a chunk's "START-END" Content-Range (also
// accepted with a "bytes " prefix).
func parseContentRange(s string) (start, end int64, ok bool) {
	s = strings.TrimPrefix(s, "bytes ")
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	return start, end, err1 == nil && err2 == nil && start >= 0 && end >= start
}

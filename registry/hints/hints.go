// Package hints is a small on-disk record of what ferry learned about
// registries, for later copies to use: which repositories of a registry
// were seen holding which blobs (so a push can ask for a cross-repository
// mount, distribution spec "Mounting a blob from another repository",
// instead of uploading), and the largest request body that gets through
// to a registry (a proxy in front of it that answers 413 or cuts long
// requests), so pushes go straight to chunks of that size.
//
// Everything in it is a hint: a stale entry costs one refused request.
// The file is bounded (MaxBlobs entries, MaxRepos repositories each,
// oldest dropped first) and replaced atomically. A save holds a lock on
// a file beside it (PATH.lock) while it reads the file again, replays its
// own changes on top and writes the result, so what concurrent processes
// record is merged, never lost.
package hints

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/opencontainers/go-digest"
)

// Bounds of the record.
const (
	// MaxBlobs bounds the blob entries kept across all hosts.
	MaxBlobs = 10000
	// MaxRepos bounds the repositories remembered per blob, most recent first.
	MaxRepos = 4
	// blobTTL and bodyTTL drop entries not refreshed for that long: blobs
	// get deleted, proxies get reconfigured.
	blobTTL = 180 * 24 * time.Hour
	bodyTTL = 30 * 24 * time.Hour
	// maxFileSize bounds what is read back; a larger file is ignored.
	maxFileSize = 16 << 20
	fileVersion = 1
)

// DefaultPath is $XDG_CACHE_HOME/ferry/registry-hints.json
// (~/.cache/ferry/registry-hints.json on Linux when unset).
func DefaultPath() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache directory for registry hints: %w", err)
	}
	return filepath.Join(base, "ferry", "registry-hints.json"), nil
}

// file is the JSON layout.
type file struct {
	Version int                  `json:"version"`
	Hosts   map[string]*hostInfo `json:"hosts"`
}

type hostInfo struct {
	// MaxBody is the largest request body known to reach the registry
	// (0: no limit met).
	MaxBody int64 `json:"maxBody,omitempty"`
	// MaxBodySeen is when MaxBody was learned (Unix seconds).
	MaxBodySeen int64 `json:"maxBodySeen,omitempty"`
	// Blobs maps a digest to where it was seen.
	Blobs map[string]*blobInfo `json:"blobs,omitempty"`
}

type blobInfo struct {
	// Repos are repositories seen holding the blob, most recent first.
	Repos []string `json:"repos"`
	// Seen is when a repository was last recorded (Unix seconds).
	Seen int64 `json:"seen"`
}

// op is one change made since the file was read, replayed on top of the
// file as it is on disk when saving.
type op struct {
	host, digest, repo string
	forget             bool
	maxBody            int64 // > 0: a MaxBody update
	at                 int64
}

// Store is the record in one file. Its methods are safe for concurrent
// use; none of them fails: a file that cannot be read or written only
// means no hints (logged at debug level).
type Store struct {
	path string
	log  *slog.Logger
	now  func() time.Time

	mu     sync.Mutex
	loaded bool
	state  *file
	ops    []op
}

// Open returns the store kept in path ("" for DefaultPath()). It reads
// nothing until first used. log may be nil.
func Open(path string, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if path == "" {
		p, err := DefaultPath()
		if err != nil {
			log.Debug("registry hints off", "error", err)
		}
		path = p
	}
	return &Store{path: path, log: log, now: time.Now}
}

// Path is the file the store reads and writes ("" when none could be found).
func (s *Store) Path() string {
	if s == nil {
		return ""
	}
	return s.path
}

// load reads the file once; s.mu is held.
func (s *Store) load() {
	if s.loaded {
		return
	}
	s.loaded = true
	s.state = s.read()
}

// read returns the file's content, or an empty record.
func (s *Store) read() *file {
	empty := &file{Version: fileVersion, Hosts: map[string]*hostInfo{}}
	if s.path == "" {
		return empty
	}
	b, err := readLimited(s.path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Debug("registry hints unreadable, starting afresh", "path", s.path, "error", err)
		}
		return empty
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil || f.Version != fileVersion || f.Hosts == nil {
		s.log.Debug("registry hints unusable, starting afresh", "path", s.path, "error", err)
		return empty
	}
	f.dropNull()
	return &f
}

// dropNull removes the null entries a damaged or hand-edited file may
// hold ("hosts": {"h": null}), which the rest of the store never writes
// and does not expect.
func (f *file) dropNull() {
	for h, hi := range f.Hosts {
		if hi == nil {
			delete(f.Hosts, h)
			continue
		}
		for d, bi := range hi.Blobs {
			if bi == nil {
				delete(hi.Blobs, d)
			}
		}
	}
}

func readLimited(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxFileSize)
	}
	b := make([]byte, st.Size())
	_, err = io.ReadFull(fh, b)
	return b, err
}

// Record notes that repo on host holds the blob d.
func (s *Store) Record(host string, d digest.Digest, repo string) {
	if s == nil || d == "" || repo == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	o := op{host: host, digest: d.String(), repo: repo, at: s.now().Unix()}
	if b := s.state.blob(o.host, o.digest); b != nil && len(b.Repos) > 0 && b.Repos[0] == repo && o.at-b.Seen < 3600 {
		return // already the most recent entry: nothing worth a write
	}
	s.apply(s.state, o)
	s.ops = append(s.ops, o)
}

// Forget drops repo from the repositories recorded for d on host (a
// mount from it was refused: the hint is stale).
func (s *Store) Forget(host string, d digest.Digest, repo string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	o := op{host: host, digest: d.String(), repo: repo, forget: true, at: s.now().Unix()}
	s.apply(s.state, o)
	s.ops = append(s.ops, o)
}

// Repos lists the repositories of host recorded as holding d, most
// recent first.
func (s *Store) Repos(host string, d digest.Digest) []string {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	b := s.state.blob(host, d.String())
	if b == nil || s.now().Unix()-b.Seen > int64(blobTTL/time.Second) {
		return nil
	}
	return slices.Clone(b.Repos)
}

// MaxBody is the largest request body known to reach host, 0 when no
// limit was met (or it was learned too long ago to trust).
func (s *Store) MaxBody(host string) int64 {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	h := s.state.Hosts[host]
	if h == nil || s.now().Unix()-h.MaxBodySeen > int64(bodyTTL/time.Second) {
		return 0
	}
	return h.MaxBody
}

// SetMaxBody records the largest request body that reaches host.
func (s *Store) SetMaxBody(host string, n int64) {
	if s == nil || n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	o := op{host: host, maxBody: n, at: s.now().Unix()}
	s.apply(s.state, o)
	s.ops = append(s.ops, o)
}

// Save writes the changes made through this store into the file: under
// the file's lock (waiting for another process's save to finish, as long
// as ctx allows) it reads the file again, replays the changes on top,
// trims it to its bounds and replaces it atomically (a temporary file
// renamed over it). With nothing changed it does nothing.
func (s *Store) Save(ctx context.Context) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ops) == 0 || s.path == "" {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("saving registry hints: %w", err)
	}
	lk, err := fsutil.Lock(ctx, s.path+".lock")
	if err != nil {
		s.log.Debug("registry hints not saved", "path", s.path, "error", err)
		return fmt.Errorf("saving registry hints: %w", err)
	}
	defer lk.Unlock()
	f := s.read()
	for _, o := range s.ops {
		s.apply(f, o)
	}
	s.trim(f)
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if err := writeAtomic(s.path, b); err != nil {
		s.log.Debug("registry hints not saved", "path", s.path, "error", err)
		return fmt.Errorf("saving registry hints: %w", err)
	}
	s.ops = nil
	s.state = f
	return nil
}

func (f *file) blob(host, d string) *blobInfo {
	if h := f.Hosts[host]; h != nil {
		return h.Blobs[d]
	}
	return nil
}

// apply replays o on f.
func (s *Store) apply(f *file, o op) {
	h := f.Hosts[o.host]
	if h == nil {
		if o.forget {
			return
		}
		h = &hostInfo{}
		f.Hosts[o.host] = h
	}
	if o.maxBody > 0 {
		h.MaxBody, h.MaxBodySeen = o.maxBody, o.at
		return
	}
	b := h.Blobs[o.digest]
	if o.forget {
		if b != nil {
			b.Repos = slices.DeleteFunc(b.Repos, func(r string) bool { return r == o.repo })
			if len(b.Repos) == 0 {
				delete(h.Blobs, o.digest)
			}
		}
		return
	}
	if h.Blobs == nil {
		h.Blobs = map[string]*blobInfo{}
	}
	if b == nil {
		b = &blobInfo{}
		h.Blobs[o.digest] = b
	}
	repos := append([]string{o.repo}, slices.DeleteFunc(b.Repos, func(r string) bool { return r == o.repo })...)
	if len(repos) > MaxRepos {
		repos = repos[:MaxRepos]
	}
	b.Repos = repos
	b.Seen = max(b.Seen, o.at)
}

// trim drops expired entries, then the oldest blobs beyond MaxBlobs, and
// hosts left with nothing.
func (s *Store) trim(f *file) {
	now := s.now().Unix()
	type ref struct {
		host, digest string
		seen         int64
	}
	var all []ref
	for host, h := range f.Hosts {
		if h.MaxBody > 0 && now-h.MaxBodySeen > int64(bodyTTL/time.Second) {
			h.MaxBody, h.MaxBodySeen = 0, 0
		}
		for d, b := range h.Blobs {
			if now-b.Seen > int64(blobTTL/time.Second) || len(b.Repos) == 0 {
				delete(h.Blobs, d)
				continue
			}
			all = append(all, ref{host, d, b.Seen})
		}
	}
	if len(all) > MaxBlobs {
		sort.Slice(all, func(i, j int) bool { return all[i].seen > all[j].seen })
		for _, r := range all[MaxBlobs:] {
			delete(f.Hosts[r.host].Blobs, r.digest)
		}
	}
	for host, h := range f.Hosts {
		if h.MaxBody == 0 && len(h.Blobs) == 0 {
			delete(f.Hosts, host)
		}
	}
}

// writeAtomic replaces path with b (see fsutil.WriteFileMode), creating
// its directory.
func writeAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return fsutil.WriteFileMode(path, b, 0o600)
}

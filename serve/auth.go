package serve

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"golang.org/x/crypto/bcrypt"
)

// Htpasswd is a set of users and bcrypt password hashes, as `htpasswd
// -B` writes them (USER:$2y$...), the form distribution's htpasswd
// authentication reads.
type Htpasswd struct {
	hashes map[string][]byte

	mu sync.Mutex
	ok map[string][32]byte // user -> sha256 of a password bcrypt accepted
}

// ParseHtpasswd reads an htpasswd file. Blank lines and lines starting
// with # are skipped; an entry whose hash is not bcrypt is refused (by
// line number: the file holds secrets).
func ParseHtpasswd(r io.Reader) (*Htpasswd, error) {
	h := &Htpasswd{hashes: map[string][]byte{}, ok: map[string][32]byte{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		if !ok || user == "" {
			return nil, fmt.Errorf("%w: htpasswd line %d is not USER:HASH", errdefs.ErrInvalidArgument, n)
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, fmt.Errorf("%w: htpasswd line %d: the password hash is not bcrypt (make it with htpasswd -B)", errdefs.ErrInvalidArgument, n)
		}
		h.hashes[user] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(h.hashes) == 0 {
		return nil, fmt.Errorf("%w: the htpasswd file has no users", errdefs.ErrInvalidArgument)
	}
	return h, nil
}

// Check reports whether password is user's. A password bcrypt accepted
// once is remembered by its sha256, so that the many requests of one
// pull do not each pay bcrypt's cost.
func (h *Htpasswd) Check(user, password string) bool {
	hash, ok := h.hashes[user]
	if !ok {
		return false
	}
	sum := sha256.Sum256([]byte(password))
	h.mu.Lock()
	known, seen := h.ok[user]
	h.mu.Unlock()
	if seen && subtle.ConstantTimeCompare(known[:], sum[:]) == 1 {
		return true
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil {
		return false
	}
	h.mu.Lock()
	h.ok[user] = sum
	h.mu.Unlock()
	return true
}

// BasicAuth lets through only requests carrying the credentials of one
// of users (RFC 7617); others get 401 UNAUTHORIZED with a Basic
// challenge, which docker, podman, skopeo and ferry answer from their
// login.
func BasicAuth(next http.Handler, users *Htpasswd, realm string) http.Handler {
	challenge := fmt.Sprintf("Basic realm=%q", realm)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, password, ok := r.BasicAuth(); ok && users.Check(user, password) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", challenge)
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		writeErrorBody(w, newError(http.StatusUnauthorized, codeUnauthorized, "authentication required"))
	})
}

package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/fsutil"
)

// Store is the auth file a login writes and a logout edits, as skopeo's
// do (containers-auth.json(5)). Where the file names a credential helper
// for the registry (credHelpers, or Docker's credsStore), the secret goes
// to the helper and never into the file. Every other content of the file
// is kept; it is replaced atomically, readable by its owner only.
type Store struct {
	// Path is the file; "" means DefaultAuthFile.
	Path string
	// Docker writes Docker's config.json (skopeo's --compat-auth-file):
	// Docker Hub under Docker's historical key, and no namespaced keys,
	// which Docker cannot read.
	Docker bool
	// Logger receives debug lines (never a secret); nil discards.
	Logger *slog.Logger
}

// File is the path the store edits.
func (s Store) File() string {
	if s.Path == "" {
		return DefaultAuthFile()
	}
	return s.Path
}

func (s Store) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Save records user and password for key (see ParseKey) and says where
// the secret went: the file's path, or "docker-credential-NAME".
func (s Store) Save(ctx context.Context, key, username, password string) (string, error) {
	if key == "" || username == "" {
		return "", fmt.Errorf("%w: saving credentials needs a registry and a user name", errdefs.ErrInvalidArgument)
	}
	if s.Docker && isNamespaced(key) {
		return "", fmt.Errorf("%w: %s names a repository, and Docker's config.json keeps one login per registry (log in to %s, or leave out --compat-auth-file)", errdefs.ErrInvalidArgument, key, hostOf(key))
	}
	d, err := readDoc(s.File())
	if err != nil {
		return "", err
	}
	if helper, viaStore := d.helperFor(hostOf(key)); helper != "" {
		if isNamespaced(key) {
			return "", fmt.Errorf("%w: %s: %s keeps one login per registry, not per repository (log in to %s)", errdefs.ErrInvalidArgument, key, helperProg(helper), hostOf(key))
		}
		if err := helperStore(ctx, helper, key, username, password); err != nil {
			return "", err
		}
		// No copy of an older secret stays in the file; Docker marks a
		// login kept by its credsStore with an empty entry.
		changed := d.drop(key)
		if viaStore {
			d.auths[s.fileKey(key)], changed = json.RawMessage("{}"), true
		}
		if changed {
			if err := d.write(); err != nil {
				return "", err
			}
		}
		s.log().Debug("credentials stored", "key", key, "user", username, "in", helperProg(helper))
		return helperProg(helper), nil
	}
	b, err := json.Marshal(authEntry{Auth: encodeAuth(username, password)})
	if err != nil {
		return "", err
	}
	d.drop(key)
	d.auths[s.fileKey(key)] = b
	if err := d.write(); err != nil {
		return "", err
	}
	s.log().Debug("credentials stored", "key", key, "user", username, "in", d.path)
	return d.path, nil
}

// Remove deletes the credentials stored for key, from the file and from
// the credential helper that keeps them. It returns an error wrapping
// errdefs.ErrNotFound when there were none.
func (s Store) Remove(ctx context.Context, key string) error {
	d, err := readDoc(s.File())
	if err != nil {
		return err
	}
	found := false
	if helper, _ := d.helperFor(hostOf(key)); helper != "" && !isNamespaced(key) {
		if found, err = helperErase(ctx, helper, key); err != nil {
			return err
		}
		if found {
			s.log().Debug("credentials erased", "key", key, "from", helperProg(helper))
		}
	}
	if d.drop(key) {
		found = true
		if err := d.write(); err != nil {
			return err
		}
		s.log().Debug("credentials removed", "key", key, "from", d.path)
	}
	if !found {
		return fmt.Errorf("not logged into %s: %w", key, errdefs.ErrNotFound)
	}
	return nil
}

// RemoveAll deletes every credential of the file, and asks the helpers it
// names to forget theirs. The helper configuration (credHelpers,
// credsStore) stays: it is the user's setup, not a login.
func (s Store) RemoveAll(ctx context.Context) error {
	d, err := readDoc(s.File())
	if err != nil || !d.exists {
		return err
	}
	var errs []error
	erase := func(helper, key string) {
		if _, err := helperErase(ctx, helper, key); err != nil {
			errs = append(errs, err)
		}
	}
	for k, h := range d.helpers {
		erase(h, normalizeKey(k))
	}
	if d.store != "" {
		for k := range d.auths {
			if nk := normalizeKey(k); !isNamespaced(nk) {
				erase(d.store, nk)
			}
		}
	}
	d.auths = map[string]json.RawMessage{}
	if err := d.write(); err != nil {
		errs = append(errs, err)
	}
	s.log().Debug("all credentials removed", "from", d.path)
	return errors.Join(errs...)
}

// fileKey is the "auths" key key is written under.
func (s Store) fileKey(key string) string {
	if s.Docker {
		return dockerKey(key)
	}
	return key
}

// doc is an auth file being edited: every top-level field kept as read,
// "auths" entries kept raw (fields ferry does not know survive).
type doc struct {
	path    string
	exists  bool
	top     map[string]json.RawMessage
	auths   map[string]json.RawMessage
	helpers map[string]string
	store   string
}

// readDoc reads the file at path; a file that does not exist is empty.
func readDoc(path string) (*doc, error) {
	d := &doc{path: path, top: map[string]json.RawMessage{}, auths: map[string]json.RawMessage{}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return d, nil
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	d.exists = true
	invalid := func(what string, err error) error {
		return fmt.Errorf("%w: %s is not a valid credentials file (%s): %v", errdefs.ErrInvalidArgument, path, what, err)
	}
	if err := json.Unmarshal(b, &d.top); err != nil {
		return nil, invalid("not a JSON object", err)
	}
	for field, dst := range map[string]any{"auths": &d.auths, "credHelpers": &d.helpers, "credsStore": &d.store} {
		if raw, ok := d.top[field]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, dst); err != nil {
				return nil, invalid(field, err)
			}
		}
	}
	return d, nil
}

// helperFor names the helper that keeps host's secret: its credHelpers
// entry, else the credsStore (viaStore), else "".
func (d *doc) helperFor(host string) (helper string, viaStore bool) {
	want := normalizeHost(host)
	for k, h := range d.helpers {
		if normalizeKey(k) == want {
			return h, false
		}
	}
	return d.store, d.store != ""
}

// drop deletes every spelling of key from "auths"; it reports whether
// there was one.
func (d *doc) drop(key string) bool {
	found := false
	for k := range d.auths {
		if normalizeKey(k) == normalizeKey(key) {
			delete(d.auths, k)
			found = true
		}
	}
	return found
}

// write replaces the file with d: a temporary file next to it renamed
// into place (see fsutil.WriteFileMode), so a reader never sees half a
// file; file and new directories are the user's alone.
func (d *doc) write() error {
	raw, err := json.Marshal(d.auths)
	if err != nil {
		return err
	}
	d.top["auths"] = raw
	out, err := json.MarshalIndent(d.top, "", "\t")
	if err != nil {
		return err
	}
	dir := filepath.Dir(d.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := fsutil.WriteFileMode(d.path, append(out, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", d.path, err)
	}
	d.exists = true
	return nil
}

// hostOf is the registry host of a key.
func hostOf(key string) string {
	h, _, _ := strings.Cut(key, "/")
	return h
}

func helperProg(name string) string { return "docker-credential-" + name }

// encodeAuth is an "auth" value: base64 of "user:password".
func encodeAuth(username, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(username + ":" + password))
}

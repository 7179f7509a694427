package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/fsutil"
)

// Save records user and password for key (a registry host, or
// host/namespace) in the auth file at path ("" means DefaultAuthFile), as
// skopeo login does: an "auths" entry with base64 "user:password". Every
// other content of the file is kept. The file is replaced atomically and
// readable by its owner only.
func Save(path, key, username, password string) error {
	if key == "" || username == "" {
		return fmt.Errorf("%w: saving credentials needs a registry and a user name", errdefs.ErrInvalidArgument)
	}
	return edit(path, func(auths map[string]json.RawMessage) error {
		b, err := json.Marshal(authEntry{Auth: base64.StdEncoding.EncodeToString([]byte(username + ":" + password))})
		if err != nil {
			return err
		}
		for k := range auths {
			if k != key && normalizeKey(k) == normalizeKey(key) {
				delete(auths, k) // a legacy spelling of the same key
			}
		}
		auths[key] = b
		return nil
	})
}

// Remove deletes the credentials stored for key in the auth file at path
// ("" means DefaultAuthFile), as skopeo logout does. It returns an error
// wrapping errdefs.ErrNotFound when there were none.
func Remove(path, key string) error {
	return edit(path, func(auths map[string]json.RawMessage) error {
		found := false
		for k := range auths {
			if normalizeKey(k) == normalizeKey(key) {
				delete(auths, k)
				found = true
			}
		}
		if !found {
			return fmt.Errorf("not logged in to %s: %w", key, errdefs.ErrNotFound)
		}
		return nil
	})
}

// edit rewrites the "auths" object of the file at path, keeping its other
// fields as they were.
func edit(path string, change func(map[string]json.RawMessage) error) error {
	if path == "" {
		path = DefaultAuthFile()
	}
	doc := map[string]json.RawMessage{}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("reading %s: %w", path, err)
	default:
		if err := json.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("%w: %s is not a valid credentials file: %v", errdefs.ErrInvalidArgument, path, err)
		}
	}
	auths := map[string]json.RawMessage{}
	if raw, ok := doc["auths"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &auths); err != nil {
			return fmt.Errorf("%w: %s: \"auths\" is not an object: %v", errdefs.ErrInvalidArgument, path, err)
		}
	}
	if err := change(auths); err != nil {
		return err
	}
	raw, err := json.Marshal(auths)
	if err != nil {
		return err
	}
	doc["auths"] = raw
	out, err := json.MarshalIndent(doc, "", "\t")
	if err != nil {
		return err
	}
	return writeAtomic(path, append(out, '\n'))
}

// writeAtomic writes b to a temporary file next to path and renames it
// into place (see fsutil.WriteFileMode), so a reader never sees half a
// file; the file is the user's alone.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := fsutil.WriteFileMode(path, b, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
)

// Credential is what a registry login yields. At most one of the forms is
// used: a bearer token given as is, an identity (OAuth2 refresh) token, or
// a user name and password.
type Credential struct {
	Username string
	Password string
	// IdentityToken is an OAuth2 refresh token (auth.json "identitytoken",
	// a credential helper's Secret with Username "<token>").
	IdentityToken string
	// RegistryToken is a bearer token sent to the registry as is
	// (--registry-token, auth.json "registrytoken").
	RegistryToken string
}

// IsZero reports whether c holds no credential (anonymous access).
func (c Credential) IsZero() bool {
	return c.Username == "" && c.Password == "" && c.IdentityToken == "" && c.RegistryToken == ""
}

// String never reveals a secret; it is safe in logs.
func (c Credential) String() string {
	switch {
	case c.RegistryToken != "":
		return "registry token"
	case c.IdentityToken != "":
		return "identity token"
	case c.Username != "":
		return "user " + c.Username
	}
	return "anonymous"
}

// authEntry is one value of a file's "auths" object (containers-auth.json(5)
// and Docker's config.json share it).
type authEntry struct {
	Auth          string `json:"auth,omitempty"`
	Username      string `json:"username,omitempty"`
	Password      string `json:"password,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
	RegistryToken string `json:"registrytoken,omitempty"`
}

// authFile is the part of auth.json / config.json that credentials live in.
type authFile struct {
	Auths       map[string]authEntry `json:"auths"`
	CredHelpers map[string]string    `json:"credHelpers,omitempty"`
	CredsStore  string               `json:"credsStore,omitempty"`
}

// readAuthFile reads one file of the chain. A default location that is
// missing or unreadable (/run/containers/UID/auth.json for a user without
// XDG_RUNTIME_DIR) counts as empty, the latter with a debug line; a file
// the user named must exist and be readable, as skopeo requires.
func readAuthFile(cf credFile, log *slog.Logger) (*authFile, error) {
	b, err := os.ReadFile(cf.path)
	switch {
	case err == nil:
	case cf.explicit && errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: credential file is not accessible: %v", errdefs.ErrInvalidArgument, err)
	case errors.Is(err, fs.ErrNotExist):
		return &authFile{}, nil
	case !cf.explicit:
		log.Debug("credential file unreadable, skipped", "path", cf.path, "error", err)
		return &authFile{}, nil
	default:
		return nil, fmt.Errorf("reading credentials from %s: %w", cf.path, err)
	}
	var f authFile
	if cf.legacy {
		err = json.Unmarshal(b, &f.Auths)
	} else {
		err = json.Unmarshal(b, &f)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a valid credentials file: %v", errdefs.ErrInvalidArgument, cf.path, err)
	}
	return &f, nil
}

// decode turns an entry into a Credential.
func (e authEntry) decode(path, key string) (Credential, error) {
	c := Credential{Username: e.Username, Password: e.Password, IdentityToken: e.IdentityToken, RegistryToken: e.RegistryToken}
	if e.Auth != "" {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(e.Auth))
		if err != nil {
			return Credential{}, fmt.Errorf("%w: %s: the auth entry for %s is not valid base64", errdefs.ErrInvalidArgument, path, key)
		}
		u, p, ok := strings.Cut(string(raw), ":")
		if !ok {
			return Credential{}, fmt.Errorf("%w: %s: the auth entry for %s is not user:password", errdefs.ErrInvalidArgument, path, key)
		}
		c.Username, c.Password = u, p
	}
	if c.IdentityToken != "" {
		// A login that yielded a refresh token: the password is not kept.
		c.Password = ""
	}
	return c, nil
}

// normalizeKey maps an "auths" key to the form lookups use: scheme and
// the "/v1/"-style path of Docker's legacy keys dropped, Docker Hub's
// aliases folded to "docker.io". Namespaced keys (quay.io/org/repo) keep
// their path.
func normalizeKey(k string) string {
	if rest, ok := strings.CutPrefix(k, "https://"); ok {
		k, _, _ = strings.Cut(rest, "/")
	} else if rest, ok := strings.CutPrefix(k, "http://"); ok {
		k, _, _ = strings.Cut(rest, "/")
	}
	host, path, _ := strings.Cut(k, "/")
	host = normalizeHost(host)
	if path == "" {
		return host
	}
	return host + "/" + path
}

// normalizeHost folds Docker Hub's names to "docker.io".
func normalizeHost(h string) string {
	switch h {
	case "index.docker.io", "registry-1.docker.io", "docker.io":
		return "docker.io"
	}
	return h
}

// candidates lists the keys that may hold credentials for registry/repo,
// most specific first, as containers-auth.json(5) says: "quay.io/a/b",
// "quay.io/a", "quay.io".
func candidates(registry, repo string) []string {
	full := normalizeHost(registry)
	if repo != "" {
		full += "/" + repo
	}
	var out []string
	for {
		out = append(out, full)
		i := strings.LastIndexByte(full, '/')
		if i < 0 {
			return out
		}
		full = full[:i]
	}
}

// find looks up registry/repo in f: the most specific "auths" key wins.
func (f *authFile) find(path, registry, repo string) (Credential, bool, error) {
	if len(f.Auths) == 0 {
		return Credential{}, false, nil
	}
	norm := make(map[string]string, len(f.Auths))
	for k := range f.Auths {
		nk := normalizeKey(k)
		// An exact normalized key beats a legacy URL form of it.
		if prev, ok := norm[nk]; !ok || prev != nk {
			norm[nk] = k
		}
	}
	for _, c := range candidates(registry, repo) {
		k, ok := norm[c]
		if !ok {
			continue
		}
		cred, err := f.Auths[k].decode(path, k)
		if err != nil {
			return Credential{}, false, err
		}
		if cred.IsZero() {
			// An empty entry marks a registry whose secret is in a
			// credential store (Docker's credsStore); keep looking there.
			continue
		}
		return cred, true, nil
	}
	return Credential{}, false, nil
}

// helperFor names the credential helper f configures for registry, "" if none.
func (f *authFile) helperFor(registry string) string {
	want := normalizeHost(registry)
	for k, h := range f.CredHelpers {
		if normalizeKey(k) == want {
			return h
		}
	}
	return ""
}

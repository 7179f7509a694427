package auth

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
)

// credFile is one file of the lookup chain.
type credFile struct {
	path     string
	legacy   bool // ~/.dockercfg: the "auths" object at top level
	explicit bool // named by the user: it must exist
}

// DefaultAuthFile is the file a login writes and the first one read:
// $REGISTRY_AUTH_FILE, else ${XDG_RUNTIME_DIR}/containers/auth.json, else
// /run/containers/UID/auth.json (containers-auth.json(5)).
func DefaultAuthFile() string {
	if p := os.Getenv("REGISTRY_AUTH_FILE"); p != "" {
		return p
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "containers", "auth.json")
	}
	return filepath.Join("/run/containers", strconv.Itoa(os.Getuid()), "auth.json")
}

// files lists the files read for credentials, in order. An explicit file
// (the --authfile option, or $REGISTRY_AUTH_FILE) is the only one read, as
// in skopeo; otherwise the primary auth.json is followed by
// ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json, Docker's config.json
// ($DOCKER_CONFIG/config.json or ~/.docker/config.json) and ~/.dockercfg.
func files(authFile string) []credFile {
	if authFile != "" {
		return []credFile{{path: authFile, explicit: true}}
	}
	if p := os.Getenv("REGISTRY_AUTH_FILE"); p != "" {
		return []credFile{{path: p, explicit: true}}
	}
	out := []credFile{{path: DefaultAuthFile()}}
	home, _ := os.UserHomeDir()
	cfgHome := os.Getenv("XDG_CONFIG_HOME")
	if cfgHome == "" && home != "" {
		cfgHome = filepath.Join(home, ".config")
	}
	if cfgHome != "" {
		out = append(out, credFile{path: filepath.Join(cfgHome, "containers", "auth.json")})
	}
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		out = append(out, credFile{path: filepath.Join(d, "config.json")})
	} else if home != "" {
		out = append(out, credFile{path: filepath.Join(home, ".docker", "config.json")})
	}
	if home != "" {
		out = append(out, credFile{path: filepath.Join(home, ".dockercfg"), legacy: true})
	}
	return out
}

// Lookup finds the credential for repository repo on registry (the name's
// domain as written, "docker.io" for Docker Hub) as a new Finder with s
// would. Callers that look up more than once keep a Finder instead.
func Lookup(ctx context.Context, registry, repo string, s Settings, log *slog.Logger) (Credential, error) {
	return NewFinder(s, log).Lookup(ctx, registry, repo)
}

package auth

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/ferrytool/ferry/transport"
)

// credFile is one file of the lookup chain.
type credFile struct {
	path   string
	legacy bool // ~/.dockercfg: the "auths" object at top level
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
		return []credFile{{path: authFile}}
	}
	if p := os.Getenv("REGISTRY_AUTH_FILE"); p != "" {
		return []credFile{{path: p}}
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
// domain as written, "docker.io" for Docker Hub), in skopeo's order:
// explicit user name and password or bearer token in a; nothing when
// a.NoCreds; then each credential file in turn, where a credHelpers entry
// for the registry runs that docker-credential helper, the most specific
// "auths" key (host/namespace before host) wins, and a Docker credsStore
// is asked last. No credential found is not an error: access is anonymous.
func Lookup(ctx context.Context, registry, repo string, a transport.Auth, log *slog.Logger) (Credential, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch {
	case a.BearerToken != "":
		return Credential{RegistryToken: a.BearerToken}, nil
	case a.Username != "" || a.Password != "":
		if a.Username == "" {
			return Credential{}, fmt.Errorf("%s: a password was given without a user name", registry)
		}
		return Credential{Username: a.Username, Password: a.Password}, nil
	case a.NoCreds:
		return Credential{}, nil
	}
	for _, cf := range files(a.AuthFile) {
		f, err := readAuthFile(cf.path, cf.legacy)
		if err != nil {
			return Credential{}, err
		}
		if h := f.helperFor(registry); h != "" {
			c, found, err := runHelper(ctx, h, registry)
			if err != nil {
				return Credential{}, err
			}
			if found {
				log.Debug("registry credentials", "registry", registry, "from", "docker-credential-"+h, "credential", c.String())
				return c, nil
			}
			continue
		}
		c, found, err := f.find(cf.path, registry, repo)
		if err != nil {
			return Credential{}, err
		}
		if found {
			log.Debug("registry credentials", "registry", registry, "from", cf.path, "credential", c.String())
			return c, nil
		}
		if f.CredsStore != "" {
			c, found, err := runHelper(ctx, f.CredsStore, registry)
			if err != nil {
				return Credential{}, err
			}
			if found {
				log.Debug("registry credentials", "registry", registry, "from", "docker-credential-"+f.CredsStore, "credential", c.String())
				return c, nil
			}
		}
	}
	log.Debug("registry credentials", "registry", registry, "credential", "anonymous")
	return Credential{}, nil
}

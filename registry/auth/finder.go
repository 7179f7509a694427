package auth

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// Finder looks up credentials for one Settings, as often as asked, at the
// cost of one lookup: the credential files are read once, and each
// docker-credential helper is asked once per registry (its answer, found
// or not, kept for the life of the Finder; a failure is not kept, so a
// retry asks again). Construction does no I/O. Safe for concurrent use.
type Finder struct {
	s   Settings
	log *slog.Logger

	filesMu sync.Mutex
	loaded  bool
	files   []loadedFile
	loadErr error

	helpersMu sync.Mutex
	helpers   map[helperKey]*helperAnswer
}

// loadedFile is one credential file as read.
type loadedFile struct {
	path string
	f    *authFile
}

type helperKey struct{ helper, registry string }

// helperAnswer is a helper's answer for one registry; mu serializes the
// first run, so concurrent lookups wait for it rather than run it again.
type helperAnswer struct {
	mu    sync.Mutex
	done  bool
	cred  Credential
	found bool
}

// NewFinder returns a Finder for s; log may be nil.
func NewFinder(s Settings, log *slog.Logger) *Finder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Finder{s: s, log: log, helpers: map[helperKey]*helperAnswer{}}
}

// Lookup finds the credential for repository repo on registry (the name's
// domain as written, "docker.io" for Docker Hub), in skopeo's order:
// explicit user name and password or bearer token in the settings;
// nothing when NoCreds; then each credential file in turn, where a
// credHelpers entry for the registry runs that docker-credential helper,
// the most specific "auths" key (host/namespace before host) wins, and a
// Docker credsStore is asked last. No credential found is not an error:
// access is anonymous.
func (f *Finder) Lookup(ctx context.Context, registry, repo string) (Credential, error) {
	c, _, err := f.lookup(ctx, registry, repo)
	return c, err
}

// lookup is Lookup, also saying where the credential came from: a file's
// path, "docker-credential-NAME", "settings", or "" for none.
func (f *Finder) lookup(ctx context.Context, registry, repo string) (Credential, string, error) {
	a := f.s
	switch {
	case a.BearerToken != "":
		return Credential{RegistryToken: a.BearerToken}, "settings", nil
	case a.Username != "" || a.Password != "":
		if a.Username == "" {
			return Credential{}, "", fmt.Errorf("%s: a password was given without a user name", registry)
		}
		return Credential{Username: a.Username, Password: a.Password}, "settings", nil
	case a.NoCreds:
		return Credential{}, "", nil
	}
	files, err := f.load()
	if err != nil {
		return Credential{}, "", err
	}
	found := func(c Credential, from string) (Credential, string, error) {
		f.log.Debug("registry credentials", "registry", registry, "from", from, "credential", c.String())
		return c, from, nil
	}
	for _, lf := range files {
		if h := lf.f.helperFor(registry); h != "" {
			c, ok, err := f.helper(ctx, h, registry)
			if err != nil {
				return Credential{}, "", err
			}
			if ok {
				return found(c, "docker-credential-"+h)
			}
			continue
		}
		c, ok, err := lf.f.find(lf.path, registry, repo)
		if err != nil {
			return Credential{}, "", err
		}
		if ok {
			return found(c, lf.path)
		}
		if lf.f.CredsStore != "" {
			c, ok, err := f.helper(ctx, lf.f.CredsStore, registry)
			if err != nil {
				return Credential{}, "", err
			}
			if ok {
				return found(c, "docker-credential-"+lf.f.CredsStore)
			}
		}
	}
	f.log.Debug("registry credentials", "registry", registry, "credential", "anonymous")
	return Credential{}, "", nil
}

// load reads the credential files once; what it found (or the error that
// stopped it: a file that is not valid JSON, an --authfile that does not
// exist) stands for the life of the Finder.
func (f *Finder) load() ([]loadedFile, error) {
	f.filesMu.Lock()
	defer f.filesMu.Unlock()
	if !f.loaded {
		f.loaded = true
		for _, cf := range files(f.s.AuthFile) {
			af, err := readAuthFile(cf, f.log)
			if err != nil {
				f.loadErr = err
				break
			}
			f.files = append(f.files, loadedFile{path: cf.path, f: af})
		}
	}
	return f.files, f.loadErr
}

// helper runs docker-credential-NAME for registry, once.
func (f *Finder) helper(ctx context.Context, name, registry string) (Credential, bool, error) {
	k := helperKey{name, normalizeHost(registry)}
	f.helpersMu.Lock()
	e := f.helpers[k]
	if e == nil {
		e = &helperAnswer{}
		f.helpers[k] = e
	}
	f.helpersMu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done {
		return e.cred, e.found, nil
	}
	c, found, err := runHelper(ctx, name, registry)
	if err != nil {
		return Credential{}, false, err
	}
	e.done, e.cred, e.found = true, c, found
	return c, found, nil
}

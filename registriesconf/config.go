package registriesconf

import (
	"log/slog"
	"maps"
	"slices"
	"sync"
)

// Registry is one [[registry]] table: the settings for the names starting
// with Prefix.
type Registry struct {
	// Prefix is a registry, namespace, repository or image name
	// ("example.com", "example.com/ns/repo:tag"), or "*.example.com" for
	// any subdomain. The longest prefix matching a name wins.
	Prefix string
	// Location replaces Prefix in the names pulled ("" with a wildcard
	// prefix: names are used as they are).
	Location string
	// Insecure allows plain HTTP and unverified TLS.
	Insecure bool
	// Blocked: the registry is never contacted (its mirrors still are).
	Blocked bool
	// MirrorByDigestOnly: mirrors serve only pulls by digest.
	MirrorByDigestOnly bool
	// Mirrors are tried in order before the primary location.
	Mirrors []Mirror
	// Origin is the file and line of the table, for messages.
	Origin string
}

// Mirror is one [[registry.mirror]] table.
type Mirror struct {
	// Location replaces the registry's prefix in the names pulled.
	Location string
	// Insecure allows plain HTTP and unverified TLS.
	Insecure bool
	// PullFromMirror is MirrorAll (or ""), MirrorDigestOnly or
	// MirrorTagOnly: which pulls the mirror serves.
	PullFromMirror string
}

// The values of pull-from-mirror.
const (
	MirrorAll        = "all"
	MirrorDigestOnly = "digest-only"
	MirrorTagOnly    = "tag-only"
)

// ShortNameMode says what happens to a short name that more than one
// search registry could serve.
type ShortNameMode string

// The values of short-name-mode.
const (
	// Enforcing asks the user to choose when there is a terminal, and
	// refuses the name when there is none.
	Enforcing ShortNameMode = "enforcing"
	// Permissive asks when there is a terminal, else tries every search
	// registry in order (the default).
	Permissive ShortNameMode = "permissive"
	// Disabled tries every search registry in order.
	Disabled ShortNameMode = "disabled"
)

// Config is the registries.conf configuration of a process. Its methods
// read the files on first use when it was made by Lazy; a nil *Config is
// no configuration at all (every name pulled from where it says). Safe
// for concurrent use.
type Config struct {
	once sync.Once
	load func() (*merged, error)
	m    *merged
	err  error
}

// Load reads the configuration now.
func Load(o Options) (*Config, error) {
	c := Lazy(o)
	if _, err := c.get(); err != nil {
		return nil, err
	}
	return c, nil
}

// Lazy returns a configuration read on first use, so that a malformed
// file fails only the commands that reach a registry, as with skopeo.
func Lazy(o Options) *Config {
	c := &Config{}
	c.load = func() (*merged, error) {
		fs, err := o.files()
		if err != nil {
			return nil, err
		}
		m, err := mergeFiles(fs)
		if err != nil {
			return nil, err
		}
		if o.Logger != nil {
			m.logOrigins(o.Logger)
		}
		return m, nil
	}
	return c
}

// get loads the configuration once.
func (c *Config) get() (*merged, error) {
	if c == nil {
		return &merged{}, nil
	}
	c.once.Do(func() { c.m, c.err = c.load() })
	return c.m, c.err
}

// Files are the files read, in order (nil for a nil Config).
func (c *Config) Files() ([]string, error) {
	m, err := c.get()
	if err != nil {
		return nil, err
	}
	return m.files, nil
}

// Registries are the [[registry]] tables in effect, sorted by prefix.
func (c *Config) Registries() ([]Registry, error) {
	m, err := c.get()
	if err != nil {
		return nil, err
	}
	return m.registries, nil
}

// CredentialHelpers are the credential-helpers setting: helpers consulted
// in order, "containers-auth.json" standing for the auth files; that
// alone when not set.
func (c *Config) CredentialHelpers() ([]string, error) {
	m, err := c.get()
	if err != nil {
		return nil, err
	}
	if len(m.helpers) == 0 {
		return []string{"containers-auth.json"}, nil
	}
	return m.helpers, nil
}

// merged is every file read, merged.
type merged struct {
	files      []string
	registries []Registry // sorted by prefix, one per prefix

	search       []string
	searchOrigin string
	helpers      []string
	mode         ShortNameMode // "" until a file sets it
	modeOrigin   string
	aliases      map[string]alias
}

// logOrigins says, at debug level, which file each setting came from.
func (m *merged) logOrigins(log *slog.Logger) {
	if len(m.files) == 0 {
		log.Debug("no registries.conf found")
	}
	for _, f := range m.files {
		log.Debug("read registries.conf", "file", f)
	}
	for _, r := range m.registries {
		var mirrors []string
		for _, mi := range r.Mirrors {
			mirrors = append(mirrors, mi.Location)
		}
		log.Debug("registries.conf registry", "prefix", r.Prefix, "location", r.Location, "insecure", r.Insecure,
			"blocked", r.Blocked, "mirrors", mirrors, "mirror-by-digest-only", r.MirrorByDigestOnly, "from", r.Origin)
	}
	if m.searchOrigin != "" {
		log.Debug("registries.conf unqualified-search-registries", "value", m.search, "from", m.searchOrigin)
	}
	if m.modeOrigin != "" {
		log.Debug("registries.conf short-name-mode", "value", m.mode, "from", m.modeOrigin)
	}
	for _, name := range slices.Sorted(maps.Keys(m.aliases)) {
		if a := m.aliases[name]; a.value != nil {
			log.Debug("registries.conf alias", "name", name, "value", a.value.String(), "from", a.origin)
		}
	}
}

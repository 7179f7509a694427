package registriesd

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// Options says where the configuration is read from. The zero value is
// the search containers/image makes.
type Options struct {
	// Dir, when set, is the only directory read (skopeo's --registries.d).
	Dir string
	// ConfigHome is the user's configuration directory; "" means
	// $XDG_CONFIG_HOME, or ~/.config without it.
	ConfigHome string
	// SystemDirs are the directories tried after the user's, in order;
	// nil means /etc/containers/registries.d, then
	// /usr/share/containers/registries.d.
	SystemDirs []string
	// DefaultLookaside is the lookaside used when nothing in the files
	// matches an image; "" means the built-in default (see Default).
	DefaultLookaside string
	// Logger receives, at debug level, which directory is read.
	Logger *slog.Logger
}

// Config is a registries.d configuration. Its methods load it on first use
// when it was made by Lazy; a nil *Config is the built-in defaults alone,
// as when no file exists. Safe for concurrent use.
type Config struct {
	once sync.Once
	load func() (*file, error)
	f    *file
	err  error
	dir  string // the directory read, "" when none
	// def is the lookaside used when nothing matches.
	def string
}

// Load reads the configuration now.
func Load(o Options) (*Config, error) {
	c := Lazy(o)
	if _, err := c.get(); err != nil {
		return nil, err
	}
	return c, nil
}

// Lazy returns a configuration read on first use, so that a malformed file
// only fails the commands that reach a registry, as with skopeo.
func Lazy(o Options) *Config {
	c := &Config{def: o.DefaultLookaside}
	if c.def == "" {
		c.def = Default()
	}
	c.load = func() (*file, error) {
		c.dir = o.dir()
		if o.Logger != nil {
			o.Logger.Debug("reading registries.d", "dir", c.dir)
		}
		return loadDir(c.dir)
	}
	return c
}

// Dir is the directory the configuration was read from ("" for a nil
// Config, or before a Lazy one is used).
func (c *Config) Dir() string {
	if c == nil {
		return ""
	}
	c.get()
	return c.dir
}

// get loads the configuration once.
func (c *Config) get() (*file, error) {
	if c == nil {
		return &file{}, nil
	}
	c.once.Do(func() { c.f, c.err = c.load() })
	return c.f, c.err
}

// dir is the directory to read, as containers/image chooses it: the
// explicit one; else the user's if it exists; else the first system
// directory that exists (the last one when none does).
func (o Options) dir() string {
	if o.Dir != "" {
		return o.Dir
	}
	home := o.ConfigHome
	if home == "" {
		home = os.Getenv("XDG_CONFIG_HOME")
	}
	if home == "" {
		if h, err := os.UserHomeDir(); err == nil {
			home = filepath.Join(h, ".config")
		}
	}
	var dirs []string
	if home != "" {
		dirs = append(dirs, filepath.Join(home, "containers", "registries.d"))
	}
	system := o.SystemDirs
	if system == nil {
		system = []string{"/etc/containers/registries.d", "/usr/share/containers/registries.d"}
	}
	dirs = append(dirs, system...)
	for _, d := range dirs {
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			return d
		}
	}
	if len(dirs) == 0 {
		return ""
	}
	return dirs[len(dirs)-1]
}

// Default is the built-in lookaside, used when the configuration names
// none for an image: /var/lib/containers/sigstore for root,
// ~/.local/share/containers/sigstore for anyone else.
func Default() string {
	home, _ := os.UserHomeDir()
	return defaultFor(os.Geteuid(), home)
}

func defaultFor(euid int, home string) string {
	if euid == 0 {
		return "file:///var/lib/containers/sigstore"
	}
	return "file://" + filepath.ToSlash(filepath.Join(home, ".local/share/containers/sigstore"))
}

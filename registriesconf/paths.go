package registriesconf

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
)

// The environment variables containers/image reads.
const (
	// EnvPath names the one file to read instead of the usual ones (no
	// drop-ins then).
	EnvPath = "CONTAINERS_REGISTRIES_CONF"
	// EnvOverride names a file read after all others.
	EnvOverride = "CONTAINERS_REGISTRIES_CONF_OVERRIDE"
)

// Options says where the configuration is read from. The zero value is
// the search containers/image 5.42 makes:
//
//   - $CONTAINERS_REGISTRIES_CONF alone when set (a missing file is an
//     error), else the first of $XDG_CONFIG_HOME/containers/registries.conf
//     (~/.config without it), /etc/containers/registries.conf and
//     /usr/share/containers/registries.conf that exists;
//   - then, unless $CONTAINERS_REGISTRIES_CONF is set, the drop-ins: every
//     *.conf in registries.conf.d beside each of those three (and in the
//     system directories' registries.rootful.conf.d, or for others than
//     root registries.rootless.conf.d and its UID subdirectory), in
//     basename order; a basename found in several directories is read
//     from the last (user over /etc over /usr/share);
//   - then $CONTAINERS_REGISTRIES_CONF_OVERRIDE.
//
// Later files win setting by setting (see merge.go).
type Options struct {
	// Path, when set, is read instead of the usual files, as
	// CONTAINERS_REGISTRIES_CONF would be (skopeo's --registries-conf).
	Path string
	// LookupEnv reads the environment; nil means os.LookupEnv. Tests give
	// their own so that they need not change the process's.
	LookupEnv func(string) (string, bool)
	// Home is the user's home directory; "" means os.UserHomeDir.
	Home string
	// SystemDirs are the administrator's and then the vendor's directory;
	// nil means /etc/containers and /usr/share/containers.
	SystemDirs []string
	// UID chooses the rootful or rootless drop-in directories; nil means
	// os.Geteuid.
	UID *int
	// Logger receives, at debug level, the files read and which file each
	// setting came from.
	Logger *slog.Logger
}

// file is one file to read.
type file struct {
	path string
	// dropIn files must use the v2 format.
	dropIn bool
}

func (o Options) lookupEnv(k string) string {
	f := o.LookupEnv
	if f == nil {
		f = os.LookupEnv
	}
	v, _ := f(k)
	return v
}

// userDir is $XDG_CONFIG_HOME/containers, or ~/.config/containers; "" when
// neither can be known.
func (o Options) userDir() string {
	f := o.LookupEnv
	if f == nil {
		f = os.LookupEnv
	}
	if x, ok := f("XDG_CONFIG_HOME"); ok {
		return filepath.Join(x, "containers")
	}
	home := o.Home
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		home = h
	}
	return filepath.Join(home, ".config", "containers")
}

func (o Options) systemDirs() []string {
	if o.SystemDirs != nil {
		return o.SystemDirs
	}
	return []string{"/etc/containers", "/usr/share/containers"}
}

func (o Options) uid() int {
	if o.UID != nil {
		return *o.UID
	}
	return os.Geteuid()
}

// files lists the files to read, in order. A file named explicitly (Path,
// or either environment variable) must exist; the usual ones may not.
func (o Options) files() ([]file, error) {
	var out []file
	explicit := o.Path
	if explicit == "" {
		explicit = o.lookupEnv(EnvPath)
	}
	if explicit != "" {
		if err := mustExist(explicit); err != nil {
			return nil, err
		}
		out = append(out, file{path: explicit})
	} else {
		user, system := o.userDir(), o.systemDirs()
		var mains []string
		if user != "" {
			mains = append(mains, user)
		}
		mains = append(mains, system...)
		for _, d := range mains {
			p := filepath.Join(d, "registries.conf")
			ok, err := exists(p)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, file{path: p})
				break
			}
		}
		dropIns, err := dropIns(o.dropInDirs(user, system))
		if err != nil {
			return nil, err
		}
		for _, p := range dropIns {
			out = append(out, file{path: p, dropIn: true})
		}
	}
	if p := o.lookupEnv(EnvOverride); p != "" {
		if err := mustExist(p); err != nil {
			return nil, err
		}
		out = append(out, file{path: p})
	}
	return out, nil
}

// dropInDirs are the drop-in directories from the least to the most
// specific: the vendor's, the administrator's, the user's.
func (o Options) dropInDirs(user string, system []string) []string {
	uid := o.uid()
	special := "registries.rootful.conf.d"
	if uid > 0 {
		special = "registries.rootless.conf.d"
	}
	var dirs []string
	for _, d := range slices.Backward(system) {
		dirs = append(dirs, filepath.Join(d, "registries.conf.d"), filepath.Join(d, special))
		if uid > 0 {
			dirs = append(dirs, filepath.Join(d, special, strconv.Itoa(uid)))
		}
	}
	if user != "" {
		dirs = append(dirs, filepath.Join(user, "registries.conf.d"))
	}
	return dirs
}

// dropIns are the regular *.conf files in dirs, sorted by basename; of
// two with one basename, the later directory's.
func dropIns(dirs []string) ([]string, error) {
	byName := map[string]string{}
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: registries.conf drop-ins: %v", errdefs.ErrInvalidArgument, err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".conf") {
				byName[e.Name()] = filepath.Join(d, e.Name())
			}
		}
	}
	out := make([]string, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, byName[name])
	}
	return out, nil
}

func exists(p string) (bool, error) {
	_, err := os.Stat(p)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("%w: registries.conf: %v", errdefs.ErrInvalidArgument, err)
	}
}

func mustExist(p string) error {
	ok, err := exists(p)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: registries.conf %s does not exist", errdefs.ErrInvalidArgument, p)
	}
	return nil
}

package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	cstorage "go.podman.io/storage"
	graphdriver "go.podman.io/storage/drivers"
	"go.podman.io/storage/types"
)

// lockNotice is how long a store call may block before ferry says it is
// waiting: the library waits for as long as another process (podman,
// buildah, another ferry) holds the store's lock, and says nothing.
const lockNotice = 2 * time.Second

// storeOptions turns the reference's "[DRIVER@ROOT+RUNROOT:OPTIONS]"
// into the library's options as containers/image does: with no
// specifier, the defaults podman uses (storage.conf and its drop-ins,
// CONTAINERS_STORAGE_CONF, the rootless paths for a user); with one, the
// parts it gives, the library filling in a missing root or run root.
func storeOptions(spec string) (types.StoreOptions, error) {
	if spec == "" {
		o, err := types.DefaultStoreOptions()
		if err != nil {
			return o, fmt.Errorf("containers-storage: reading the storage configuration: %w", err)
		}
		return o, nil
	}
	bad := func(why string) error {
		return fmt.Errorf("%w: containers-storage: [%s]: %s", errdefs.ErrInvalidReference, spec, why)
	}
	var o types.StoreOptions
	rest := spec
	if driver, after, ok := strings.Cut(rest, "@"); ok {
		if driver == "" || after == "" {
			return o, bad("want DRIVER@ROOT")
		}
		o.GraphDriverName, rest = driver, after
	}
	rest, opts, ok := strings.Cut(rest, ":")
	if ok {
		o.GraphDriverOptions = strings.Split(opts, ",")
	}
	root, runRoot, _ := strings.Cut(rest, "+")
	if root != "" && !filepath.IsAbs(root) || runRoot != "" && !filepath.IsAbs(runRoot) {
		return o, bad("the store's paths must be absolute")
	}
	if root == "" && runRoot == "" && o.GraphDriverName == "" && len(o.GraphDriverOptions) == 0 {
		return o, bad("an empty store specifier")
	}
	o.GraphRoot, o.RunRoot = root, runRoot
	return o, nil
}

// openStores shares one opened store per (driver, root, run root) in the
// process, counted, so that a copy reading and writing the same store, or
// a sync writing many images, does not shut it down under another user.
var openStores = struct {
	sync.Mutex
	m map[string]*sharedStore
}{m: map[string]*sharedStore{}}

type sharedStore struct {
	cstorage.Store
	key  string
	refs int
}

// openStore opens the store spec names, waiting (and saying so through
// log) while another process holds its lock.
func openStore(spec string, log *slog.Logger) (*sharedStore, error) {
	if os.Geteuid() != 0 {
		// podman and skopeo re-execute themselves in a user namespace,
		// which takes cgo; ferry has none.
		return nil, fmt.Errorf("%w: containers-storage: as a user other than root, run ferry inside podman's user namespace: podman unshare ferry ...", errdefs.ErrNotSupported)
	}
	o, err := storeOptions(spec)
	if err != nil {
		return nil, err
	}
	routeLibraryLogs(log)
	key := o.GraphDriverName + "@" + o.GraphRoot + "+" + o.RunRoot
	openStores.Lock()
	defer openStores.Unlock()
	if s, ok := openStores.m[key]; ok {
		s.refs++
		return s, nil
	}
	defer waiting(log, "opening the store", o.GraphRoot)()
	st, err := cstorage.GetStore(o)
	if err != nil {
		return nil, storeError(o, err)
	}
	s := &sharedStore{Store: st, key: key, refs: 1}
	openStores.m[key] = s
	return s, nil
}

// release drops one use of s; the last shuts the store down (unmounting
// nothing ferry mounted: it mounts nothing).
func (s *sharedStore) release() {
	openStores.Lock()
	defer openStores.Unlock()
	s.refs--
	if s.refs > 0 {
		return
	}
	delete(openStores.m, s.key)
	s.Shutdown(false)
}

// storeError says in one sentence why a store could not be opened.
func storeError(o types.StoreOptions, err error) error {
	where := o.GraphRoot
	if where == "" {
		where = "the default store"
	}
	switch {
	case errors.Is(err, graphdriver.ErrNotSupported), errors.Is(err, graphdriver.ErrPrerequisites),
		errors.Is(err, graphdriver.ErrIncompatibleFS):
		name := o.GraphDriverName
		if name == "" {
			name = "the configured"
		} else {
			name = fmt.Sprintf("%q", name)
		}
		return fmt.Errorf("%w: containers-storage: %s: %s storage driver is not supported here (ferry builds the vfs and overlay drivers): %v",
			errdefs.ErrNotSupported, where, name, err)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%w: containers-storage: %s: %v", errdefs.ErrDenied, where, err)
	}
	return fmt.Errorf("containers-storage: opening %s: %w", where, err)
}

// waiting logs, once the call it brackets has blocked for lockNotice,
// that ferry waits for the store's lock; the returned func ends the watch.
func waiting(log *slog.Logger, what, root string) func() {
	t := time.AfterFunc(lockNotice, func() {
		log.Warn("waiting for the containers-storage lock: another process (podman, buildah, another ferry) holds it",
			"store", root, "while", what)
	})
	return func() { t.Stop() }
}

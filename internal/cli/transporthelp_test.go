package cli

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/storage/store"
	"github.com/ferrytool/ferry/transports"
)

// TestTransportHelpTellsTheTruth checks the per-command transport lists of
// --help against what each transport does: a transport help offers as a
// source or destination does not refuse to be one, one it leaves out does,
// and delete lists exactly the transports that can delete.
func TestTransportHelpTellsTheTruth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	examples := map[string]string{
		"docker":             "docker://localhost:1/app:1",
		"oci":                "oci:" + filepath.Join(dir, "layout") + ":1",
		"oci-archive":        "oci-archive:" + filepath.Join(dir, "oci.tar"),
		"docker-archive":     "docker-archive:" + filepath.Join(dir, "docker.tar") + ":app:1",
		"docker-daemon":      "docker-daemon:app:1",
		"dir":                "dir:" + filepath.Join(dir, "dir"),
		"tarball":            "tarball:" + filepath.Join(dir, "layer.tar"),
		"sif":                "sif:" + filepath.Join(dir, "image.sif"),
		"containers-storage": "containers-storage:app:1",
	}
	// A canceled context: nothing is contacted, and a refusal that does
	// not depend on the world still shows.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// The command's transports: containers-storage: opted in, as
	// frontdoor.go does.
	set := transports.New(transports.Config{Storage: store.Backend})
	for _, name := range transports.Names() {
		t.Run(name, func(t *testing.T) {
			ex, ok := examples[name]
			if !ok {
				t.Fatalf("no example name for transport %s: add one", name)
			}
			ref, err := set.Parse(ex)
			if err != nil {
				t.Fatal(err)
			}
			_, srcErr := ref.NewSource(ctx, &transport.Options{})
			_, dstErr := ref.NewDestination(ctx, &transport.Options{})
			readable := !slices.Contains(notImplemented, name)
			writable := readable && !slices.Contains(sourceOnly, name)
			if got := !errors.Is(srcErr, errdefs.ErrNotSupported); got != readable {
				t.Errorf("help says readable=%v; NewSource: %v", readable, srcErr)
			}
			if got := !errors.Is(dstErr, errdefs.ErrNotSupported); got != writable {
				t.Errorf("help says writable=%v; NewDestination: %v", writable, dstErr)
			}
			_, deleter := ref.(transport.Deleter)
			if want := slices.Contains(deletable, name); deleter != want {
				t.Errorf("delete's help lists it: %v; implements transport.Deleter: %v", want, deleter)
			}
		})
	}
}

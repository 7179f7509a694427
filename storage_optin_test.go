package ferry_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/ferrytool/ferry"
	"github.com/ferrytool/ferry/internal/testenv"
)

// storageLibrary is the containers project's storage library, which (with
// cgo) needs the btrfs C headers to build: only programs that opt in to
// containers-storage: (package transport/storage/store) may carry it.
const storageLibrary = "go.podman.io/storage"

// TestStorageIsOptIn: package ferry and package transports do not depend
// on the storage library, so a program importing them builds without the
// btrfs headers; the opt-in package does (which shows the check can fail).
func TestStorageIsOptIn(t *testing.T) {
	goBin := testenv.NeedCommand(t, "go")
	t.Parallel()
	for pkg, want := range map[string]bool{
		"github.com/ferrytool/ferry":                         false,
		"github.com/ferrytool/ferry/transports":              false,
		"github.com/ferrytool/ferry/transport/storage":       false,
		"github.com/ferrytool/ferry/transport/storage/store": true,
	} {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			importers := storageImporters(t, goBin, pkg)
			if got := len(importers) > 0; got != want {
				t.Errorf("%s depends on %s: %v, want %v (imported by %v)", pkg, storageLibrary, got, want, importers)
			}
		})
	}
}

// TestStorageNotOptedIn: without WithContainersStorage, a
// containers-storage: name is refused in one sentence that says how to
// opt in, before any store is looked for.
func TestStorageNotOptedIn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	_, inspectErr := ferry.Inspect(ctx, "containers-storage:busybox:1")
	_, copyErr := ferry.Copy(ctx, "containers-storage:busybox:1", "dir:"+dir)
	deleteErr := ferry.Delete(ctx, "containers-storage:busybox:1")
	for _, err := range []error{inspectErr, copyErr, deleteErr} {
		if !errors.Is(err, ferry.ErrUnsupported) || !strings.Contains(err.Error(), "ferry.WithContainersStorage(store.Backend)") {
			t.Errorf("got %v, want ErrUnsupported naming ferry.WithContainersStorage(store.Backend)", err)
		}
	}
}

// storageImporters lists the packages in pkg's dependencies that import
// the storage library directly.
func storageImporters(t *testing.T, goBin, pkg string) []string {
	t.Helper()
	out, err := exec.Command(goBin, "list", "-deps", "-f", `{{.ImportPath}} {{join .Imports " "}}`, pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	var importers []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], storageLibrary) {
			continue
		}
		for _, imp := range fields[1:] {
			if imp == storageLibrary || strings.HasPrefix(imp, storageLibrary+"/") {
				importers = append(importers, fields[0])
				break
			}
		}
	}
	return importers
}

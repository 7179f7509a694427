package ferry

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/transports"
)

// TestArchiveOverwrite: an existing non-empty docker-archive file is refused
// as skopeo refuses it, unless --overwrite; new, empty and non-regular
// files, and other transports, are written.
func TestArchiveOverwrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	full := filepath.Join(dir, "full.tar")
	empty := filepath.Join(dir, "empty.tar")
	if err := os.WriteFile(full, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		overwrite bool
		refused   bool
	}{
		{"docker-archive:" + full + ":app:1", false, true},
		{"docker-archive:" + full, false, true},
		{"docker-archive:" + full + ":app:1", true, false},
		{"docker-archive:" + empty + ":app:1", false, false},
		{"docker-archive:" + filepath.Join(dir, "new.tar") + ":app:1", false, false},
		{"docker-archive:/dev/null", false, false},
		{"oci-archive:" + full, false, false},
	} {
		ref, err := transports.Parse(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		err = checkArchiveOverwrite(ref, tc.overwrite)
		if got := errors.Is(err, errdefs.ErrInvalidArgument); got != tc.refused {
			t.Errorf("%s (overwrite %v): %v, want refused=%v", tc.name, tc.overwrite, err, tc.refused)
		}
	}
	if b, _ := os.ReadFile(full); string(b) != "precious" {
		t.Errorf("the existing archive changed: %q", b)
	}
}

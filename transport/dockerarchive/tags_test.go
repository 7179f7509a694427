package dockerarchive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/transport"
	"github.com/google/go-cmp/cmp"
)

// TestListImageNames: list-tags of a multi-image archive lists every
// name as skopeo does: as manifest.json spells it, a name held twice in
// the spelling of the first image holding it, "@N" for an image without
// names; the same from a file, from stdin and from the archive compressed
// as a whole, and the same as skopeo 1.9.3 prints for the tar (it fails on
// this archive gzipped: "loading tar component manifest.json: unexpected
// EOF").
func TestListImageNames(t *testing.T) {
	t.Parallel()
	a := newLegacy(t, 61, "app:1", "docker.io/library/app:latest")
	b := newLegacy(t, 62, "example.com/other:2", "docker.io/library/app:1")
	c := newLegacy(t, 63)
	plain := legacyArchive(t, a, b, c)
	want := []string{"app:1", "docker.io/library/app:latest", "example.com/other:2", "app:1", "@2"}

	inputs := map[string][]byte{"plain": plain}
	for name, tool := range tartest.Compressors {
		inputs[name] = tartest.CompressWith(t, tool, plain)
	}
	for name, b := range inputs {
		path := tartest.WriteFile(t, name+".tar", b)
		for _, tc := range []struct {
			ref string
			o   *transport.Options
		}{{path, nil}, {path + ":@1", nil}, {"-", &transport.Options{Stdin: bytes.NewReader(b)}}} {
			got, err := parse(t, tc.ref).ListImageNames(context.Background(), tc.o)
			if err != nil {
				t.Errorf("%s %s: %v", name, tc.ref, err)
				continue
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s", name, tc.ref, diff)
			}
		}
	}
	skopeo := testenv.NeedCommand(t, "skopeo")
	var theirs struct{ Tags []string }
	out := run(t, skopeo, "list-tags", "docker-archive:"+tartest.WriteFile(t, "a.tar", plain))
	if err := json.Unmarshal(out, &theirs); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, theirs.Tags); diff != "" {
		t.Errorf("skopeo lists otherwise (-ferry +skopeo):\n%s", diff)
	}
}

// TestListImageNamesRefusesBadArchives: a name without a tag, a missing
// manifest.json and a damaged compressed archive are ErrInvalidArchive.
func TestListImageNamesRefusesBadArchives(t *testing.T) {
	t.Parallel()
	untagged := legacyArchive(t, newLegacy(t, 64, "app"))
	gz := tartest.CompressWith(t, "gzip", legacyArchive(t, newLegacy(t, 65, "app:1")))
	for name, b := range map[string][]byte{
		"name without a tag":    untagged,
		"no manifest.json":      tartest.Tar(t, tartest.File("other.json", []byte("{}"))),
		"gzip cut short":        gz[:len(gz)-10],
		"not an archive at all": []byte("hello"),
	} {
		path := filepath.Join(t.TempDir(), "a.tar")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := parse(t, path).ListImageNames(context.Background(), nil); !errors.Is(err, errdefs.ErrInvalidArchive) {
			t.Errorf("%s: %v, want ErrInvalidArchive", name, err)
		}
	}
}

package sif_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/archive"
	"github.com/ferrytool/ferry/internal/archive/tartest"
	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/sif"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const deffile = "Bootstrap: docker\nFrom: debian\n\n%environment\n    export GREETING=hi\n    # a comment\n\n%runscript\n    echo \"$GREETING\" \"$@\"\n%labels\n    Maintainer ferry\n"

// converted is an image read from a sif: source or from skopeo's copy of
// it: its config (diff IDs cleared, see below) and its layer's members.
type converted struct {
	Config  ocispec.Image
	Members []member
	Layer   digest.Digest
}

// normalize prepares c for comparison between skopeo and ferry: members
// sorted by name, the injected script's times and the layer's digest left
// out (see TestSkopeoAgrees).
func normalize(c converted) converted {
	c.Members = slices.Clone(c.Members)
	slices.SortFunc(c.Members, func(a, b member) int { return strings.Compare(a.Name, b.Name) })
	for i := range c.Members {
		if strings.HasPrefix(c.Members[i].Name, "./podman/") {
			c.Members[i].ModTime = 0
		}
	}
	c.Layer = ""
	return c
}

// member is what a layer holds at one path.
type member struct {
	Name       string
	Mode       int64
	UID, GID   int
	ModTime    int64
	Body       string
	Typeflag   byte
	LinkTarget string
}

// TestSkopeoAgrees: ferry's image of a SIF, with and without a definition
// file, is skopeo 1.9.3's: the same config (architecture, created, Cmd,
// history naming the SIF's UUID), and a layer with the same members,
// owners, modes, times and contents, /podman/runscript included. The
// layer's bytes and so its diff ID differ: skopeo's GNU tar writes pax
// headers with access and change times, so skopeo itself gives a new
// diff ID on every run (ferry's are the same on every run, checked here),
// and dates /podman when it runs (ferry at the SIF's modification time);
// members are compared sorted by name (skopeo's tar lists them in the
// order of its temporary file system's directories).
func TestSkopeoAgrees(t *testing.T) {
	t.Parallel()
	skopeo := testenv.NeedCommand(t, "skopeo")
	sq := squashfs(t)
	for name, objs := range map[string][]sifObject{
		"squashfs only":   {{dataType: 0x4004, fsType: 1, partType: 2, data: sq}},
		"definition file": {{dataType: 0x4001, data: []byte(deffile)}, {dataType: 0x4004, fsType: 1, partType: 2, data: sq}},
	} {
		path := writeSIF(t, "02", objs...)
		ours := readFerry(t, path)
		if again := readFerry(t, path); !cmp.Equal(ours.Layer, again.Layer) {
			t.Errorf("%s: two reads of the SIF give layers %s and %s", name, ours.Layer, again.Layer)
		}
		out := filepath.Join(t.TempDir(), "oci")
		if b, err := exec.Command(skopeo, "--insecure-policy", "copy", "-q", "sif:"+path, "oci:"+out+":x").CombinedOutput(); err != nil {
			t.Fatalf("skopeo copy: %v\n%s", err, b)
		}
		theirs := readLayout(t, out)
		if diff := cmp.Diff(normalize(theirs), normalize(ours)); diff != "" {
			t.Errorf("%s: (-skopeo +ferry):\n%s", name, diff)
		}
		wantCmd := []string{"bash"}
		if len(objs) == 2 {
			wantCmd = []string{"/podman/runscript"}
			script := "#!/bin/bash\nexport GREETING=hi\necho \"$GREETING\" \"$@\"\n"
			if !hasMember(ours.Members, "./podman/runscript", script) {
				t.Errorf("%s: the layer has no /podman/runscript with\n%s", name, script)
			}
		}
		if !cmp.Equal(ours.Config.Config.Cmd, wantCmd) || ours.Config.Architecture != "amd64" {
			t.Errorf("%s: Cmd %q on %s, want %q on amd64", name, ours.Config.Config.Cmd, ours.Config.Architecture, wantCmd)
		}
		if !hasMember(ours.Members, "./etc/os-release", "ID=ferrytest\n") {
			t.Errorf("%s: the layer lacks the squashfs's files: %v", name, ours.Members)
		}
	}
}

func hasMember(ms []member, name, body string) bool {
	for _, m := range ms {
		if m.Name == name && m.Body == body {
			return true
		}
	}
	return false
}

// readFerry reads the image of the SIF at path with ferry's sif: source,
// verifying each blob against its descriptor.
func readFerry(t *testing.T, path string) converted {
	t.Helper()
	ctx := context.Background()
	r, err := sif.ParseReference(path)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	src, err := r.NewSource(ctx, &transport.Options{TmpDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	mb, mt, err := src.Manifest(ctx, nil)
	if err != nil || mt != manifest.MediaTypeOCIManifest {
		t.Fatalf("manifest: %v (%s)", err, mt)
	}
	blob := func(d ocispec.Descriptor) []byte {
		rc, err := src.Blob(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil || digest.FromBytes(b) != d.Digest || int64(len(b)) != d.Size {
			t.Fatalf("blob %s: %v, %d bytes with digest %s", d.Digest, err, len(b), digest.FromBytes(b))
		}
		return b
	}
	c := decode(t, mb, blob)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("Close left %v in the temporary directory", left)
	}
	return c
}

// readLayout reads the image skopeo stored in the layout at dir, as x.
func readLayout(t *testing.T, dir string) converted {
	t.Helper()
	var ix ocispec.Index
	if err := json.Unmarshal(readFile(t, filepath.Join(dir, "index.json")), &ix); err != nil {
		t.Fatal(err)
	}
	blob := func(d ocispec.Descriptor) []byte {
		return readFile(t, filepath.Join(dir, "blobs", "sha256", d.Digest.Encoded()))
	}
	return decode(t, blob(ix.Manifests[0]), blob)
}

// decode reads a manifest's config and its one layer (gzip, as skopeo
// stores it in a layout, or plain, as ferry's source serves it).
func decode(t *testing.T, mb []byte, blob func(ocispec.Descriptor) []byte) converted {
	t.Helper()
	var m ocispec.Manifest
	if err := json.Unmarshal(mb, &m); err != nil || len(m.Layers) != 1 {
		t.Fatalf("manifest %s: %v", mb, err)
	}
	var c converted
	if err := json.Unmarshal(blob(m.Config), &c.Config); err != nil {
		t.Fatal(err)
	}
	rc, _, err := archive.Decompress(bytes.NewReader(blob(m.Layers[0])))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	c.Layer = digest.FromBytes(plain)
	if len(c.Config.RootFS.DiffIDs) != 1 || c.Config.RootFS.DiffIDs[0] != c.Layer {
		t.Errorf("config diff IDs %v, layer %s", c.Config.RootFS.DiffIDs, c.Layer)
	}
	// The layer's bytes differ between skopeo's runs (see TestSkopeoAgrees):
	// the diff ID, and the history naming it, are left out of the comparison.
	c.Config.RootFS.DiffIDs = nil
	c.Config.History[0].CreatedBy = regexp.MustCompile(`file:[0-9a-f]{64}`).ReplaceAllString(c.Config.History[0].CreatedBy, "file:LAYER")
	tr := tar.NewReader(bytes.NewReader(plain))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		c.Members = append(c.Members, member{h.Name, h.Mode, h.Uid, h.Gid, h.ModTime.Unix(), string(body), h.Typeflag, h.Linkname})
	}
	return c
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBadSIF: a SIF without a root file system, one whose root file system
// is not squashfs, a truncated SIF, a corrupt squashfs and a file that is
// not a SIF are each refused with one error of ferry's vocabulary, and
// leave nothing in the temporary directory.
func TestBadSIF(t *testing.T) {
	t.Parallel()
	sq := squashfs(t)
	whole := readFile(t, writeSIF(t, "02", sifObject{dataType: 0x4004, fsType: 1, partType: 2, data: sq}))
	corrupt := bytes.Clone(sq)
	for i := 200; i < len(corrupt)-200; i++ {
		corrupt[i] ^= 0x5a
	}
	for _, tc := range []struct {
		name string
		path string
		want error
	}{
		{"no root file system", writeSIF(t, "02", sifObject{dataType: 0x4001, data: []byte(deffile)}, sifObject{dataType: 0x4004, fsType: 1, partType: 3, data: sq}), errdefs.ErrInvalidArchive},
		{"ext3 root file system", writeSIF(t, "02", sifObject{dataType: 0x4004, fsType: 2, partType: 2, data: sq}), errdefs.ErrNotSupported},
		{"truncated", tartest.WriteFile(t, "image.sif", whole[:len(whole)-len(sq)/2]), errdefs.ErrInvalidArchive},
		{"truncated in the header", tartest.WriteFile(t, "image.sif", whole[:100]), errdefs.ErrInvalidArchive},
		{"corrupt squashfs", writeSIF(t, "02", sifObject{dataType: 0x4004, fsType: 1, partType: 2, data: corrupt}), errdefs.ErrInvalidArchive},
		{"not a SIF", tartest.WriteFile(t, "image.sif", bytes.Repeat([]byte("x"), 4096)), errdefs.ErrInvalidArchive},
		{"missing", filepath.Join(t.TempDir(), "none.sif"), errdefs.ErrNotFound},
	} {
		tmp := t.TempDir()
		r, err := sif.ParseReference(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		src, err := r.NewSource(context.Background(), &transport.Options{TmpDir: tmp})
		if err == nil {
			src.Close()
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("%s: left %v in the temporary directory", tc.name, left)
		}
	}
}

// TestNotADestination: sif: is read only.
func TestNotADestination(t *testing.T) {
	t.Parallel()
	r, err := sif.ParseReference(filepath.Join(t.TempDir(), "x.sif"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.NewDestination(context.Background(), nil); !errors.Is(err, errdefs.ErrNotSupported) {
		t.Errorf("NewDestination: %v, want ErrNotSupported", err)
	}
}

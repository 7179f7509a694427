package ocilayout

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// oneLine fails t when err's message spans lines: whatever a hostile
// index.json or name holds, the error is one sentence.
func oneLine(t *testing.T, err error) {
	t.Helper()
	if strings.ContainsAny(err.Error(), "\n\r") {
		t.Fatalf("error is not one line: %q", err)
	}
}

// FuzzParseName feeds the PATH[:REF] and PATH:@N grammar arbitrary
// strings: a failure is ErrInvalidReference, an accepted reference name
// passes ValidateRefName, and a name renders back to itself (an empty REF
// renders as none, and a position in its canonical decimal form, both of
// which parse to the same Name).
func FuzzParseName(f *testing.F) {
	for _, s := range []string{"/srv/l", "/srv/l:v1", "l:example.com/app:1", "l:@2", "l:@007", "l:@+3", "l:@-1", "l:@",
		":v1", "l:", "l:../x", "l:a//b", "l:/abs", "l:a--b", "l:a\nb", "l:@99999999999999999999", "l:a..b", "l:a/b:c@d+e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName("oci", "/srv/layout:app", s)
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidReference) {
				t.Fatalf("ParseName(%q) error %v does not wrap ErrInvalidReference", s, err)
			}
			oneLine(t, err)
			return
		}
		if n.Path == "" || strings.Contains(n.Path, ":") {
			t.Fatalf("ParseName(%q) gave the path %q", s, n.Path)
		}
		if n.Ref != "" {
			if n.Index != -1 {
				t.Fatalf("ParseName(%q) gave both a name and a position: %+v", s, n)
			}
			if err := ValidateRefName(n.Ref); err != nil {
				t.Fatalf("ParseName(%q) accepted the name %q: %v", s, n.Ref, err)
			}
			if strings.Contains(n.Ref, "..") || strings.HasPrefix(n.Ref, "/") || strings.Contains(n.Ref, "//") {
				t.Fatalf("ParseName(%q) accepted the name %q, which climbs or is absolute", s, n.Ref)
			}
		}
		out := n.String()
		if n.Index < 0 && out != s && out+":" != s { // "PATH:" is PATH
			t.Fatalf("ParseName(%q) renders as %q", s, out)
		}
		back, err := ParseName("oci", "/srv/layout:app", out)
		if err != nil || back != n {
			t.Fatalf("ParseName(%q) = %+v renders as %q, which parses to %+v, %v", s, n, out, back, err)
		}
	})
}

// FuzzParseIndex feeds arbitrary index.json bytes to the parser and to
// what ferry does with an index: failures are ErrInvalidArchive and one
// line; every entry of a parsed index has a valid digest; picking an image
// by name or position finds an entry of the index or fails with the
// vocabulary; adding an image under a name makes that name pick it; and
// the index written back parses to the same entries.
func FuzzParseIndex(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sample", "index.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, "", -1)
	zeros := "sha256:" + strings.Repeat("0", 64)
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"digest":"`+zeros+`","annotations":{"org.opencontainers.image.ref.name":"v1"}},{"digest":"`+zeros+`","annotations":{"org.opencontainers.image.ref.name":"v1"}}]}`), "v1", -1)
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"digest":"`+zeros+`","annotations":{"org.opencontainers.image.ref.name":"a\nb"}},{"digest":"`+zeros+`"}]}`), "", -1)
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"digest":"sha256:../../../etc/passwd"}]}`), "", 0)
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"digest":"md5:abc"}]}`), "", 0)
	f.Add([]byte(`{"schemaVersion":1}`), "x", 3)
	f.Add([]byte(`{"schemaVersion":2,"manifests":null}`), "", -1)
	f.Add([]byte(`[]`), "", -1)
	f.Fuzz(func(t *testing.T, b []byte, ref string, n int) {
		ix, err := ParseIndex(b)
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidArchive) {
				t.Fatalf("ParseIndex error %v does not wrap ErrInvalidArchive", err)
			}
			oneLine(t, err)
			return
		}
		for i, d := range ix.Manifests {
			if err := d.Digest.Validate(); err != nil {
				t.Fatalf("manifests[%d] has the invalid digest %q", i, d.Digest)
			}
		}
		if n < -1 {
			n = -1
		}
		if n >= 0 {
			ref = ""
		}
		d, err := Lookup(ix, ref, n)
		if err != nil {
			if !errors.Is(err, errdefs.ErrNotFound) && !errors.Is(err, errdefs.ErrInvalidArchive) && !errors.Is(err, errdefs.ErrInvalidReference) {
				t.Fatalf("Lookup(%q, %d) error %v carries none of the vocabulary", ref, n, err)
			}
			oneLine(t, err)
		} else {
			found := false
			for _, e := range ix.Manifests {
				found = found || (e.Digest == d.Digest && RefName(e) == RefName(d))
			}
			if !found || (ref != "" && RefName(d) != ref) {
				t.Fatalf("Lookup(%q, %d) = %s, %q, which the index does not hold under that name", ref, n, d.Digest, RefName(d))
			}
		}

		// Add an image under a valid name, write the index, read it back.
		add := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(b), Size: int64(len(b))}
		name := "fuzz"
		if ValidateRefName(ref) == nil {
			name = ref
		}
		AddEntry(ix, add, name)
		out, err := json.Marshal(ix)
		if err != nil {
			t.Fatalf("the index does not marshal: %v", err)
		}
		back, err := ParseIndex(out)
		if err != nil {
			t.Fatalf("the index ferry writes does not parse: %v\n%s", err, out)
		}
		if len(back.Manifests) != len(ix.Manifests) {
			t.Fatalf("%d entries written, %d read back", len(ix.Manifests), len(back.Manifests))
		}
		for i := range ix.Manifests {
			if back.Manifests[i].Digest != ix.Manifests[i].Digest || RefName(back.Manifests[i]) != RefName(ix.Manifests[i]) {
				t.Fatalf("entry %d changed in the round trip", i)
			}
		}
		got, err := Lookup(back, name, -1)
		if err != nil || got.Digest != add.Digest {
			t.Fatalf("the image added as %q is not found under it: %s, %v", name, got.Digest, err)
		}
	})
}

// FuzzLayoutFile feeds arbitrary oci-layout files to CheckLayoutFile: a
// failure is ErrInvalidArchive (not JSON) or ErrNotSupported (a version
// ferry does not read), in one line; an accepted file is a 1.x layout.
func FuzzLayoutFile(f *testing.F) {
	f.Add([]byte(LayoutFileContent))
	f.Add([]byte(`{"imageLayoutVersion":"2.0.0"}`))
	f.Add([]byte(`{"imageLayoutVersion":"1.\n"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`nope`))
	dir := f.TempDir() // one for all inputs: a worker runs them one at a time
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, LayoutFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		present, err := At(dir).CheckLayoutFile()
		if !present {
			t.Fatal("the oci-layout file was not found")
		}
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidArchive) && !errors.Is(err, errdefs.ErrNotSupported) {
				t.Fatalf("error %v carries none of the vocabulary", err)
			}
			oneLine(t, err)
			return
		}
		var v ocispec.ImageLayout
		if json.Unmarshal(b, &v) != nil || !strings.HasPrefix(v.Version, "1.") {
			t.Fatalf("accepted the layout file %q", b)
		}
	})
}

// FuzzReadJournal feeds arbitrary file names to the journal reader (a
// journal directory in a shared layout can hold anything another process
// put there): every digest it returns is valid, so the blob path a
// rollback derives from it stays in the store, and it is named by the
// file it came from.
func FuzzReadJournal(f *testing.F) {
	hex := strings.Repeat("ab", 32)
	for _, s := range []string{"sha256-" + hex, "sha512-" + hex, "sha256-" + hex[:10], "md5-x", "sha256", "-", "sha256-..", "sha256-" + strings.ToUpper(hex), "sha256--" + hex} {
		f.Add(s)
	}
	dir := filepath.Join(f.TempDir(), "journal") // one for all inputs: a worker runs them one at a time
	f.Fuzz(func(t *testing.T, name string) {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || len(name) > 255 {
			return
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			return // a name the file system refuses
		}
		ds, err := readJournal(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) > 1 {
			t.Fatalf("one file gave %d digests", len(ds))
		}
		for _, d := range ds {
			if err := d.Validate(); err != nil {
				t.Fatalf("readJournal returned the invalid digest %q from %q", d, name)
			}
			if journalEntry(d) != name {
				t.Fatalf("file %q read as %s, whose entry is %q", name, d, journalEntry(d))
			}
			l := At(dir)
			p, err := l.Blobs.Path(d)
			if err != nil {
				t.Fatalf("no blob path for the valid digest %s: %v", d, err)
			}
			if rel, err := filepath.Rel(l.Blobs.Root(), p); err != nil || strings.HasPrefix(rel, "..") {
				t.Fatalf("blob path %s of %s is outside the store %s", p, d, l.Blobs.Root())
			}
		}
	})
}

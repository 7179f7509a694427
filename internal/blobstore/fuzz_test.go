package blobstore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FuzzBlobNames hands the store digests as a hostile manifest or index
// states them, with content: a digest the store refuses is
// ErrInvalidArgument in one line, an accepted one names exactly its
// naming's path inside the store, and storing, finding, reading and
// removing blobs never creates, changes or removes anything outside the
// store's directory.
func FuzzBlobNames(f *testing.F) {
	hex := strings.Repeat("0123456789abcdef", 4)
	for _, d := range []string{"sha256:" + hex, "sha512:" + hex + hex, "sha256:../../victim", "sha256:" + hex + "/../../x",
		"../victim", "/etc/passwd", "sha256:", ":" + hex, "sha256:" + strings.ToUpper(hex), "sha384:" + hex[:48] + hex[:48],
		"sha256:" + hex[:63] + "\n", "sha256+x:" + hex, "sha256:" + hex[:62] + "..", "md5:d41d8cd98f00b204e9800998ecf8427e"} {
		f.Add(d, []byte("blob"))
	}
	f.Add(digest.FromString("blob").String(), []byte("blob"))
	outer := f.TempDir() // one for all inputs: a worker runs them one at a time
	f.Fuzz(func(t *testing.T, ds string, body []byte) {
		ctx := context.Background()
		victim := filepath.Join(outer, "victim")
		if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
		root := filepath.Join(outer, "store")
		if err := os.RemoveAll(root); err != nil {
			t.Fatal(err)
		}
		d := digest.Digest(ds)
		for _, naming := range []Naming{ByAlgorithm, ByEncoded} {
			if err := os.MkdirAll(root, 0o755); err != nil {
				t.Fatal(err)
			}
			s := New(root, naming)
			p, err := s.Path(d)
			if err != nil {
				if !errors.Is(err, errdefs.ErrInvalidArgument) {
					t.Fatalf("Path(%q) error %v does not wrap ErrInvalidArgument", ds, err)
				}
				if strings.ContainsAny(err.Error(), "\n\r") {
					t.Fatalf("error is not one line: %q", err)
				}
			} else {
				if p != filepath.Join(root, filepath.FromSlash(naming(d))) {
					t.Fatalf("Path(%q) = %s, not its name %s", ds, p, naming(d))
				}
				if rel, err := filepath.Rel(root, p); err != nil || rel == "." || strings.HasPrefix(rel, "..") {
					t.Fatalf("Path(%q) = %s is not inside the store %s", ds, p, root)
				}
			}
			desc := ocispec.Descriptor{Digest: d, Size: int64(len(body))}
			perr := s.Put(ctx, desc, strings.NewReader(string(body)))
			if (perr == nil) != (err == nil) {
				t.Fatalf("Path(%q) error %v but Put error %v", ds, err, perr)
			}
			if has, herr := s.Has(ctx, desc); perr == nil && (!has || herr != nil) {
				t.Fatalf("the blob %q just stored is not found: %v", ds, herr)
			}
			if f, oerr := s.Open(ctx, d); oerr == nil {
				got, _ := io.ReadAll(f)
				f.Close()
				if string(got) != string(body) {
					t.Fatalf("blob %q reads back other bytes", ds)
				}
			} else if perr == nil {
				t.Fatalf("the blob %q just stored does not open: %v", ds, oerr)
			}
			_, _ = s.ReadSmall(ctx, d)
			_ = s.PutBytes(ctx, d, body)
			if err := s.Remove(d); (err == nil) != (perr == nil) {
				t.Fatalf("Put error %v but Remove error %v", perr, err)
			}
			if err := s.Sync([]digest.Digest{d}); err != nil && perr == nil {
				t.Fatalf("Sync(%q): %v", ds, err)
			}
		}
		b, err := os.ReadFile(victim)
		if err != nil || string(b) != "keep" {
			t.Fatalf("the file beside the store was changed or removed: %q, %v", b, err)
		}
		err = filepath.WalkDir(outer, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p == outer || p == victim {
				return nil
			}
			if rel, _ := filepath.Rel(filepath.Join(outer, "store"), p); strings.HasPrefix(rel, "..") {
				t.Errorf("digest %q made %s outside the store", ds, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

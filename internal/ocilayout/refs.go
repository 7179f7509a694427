package ocilayout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Referenced is every blob the images of ix need: their manifests and
// indexes (whatever media type they are given), configs and layers, read
// from the layout. A manifest the layout does not hold is left out (with
// it, what it would name: an index may be copied without its instances);
// one that is unreadable is an error: callers use the set to decide what
// may be removed, and must then remove nothing.
func (l *Layout) Referenced(ctx context.Context, ix *ocispec.Index) (map[digest.Digest]bool, error) {
	seen := map[digest.Digest]bool{}
	todo := append([]ocispec.Descriptor(nil), ix.Manifests...)
	for len(todo) > 0 {
		d := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[d.Digest] {
			continue
		}
		b, err := l.Blobs.ReadSmall(ctx, d.Digest)
		if errors.Is(err, errdefs.ErrNotFound) {
			// Not in the layout (an index copied without its
			// instances): nothing of it to keep.
			continue
		}
		if err != nil {
			return nil, err
		}
		seen[d.Digest] = true
		blobs, manifests, err := manifest.Children(b)
		if err != nil {
			return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
		}
		for _, c := range blobs {
			seen[c.Digest] = true
		}
		todo = append(todo, manifests...)
	}
	return seen, nil
}

// Prune removes every blob that the images of ix do not need. It is for a
// layout no other writer can see (a new one being built under a temporary
// name); in a shared layout, use a Journal. It returns how many it removed.
// It removes none from a shared blob directory (see AtShared).
func (l *Layout) Prune(ctx context.Context, ix *ocispec.Index) (int, error) {
	if l.shared {
		return 0, nil
	}
	need, err := l.Referenced(ctx, ix)
	if err != nil {
		return 0, err
	}
	algs, err := os.ReadDir(l.Blobs.Root())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range algs {
		if !a.IsDir() {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(l.Blobs.Root(), a.Name()))
		if err != nil {
			return n, err
		}
		for _, e := range ents {
			d := digest.NewDigestFromEncoded(digest.Algorithm(a.Name()), e.Name())
			if need[d] {
				continue
			}
			if err := os.Remove(filepath.Join(l.Blobs.Root(), a.Name(), e.Name())); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

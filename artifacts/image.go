package artifacts

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// CopyImage copies what is attached to the image with digest subject (its
// digest at both sides: the image was copied with its digest kept) and,
// when it is an index, to each of its instances (cosign sign --recursive
// signs each). man is the image's manifest; nil reads it from src by
// digest (an image a sync found unchanged).
func CopyImage(ctx context.Context, src, dst transport.Reference, subject digest.Digest, man []byte, o Options) ([]Copied, error) {
	if man == nil {
		var err error
		if man, err = readManifest(ctx, src, subject, &o.Copy.Source); err != nil {
			return nil, err
		}
	}
	subjects := []digest.Digest{subject}
	if manifest.IsIndex(manifest.Detect(man)) {
		if ix, err := manifest.ParseIndex(man); err == nil {
			for _, d := range ix.Manifests {
				subjects = append(subjects, d.Digest)
			}
		}
	}
	var all []Copied
	for _, s := range subjects {
		done, err := Copy(ctx, src, dst, s, o)
		all = append(all, done...)
		if err != nil {
			return all, err
		}
	}
	return all, nil
}

// readManifest reads the manifest d of src's repository.
func readManifest(ctx context.Context, ref transport.Reference, d digest.Digest, o *transport.Options) ([]byte, error) {
	l, ok := ref.(transport.AttachedLister)
	if !ok {
		return nil, fmt.Errorf("%s keeps no attached artifacts", transport.FullName(ref))
	}
	byDigest, err := l.Sibling("", d)
	if err != nil {
		return nil, err
	}
	s, err := byDigest.NewSource(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	b, _, err := s.Manifest(ctx, nil)
	return b, err
}

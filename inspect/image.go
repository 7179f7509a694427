package inspect

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/verify"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// maxIndexDepth bounds how many levels of index-within-index are followed
// when resolving an instance; real images have one level at most.
const maxIndexDepth = 4

// Image is the manifest a name points to, exactly as the source returned it.
type Image struct {
	// Raw is the manifest's bytes, unchanged (what --raw prints).
	Raw []byte
	// MediaType is the media type the source gave, or one detected from
	// the bytes when it gave none.
	MediaType string
	// Digest is the manifest digest as a registry computes it (signatures
	// excluded for signed schema-1 manifests).
	Digest digest.Digest

	src transport.Source
}

// Fetch reads the manifest src's reference names.
func Fetch(ctx context.Context, src transport.Source) (*Image, error) {
	b, mt, err := src.Manifest(ctx, nil)
	if err != nil {
		return nil, err
	}
	mt = mediaType(mt, b)
	d, err := manifest.Digest(b)
	if err != nil {
		return nil, err
	}
	return &Image{Raw: b, MediaType: mt, Digest: d, src: src}, nil
}

// Instance is the single image a name resolves to: the manifest itself, or
// the entry of an index chosen for a platform.
type Instance struct {
	Manifest  []byte
	MediaType string
	// Digest is the instance manifest's own digest (equal to the top
	// digest when the name points to a single image).
	Digest digest.Digest

	top *Image
}

// Instance resolves img to one image: img itself when it is an image, or
// the instance of an index that serves platform p (with p's empty fields
// taken from the host, as manifest.HostPlatform does). Each instance
// manifest is checked against the digest the index gives for it.
func (img *Image) Instance(ctx context.Context, p manifest.Platform) (*Instance, error) {
	b, mt, d := img.Raw, img.MediaType, img.Digest
	want := manifest.HostPlatform(p)
	for depth := 0; manifest.IsIndex(mt); depth++ {
		if depth == maxIndexDepth {
			return nil, fmt.Errorf("%w: indexes nested more than %d deep", errdefs.ErrInvalidManifest, maxIndexDepth)
		}
		ix, err := manifest.ParseIndex(b)
		if err != nil {
			return nil, err
		}
		desc, err := manifest.ChooseInstance(ix, want)
		if err != nil {
			return nil, err
		}
		dd := desc.Digest
		b, mt, err = img.src.Manifest(ctx, &dd)
		if err != nil {
			return nil, fmt.Errorf("instance %s for %s: %w", dd, want, err)
		}
		if err := verify.Bytes(b, dd, desc.Size); err != nil {
			return nil, fmt.Errorf("instance %s for %s: %w", dd, want, err)
		}
		if mt == "" {
			mt = desc.MediaType
		}
		mt = mediaType(mt, b)
		d = dd
	}
	if !manifest.IsImage(mt) && !manifest.IsSchema1(mt) {
		return nil, fmt.Errorf("%w: manifest media type %q cannot be inspected", errdefs.ErrNotSupported, mt)
	}
	return &Instance{Manifest: b, MediaType: mt, Digest: d, top: img}, nil
}

// mediaType trusts the type a source gave unless it is missing or generic
// (a registry answering text/plain or application/json, a file on disk),
// in which case the bytes decide.
func mediaType(given string, b []byte) string {
	mt := manifest.Normalize(given)
	if mt != "" && mt != "application/json" && manifest.IsManifest(mt) {
		return mt
	}
	if d := manifest.Detect(b); d != "" {
		return d
	}
	return mt
}

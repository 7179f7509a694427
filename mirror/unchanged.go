package mirror

import (
	"context"
	"os"
	"path/filepath"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dir"
	"github.com/ferrytool/ferry/transport/layout"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// manifestHeader is implemented by references whose manifest digest can
// be asked for without reading the manifest (a registry's HEAD).
type manifestHeader interface {
	ManifestDescriptor(ctx context.Context, o *transport.Options) (ocispec.Descriptor, error)
}

// unchanged reports whether the destination already holds the image, found
// with one request on each side (a HEAD, a file read, or nothing for a
// source named by digest): it holds the source's top manifest itself, or
// (--dest oci) the manifest an earlier sync with the same options wrote
// from it. It returns the source's digest when it learnt it, and the
// digest at the destination when skipping. It answers false whenever it
// cannot tell cheaply, and the copy then decides (the copier's own
// SkipExisting check reads the source).
//
// The shortcut is not taken when the copy recompresses or signs, or when
// the trust policy must see the image (anything but accepting any image
// from the source). Signatures the source gained after an image was
// mirrored are not copied to it; --no-skip copies everything again.
func (p *Plan) unchanged(ctx context.Context, img *Image) (src, dst digest.Digest, skip bool) {
	o := &p.o
	if o.NoSkip || o.Copy.Compression != "" || len(o.Copy.Signers) > 0 {
		return "", "", false
	}
	if pol := o.Copy.Policy; pol != nil {
		if a, ok := pol.(copier.AnyImagePolicy); !ok || !a.AcceptsAnyImage(img.Source) {
			return "", "", false
		}
	}
	src, ok := p.manifestDigest(ctx, img.Source, &o.Copy.Source, true)
	if !ok {
		return "", "", false
	}
	dst, ok = p.manifestDigest(ctx, img.Destination, &o.Copy.Destination, false)
	if !ok {
		return src, "", false
	}
	return src, dst, dst == src || p.oci.wrote(img.Destination, src, dst)
}

// manifestDigest is the digest of the top manifest r names, where that
// costs at most one request. A source named by digest costs none (the
// copy verifies it); a destination named by digest is asked, since the
// name says what is wanted there, not what is there.
func (p *Plan) manifestDigest(ctx context.Context, r transport.Reference, o *transport.Options, isSource bool) (digest.Digest, bool) {
	switch r := r.(type) {
	case *layout.Reference:
		d, ok := p.oci.index[r.Ref]
		return d, ok
	case *dir.Reference:
		return fileDigest(filepath.Join(r.Path, "manifest.json"))
	}
	if n := r.DockerReference(); isSource && n != nil && reference.Digest(n) != "" {
		return reference.Digest(n), true
	}
	h, ok := r.(manifestHeader)
	if !ok {
		return "", false
	}
	d, err := h.ManifestDescriptor(ctx, o)
	if err != nil || d.Digest == "" {
		return "", false
	}
	return d.Digest, true
}

// fileDigest hashes a dir: image's manifest.json (written last, so its
// presence means the image is complete).
func fileDigest(path string) (digest.Digest, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	return digest.FromBytes(b), true
}

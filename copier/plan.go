package copier

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// copyPlan is every decision of a copy, taken once the destination is open
// and before any blob moves, so that a refusal writes nothing.
type copyPlan struct {
	r      *resolved
	images []*imagePlan
	// For a copy that writes an index: whether entries were dropped
	// (Platforms), and the index's signatures to write.
	filtered  bool
	indexSigs [][]byte
	// unchanged: every manifest is written as the source has it.
	unchanged bool
	signed    bool
}

// imagePlan is what the copy does with one image manifest.
type imagePlan struct {
	img        Instance
	asInstance bool // written as an instance of an index, by digest
	schema1    bool
	m          *manifest.Image // parsed, for schema 2 and OCI
	target     string          // the manifest media type to write
	jobs       []blobJob
	recompress bool
	// convertConfig: the config is rewritten as OCI's (a Docker manifest
	// converted to OCI), so the manifest names another config.
	convertConfig bool
	sigs          [][]byte // signatures to write after the manifest
}

// plan decides conversions and checks that the copy may make them. Before
// the destination is open (c.dst nil) it decides what the options alone
// require (Format, Compression), so that such a refusal comes before the
// destination exists; once it is open, it decides everything.
func (c *job) plan(r *resolved) (*copyPlan, error) {
	p := &copyPlan{r: r}
	signed := false
	if r.index != nil {
		p.indexSigs = c.keptSignatures(r.top.Signatures)
		signed = len(p.indexSigs) > 0
	}
	for _, img := range r.images {
		signed = signed || len(c.keptSignatures(img.Signatures)) > 0
	}
	if (signed || len(c.o.Signers) > 0) && c.dst != nil && !c.storesSignatures() {
		return nil, &SignaturesUnsupportedError{Destination: transport.FullName(c.dstRef)}
	}
	if c.dst != nil {
		// After the capability check, as skopeo orders its refusals; the
		// destination is open but nothing is written yet.
		if err := c.checkSigners(); err != nil {
			return nil, err
		}
	}
	c.frozen, p.signed = signed, signed
	changed := false
	for _, img := range r.images {
		ip, err := c.planImage(img, r.index != nil)
		if err != nil {
			return nil, err
		}
		changed = changed || ip.changes() != ""
		p.images = append(p.images, ip)
	}
	if r.index == nil {
		p.unchanged = !changed
		return p, nil
	}
	if c.caps.NoIndex {
		return nil, &NoIndexError{Transport: c.dstRef.Transport().Name()}
	}
	target, err := c.targetType(r.top.MediaType, manifest.MediaTypeOCIIndex, manifest.MediaTypeDockerList)
	if err != nil {
		return nil, err
	}
	p.filtered = c.o.MultiArch != IndexOnly && len(r.entries) != len(r.index.Manifests)
	p.unchanged = target == r.top.MediaType && !changed && !p.filtered
	if !p.unchanged {
		why := "rewriting the index"
		if target != r.top.MediaType {
			why = "converting the index to " + target
		}
		if c.o.PreserveDigests {
			return nil, &ModifyError{Change: why, Reason: PreserveDigests}
		}
		if len(p.indexSigs) > 0 {
			return nil, &ModifyError{Change: why, Reason: KeepSignatures}
		}
	}
	return p, nil
}

// written is the top manifest the copy writes when nothing changes.
func (p *copyPlan) written() Instance {
	if p.r.index != nil {
		return p.r.top
	}
	return p.images[0].img
}

// planImage decides what becomes of one image manifest and its blobs.
func (c *job) planImage(img Instance, asInstance bool) (*imagePlan, error) {
	ip := &imagePlan{img: img, asInstance: asInstance, target: img.MediaType, sigs: c.keptSignatures(img.Signatures)}
	var inst digest.Digest
	if asInstance {
		inst = img.Digest
	}
	mt := img.MediaType
	if manifest.IsSchema1(mt) {
		if c.o.Format != "" {
			return nil, fmt.Errorf("%w: converting a schema-1 manifest", errdefs.ErrNotSupported)
		}
		if len(c.caps.ManifestTypes) > 0 && !slices.Contains(c.caps.ManifestTypes, mt) {
			return nil, fmt.Errorf("%w: %s cannot store a Docker schema-1 image", errdefs.ErrNotSupported, c.dstRef.Transport().Name())
		}
		m, err := manifest.ParseSchema1(img.Manifest)
		if err != nil {
			return nil, err
		}
		for _, l := range m.FSLayers {
			ip.jobs = append(ip.jobs, blobJob{d: ocispec.Descriptor{MediaType: manifest.MediaTypeDockerLayer, Digest: l.BlobSum, Size: -1}, instance: inst})
		}
		ip.schema1 = true
		return ip, nil
	}
	if !manifest.IsImage(mt) {
		return nil, fmt.Errorf("%w: manifest media type %q", errdefs.ErrNotSupported, mt)
	}
	m, err := manifest.ParseImage(img.Manifest)
	if err != nil {
		return nil, err
	}
	ip.m = m
	if ip.target, err = c.targetType(mt, manifest.MediaTypeOCIManifest, manifest.MediaTypeDockerManifest); err != nil {
		return nil, err
	}
	comps := make([]string, len(m.Layers))
	zstd := false
	for i, l := range m.Layers {
		comps[i] = c.wantedCompression(l)
		ip.recompress = ip.recompress || comps[i] != ""
		zstd = zstd || comps[i] == compZstd
	}
	if zstd && ip.target == manifest.MediaTypeDockerManifest && c.o.Format == "" && c.accepts(manifest.MediaTypeOCIManifest) {
		// Docker's format cannot name a zstd layer: OCI's can (skopeo
		// too falls back to OCI).
		ip.target = manifest.MediaTypeOCIManifest
	}
	// skopeo's conversion to OCI rewrites a Docker config as an OCI one.
	// (A docker-archive read as a stream may have had to name zstd layers
	// in an OCI manifest, with its Docker config.)
	ip.convertConfig = ip.target == manifest.MediaTypeOCIManifest && m.Config.MediaType == manifest.MediaTypeDockerConfig
	ip.jobs = []blobJob{{d: m.Config, instance: inst, toOCIConfig: ip.convertConfig}}
	for i, l := range m.Layers {
		ip.jobs = append(ip.jobs, blobJob{d: l, comp: comps[i], manifestType: ip.target, instance: inst})
	}
	if ip.recompress && c.o.PreserveDigests {
		return nil, &ModifyError{Change: "recompressing layers", Reason: PreserveDigests}
	}
	if why := ip.changes(); why != "" && len(ip.sigs) > 0 {
		return nil, &ModifyError{Change: why, Reason: KeepSignatures}
	}
	return ip, nil
}

// changes says how the manifest will change, "" when it is copied as is.
func (ip *imagePlan) changes() string {
	var why []string
	if ip.target != ip.img.MediaType {
		why = append(why, "converting the manifest to "+ip.target)
	}
	if ip.recompress {
		why = append(why, "recompressing layers")
	}
	return strings.Join(why, " and ")
}

// keptSignatures is what the copy writes of sigs: none when told to remove
// them.
func (c *job) keptSignatures(sigs [][]byte) [][]byte {
	if c.o.RemoveSignatures {
		return nil
	}
	return sigs
}

// storesSignatures reports whether the destination can store signatures.
func (c *job) storesSignatures() bool {
	_, ok := c.dst.(transport.SignatureDestination)
	return ok && c.caps.Signatures
}

// targetType picks the manifest media type to write: the Format one,
// else the source's if the destination takes it, else the other format.
// A manifest the copy may not change (see mayModify) is written as the
// source has it, unless Format asks for the other format, whatever the
// destination prefers: skopeo does the same (an oci: layout then holds a Docker
// manifest), and a destination that cannot take it says so.
func (c *job) targetType(mt, oci, docker string) (string, error) {
	want := mt
	switch c.o.Format {
	case "oci":
		want = oci
	case "v2s2":
		want = docker
	}
	if want == mt && !c.mayModify() {
		return mt, nil
	}
	if !c.accepts(want) {
		other := oci
		if want == oci {
			other = docker
		}
		if c.o.Format != "" || !c.accepts(other) {
			return "", fmt.Errorf("%w: %s does not accept %s manifests", errdefs.ErrNotSupported, c.dstRef.Transport().Name(), want)
		}
		want = other
	}
	if want != mt && c.o.PreserveDigests {
		return "", &ModifyError{Change: fmt.Sprintf("converting the manifest to %s for %s", want, c.dstRef.Transport().Name()), Reason: PreserveDigests}
	}
	return want, nil
}

// accepts reports whether the destination takes manifests of type mt.
func (c *job) accepts(mt string) bool {
	return len(c.caps.ManifestTypes) == 0 || slices.Contains(c.caps.ManifestTypes, mt)
}

// mayModify reports whether the copy may write a manifest other than the
// source's for a wish of the destination (another format, compressed
// layers): not when told to preserve digests, when signatures are kept,
// or when the destination's name fixes the digest (skopeo's three
// reasons). Options the user gave (Format, Compression) are not wishes:
// a copy that cannot honour them is refused.
func (c *job) mayModify() bool {
	return !c.o.PreserveDigests && !c.frozen && (c.dstRef == nil || dstDigest(c.dstRef, c.caps) == "")
}

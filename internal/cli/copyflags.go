package cli

import (
	"fmt"
	"strings"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/reference"
	"github.com/spf13/pflag"
)

// parseMultiArch reads --multi-arch: skopeo's system, all and index-only,
// or (a ferry extension) a comma-separated list of os/arch[/variant]
// platforms to keep.
func parseMultiArch(s string) (copier.MultiArch, []manifest.Platform, error) {
	switch s {
	case "", "system":
		return copier.System, nil, nil
	case "all":
		return copier.All, nil, nil
	case "index-only":
		return copier.IndexOnly, nil, nil
	}
	var ps []manifest.Platform
	for _, f := range strings.Split(s, ",") {
		p, err := manifest.ParsePlatform(f)
		if err != nil {
			return 0, nil, fmt.Errorf("%w: --multi-arch %q: want system, all, index-only or a list of os/arch[/variant] platforms", errdefs.ErrInvalidArgument, s)
		}
		ps = append(ps, p)
	}
	return copier.Platforms, ps, nil
}

// parseManifestFormat reads --format: skopeo's oci, v2s2 and v2s1 (which
// ferry reads but never writes).
func parseManifestFormat(s string) (string, error) {
	switch s {
	case "", "oci", "v2s2":
		return s, nil
	case "v2s1":
		return "", fmt.Errorf("%w: --format v2s1: writing Docker schema-1 manifests is not supported (use v2s2 or oci)", errdefs.ErrNotSupported)
	}
	return "", fmt.Errorf("%w: --format %q: want oci or v2s2", errdefs.ErrInvalidArgument, s)
}

// checkAdditionalTags checks --additional-tag values: Docker names with a
// tag and no digest, as docker-archive stores them.
func checkAdditionalTags(tags []string) error {
	for _, t := range tags {
		n, err := reference.ParseNamed(t, false)
		if err != nil {
			return fmt.Errorf("--additional-tag: %w", err)
		}
		if reference.Tag(n) == "" || reference.Digest(n) != "" {
			return fmt.Errorf("%w: --additional-tag %q: want NAME:TAG, without a digest", errdefs.ErrInvalidArgument, t)
		}
	}
	return nil
}

// compressionFlags are skopeo's --dest-compress* options.
type compressionFlags struct {
	compress   bool
	decompress bool
	format     string
	level      int
	// acceptUncompressed is --dest-oci-accept-uncompressed-layers.
	// TODO(copier): copier.Options has no field to keep uncompressed
	// layers uncompressed in an OCI layout; accepted and reported as not
	// applied until it does.
	acceptUncompressed bool
	// precomputeDigests is --dest-precompute-digests.
	// TODO(copier): no copier field; accepted and reported as not applied.
	precomputeDigests bool
}

func (c *compressionFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&c.compress, "dest-compress", false, "compress tarball image layers when saving to the destination (default: keep the source's compression)")
	fs.BoolVar(&c.decompress, "dest-decompress", false, "decompress tarball image layers when saving to the destination (default: keep the source's compression)")
	fs.StringVar(&c.format, "dest-compress-format", "", "`FORMAT` to use for the compression (gzip or zstd)")
	fs.IntVar(&c.level, "dest-compress-level", 0, "`LEVEL` to use for the compression (gzip 1-9, zstd 1-22)")
	fs.BoolVar(&c.acceptUncompressed, "dest-oci-accept-uncompressed-layers", false, "allow uncompressed image layers when saving to an OCI image using the 'oci' transport (not applied yet)")
	fs.BoolVar(&c.precomputeDigests, "dest-precompute-digests", false, "precompute digests to avoid uploading layers already on the registry (not applied yet)")
}

// apply sets copier.Options.Compression and CompressionLevel from the
// flags: --dest-decompress stores layers uncompressed, --dest-compress-format
// picks the algorithm (and implies --dest-compress), --dest-compress alone
// means gzip.
func (c *compressionFlags) apply(fs *pflag.FlagSet, o *copier.Options) error {
	if c.compress && c.decompress {
		return fmt.Errorf("%w: --dest-compress and --dest-decompress cannot be used together", errdefs.ErrInvalidArgument)
	}
	switch c.format {
	case "", "gzip", "zstd":
	case "zstd:chunked":
		return fmt.Errorf("%w: --dest-compress-format zstd:chunked is not supported yet (use zstd)", errdefs.ErrNotSupported)
	default:
		return fmt.Errorf("%w: --dest-compress-format %q: want gzip or zstd", errdefs.ErrInvalidArgument, c.format)
	}
	switch {
	case c.decompress && (c.format != "" || fs.Changed("dest-compress-level")):
		return fmt.Errorf("%w: --dest-decompress cannot be used with --dest-compress-format or --dest-compress-level", errdefs.ErrInvalidArgument)
	case c.decompress:
		o.Compression = "none"
	case c.format != "":
		o.Compression = c.format
	case c.compress:
		o.Compression = "gzip"
	}
	if fs.Changed("dest-compress-level") {
		if o.Compression == "" {
			return fmt.Errorf("%w: --dest-compress-level needs --dest-compress or --dest-compress-format", errdefs.ErrInvalidArgument)
		}
		max := 9
		if o.Compression == "zstd" {
			max = 22
		}
		if c.level < 1 || c.level > max {
			return fmt.Errorf("%w: --dest-compress-level %d: want 1-%d for %s", errdefs.ErrInvalidArgument, c.level, max, o.Compression)
		}
		o.CompressionLevel = c.level
	}
	if c.acceptUncompressed {
		o.Logger.Warn("--dest-oci-accept-uncompressed-layers is accepted but not applied yet")
	}
	if c.precomputeDigests {
		o.Logger.Warn("--dest-precompute-digests is accepted but not applied yet")
	}
	return nil
}

// unsupportedCopyFlags are skopeo copy options for Sequoia signing and
// encryption, which ferry accepts by name and refuses when given.
var unsupportedCopyFlags = []struct{ name, what string }{
	{"sign-by-sq-fingerprint", "signing images"},
	{"encryption-key", "encrypting images"},
	{"encrypt-layer", "encrypting images"},
	{"decryption-key", "decrypting images"},
}

func registerUnsupportedCopyFlags(fs *pflag.FlagSet) {
	fs.String("sign-by-sq-fingerprint", "", "sign the image using a Sequoia-PGP key with the specified `FINGERPRINT` (not supported yet)")
	fs.StringSlice("encryption-key", nil, "key needed to encrypt the image (not supported yet)")
	fs.IntSlice("encrypt-layer", nil, "the 0-indexed layer indices to encrypt (not supported yet)")
	fs.StringSlice("decryption-key", nil, "key needed to decrypt the image (not supported yet)")
}

func checkUnsupportedCopyFlags(fs *pflag.FlagSet) error {
	for _, f := range unsupportedCopyFlags {
		if fs.Changed(f.name) {
			return fmt.Errorf("%w: --%s: %s is not supported yet", errdefs.ErrNotSupported, f.name, f.what)
		}
	}
	return nil
}

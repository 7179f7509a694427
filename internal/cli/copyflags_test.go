package cli

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/manifest"
	"github.com/google/go-cmp/cmp"
)

// copyCase is the part of copier.Options the copy flags decide, besides
// the per-image options TestImageFlags covers.
type copyCase struct {
	MultiArch        copier.MultiArch
	Platforms        []manifest.Platform
	Format           string
	Compression      string
	CompressionLevel int
	PreserveDigests  bool
	RemoveSignatures bool
	Concurrency      int
	RetryTimes       int
	RetryDelay       time.Duration
	AdditionalTags   []string
	SrcInsecure      bool
	DestInsecure     bool
	SrcUser          string
	DestUser         string
}

func TestCopyFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		args  []string
		want  copyCase
		err   error
		usage bool
	}{
		{name: "defaults", want: copyCase{MultiArch: copier.System}},
		{name: "all", args: []string{"--all"}, want: copyCase{MultiArch: copier.All}},
		{name: "-a", args: []string{"-a"}, want: copyCase{MultiArch: copier.All}},
		{name: "multi-arch system", args: []string{"--multi-arch", "system"}, want: copyCase{MultiArch: copier.System}},
		{name: "multi-arch all", args: []string{"--multi-arch", "all"}, want: copyCase{MultiArch: copier.All}},
		{name: "multi-arch index-only", args: []string{"--multi-arch=index-only"}, want: copyCase{MultiArch: copier.IndexOnly}},
		{name: "multi-arch platforms", args: []string{"--multi-arch", "linux/amd64,linux/arm/v7"}, want: copyCase{MultiArch: copier.Platforms,
			Platforms: []manifest.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm", Variant: "v7"}}}},
		{name: "multi-arch nonsense", args: []string{"--multi-arch", "some"}, err: errdefs.ErrInvalidArgument},
		{name: "all and multi-arch", args: []string{"--all", "--multi-arch", "all"}, usage: true},
		{name: "format oci", args: []string{"--format", "oci"}, want: copyCase{Format: "oci"}},
		{name: "-f v2s2", args: []string{"-f", "v2s2"}, want: copyCase{Format: "v2s2"}},
		{name: "format v2s1", args: []string{"-f", "v2s1"}, err: errdefs.ErrNotSupported},
		{name: "format unknown", args: []string{"-f", "v3"}, err: errdefs.ErrInvalidArgument},
		{name: "dest-compress", args: []string{"--dest-compress"}, want: copyCase{Compression: "gzip"}},
		{name: "dest-compress-format zstd level", args: []string{"--dest-compress-format", "zstd", "--dest-compress-level", "19"}, want: copyCase{Compression: "zstd", CompressionLevel: 19}},
		{name: "dest-compress gzip level", args: []string{"--dest-compress", "--dest-compress-level", "9"}, want: copyCase{Compression: "gzip", CompressionLevel: 9}},
		{name: "dest-decompress", args: []string{"--dest-decompress"}, want: copyCase{Compression: "none"}},
		{name: "compress and decompress", args: []string{"--dest-compress", "--dest-decompress"}, err: errdefs.ErrInvalidArgument},
		{name: "level without compression", args: []string{"--dest-compress-level", "5"}, err: errdefs.ErrInvalidArgument},
		{name: "gzip level out of range", args: []string{"--dest-compress", "--dest-compress-level", "12"}, err: errdefs.ErrInvalidArgument},
		{name: "zstd:chunked", args: []string{"--dest-compress-format", "zstd:chunked"}, err: errdefs.ErrNotSupported},
		{name: "compress format unknown", args: []string{"--dest-compress-format", "lz4"}, err: errdefs.ErrInvalidArgument},
		{name: "oci-accept-uncompressed accepted", args: []string{"--dest-oci-accept-uncompressed-layers"}, want: copyCase{}},
		{name: "digests and signatures", args: []string{"--preserve-digests", "--remove-signatures"}, want: copyCase{PreserveDigests: true, RemoveSignatures: true}},
		{name: "parallel copies and retries", args: []string{"--image-parallel-copies", "3", "--retry-times", "4", "--retry-delay", "2s"}, want: copyCase{Concurrency: 3, RetryTimes: 4, RetryDelay: 2 * time.Second}},
		{name: "negative parallel copies", args: []string{"--image-parallel-copies", "-1"}, err: errdefs.ErrInvalidArgument},
		{name: "additional tags", args: []string{"--additional-tag", "a:1", "--additional-tag", "example.com/b:2"}, want: copyCase{AdditionalTags: []string{"a:1", "example.com/b:2"}}},
		{name: "additional tag without tag", args: []string{"--additional-tag", "a"}, err: errdefs.ErrInvalidArgument},
		{name: "additional tag with digest", args: []string{"--additional-tag", "a:1@sha256:" + sixtyFourZeros}, err: errdefs.ErrInvalidArgument},
		{name: "src and dest image flags", args: []string{"--src-tls-verify=false", "--dest-creds", "u:p"}, want: copyCase{SrcInsecure: true, DestUser: "u"}},
		// skopeo's hidden aliases and its deprecated copy --tls-verify.
		{name: "screds and dcreds", args: []string{"--screds", "s:1", "--dcreds", "d:2"}, want: copyCase{SrcUser: "s", DestUser: "d"}},
		{name: "screds and src-username", args: []string{"--screds", "s:1", "--src-username", "u", "--src-password", "p"}, err: errdefs.ErrInvalidArgument},
		{name: "deprecated tls-verify sets both", args: []string{"--tls-verify=false"}, want: copyCase{SrcInsecure: true, DestInsecure: true}},
		{name: "own tls-verify wins over deprecated", args: []string{"--tls-verify=false", "--dest-tls-verify=true"}, want: copyCase{SrcInsecure: true}},
		{name: "sign-by and sign-by-key", args: []string{"--sign-by", "ABCD", "--sign-by-key", "/k"}, err: errdefs.ErrInvalidArgument},
		{name: "sign-identity alone", args: []string{"--sign-identity", "example.com/a:1"}, err: errdefs.ErrInvalidArgument},
		{name: "sign-by-key unreadable", args: []string{"--sign-by-key", "/nonexistent/key"}, err: errdefs.ErrInvalidArgument},
		{name: "sigstore key without passphrase or terminal", args: []string{"--sign-by-sigstore-private-key", "/k"}, err: errdefs.ErrInvalidArgument},
		{name: "sigstore params unreadable", args: []string{"--sign-by-sigstore", "/nonexistent/params.yaml"}, err: errdefs.ErrInvalidArgument},
		{name: "encryption-key", args: []string{"--encryption-key", "jwe:/k.pem"}, err: errdefs.ErrNotSupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(io.Discard, io.Discard)
			a.isTerminal = func(int) bool { return false }
			o := new(copyOptions)
			cmd := a.copyCommandWith(o)
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatalf("parse %v: %v", tc.args, err)
			}
			setup, err := a.copierOptions(cmd, o)
			opts := setup.opts
			var ue *usageError
			if tc.usage {
				if !errors.As(err, &ue) {
					t.Fatalf("copierOptions(%v) error = %v, want a usage error", tc.args, err)
				}
				return
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("copierOptions(%v) error = %v, want %v", tc.args, err, tc.err)
			}
			if err != nil {
				return
			}
			got := copyCase{
				MultiArch: opts.MultiArch, Platforms: opts.Platforms, Format: opts.Format,
				Compression: opts.Compression, CompressionLevel: opts.CompressionLevel,
				PreserveDigests: opts.PreserveDigests, RemoveSignatures: opts.RemoveSignatures,
				Concurrency: opts.Concurrency, RetryTimes: opts.RetryTimes, RetryDelay: opts.RetryDelay,
				AdditionalTags: setup.dest.config.DockerArchive.AdditionalTags,
				SrcInsecure:    setup.src.config.Docker.Insecure, DestInsecure: setup.dest.config.Docker.Insecure,
				SrcUser: setup.src.config.Docker.Auth.Username, DestUser: setup.dest.config.Docker.Auth.Username,
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("copierOptions(%v) (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

const sixtyFourZeros = "0000000000000000000000000000000000000000000000000000000000000000"

package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ferrytool/ferry"
	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/fsutil"
	"github.com/ferrytool/ferry/registry"
	"github.com/spf13/cobra"
)

type copyOptions struct {
	shared           sharedImageFlags
	src, dest        *imageFlags
	compression      compressionFlags
	retry            retryFlags
	all              bool
	multiArch        string
	digestFile       string
	quiet            bool
	progress         string
	preserveDigests  bool
	format           string
	removeSignatures bool
	parallel         int
	additionalTags   []string
	fetch            fetchFlags
	chunkSize        string
	sign             signFlags
	overwrite        bool
	referrers        referrersFlags
}

func (a *app) copyCommand() *cobra.Command { return a.copyCommandWith(new(copyOptions)) }

// copyCommandWith builds the copy command around o, which its flags fill.
func (a *app) copyCommandWith(o *copyOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "copy [command options] SOURCE-IMAGE DESTINATION-IMAGE",
		Short: "Copy an IMAGE-NAME from one location to another",
		Long: `Copy the image SOURCE-IMAGE names to DESTINATION-IMAGE, verifying every blob.
Nothing is visible at the destination until the copy has finished.

When the source is a multi-platform index, only the image for this machine's
platform (or the one --override-os/--override-arch/--override-variant choose)
is copied, unless --all or --multi-arch says otherwise.

Progress goes to standard error (--quiet silences it); standard output
stays empty unless the destination is written there.

` + copyTransportsHelp(),
		Example: `  ferry copy docker://quay.io/skopeo/stable:latest docker://registry.example.com/skopeo:latest
  ferry copy docker://nginx:1.27 docker-archive:nginx.tar:nginx:1.27
  ferry copy --all docker://alpine:3.20 oci:/srv/images/alpine:3.20
  ferry copy --multi-arch linux/amd64,linux/arm64 docker://alpine docker://registry.example.com/alpine
  ferry copy --digestfile digest.txt oci:/srv/images/app:1 docker://registry.example.com/app:1`,
		Args: exactArgs(2, "SOURCE-IMAGE DESTINATION-IMAGE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runCopy(cmd, o, args[0], args[1])
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.all, "all", "a", false, "copy all images if SOURCE-IMAGE is a list (same as --multi-arch all)")
	fs.StringVar(&o.multiArch, "multi-arch", "", "how to handle multi-architecture images: system, all, index-only, or a list of os/arch[/variant] platforms to keep (default system)")
	fs.StringVar(&o.digestFile, "digestfile", "", "write the digest of the copied manifest to the specified `FILE`")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "suppress progress output")
	fs.StringVar(&o.progress, "progress", "auto", "how to show progress on standard error: "+progressModes+" (auto: bars on a terminal, plain lines elsewhere)")
	fs.BoolVar(&o.preserveDigests, "preserve-digests", false, "preserve digests of images and lists (fail rather than change one)")
	fs.StringVarP(&o.format, "format", "f", "", "manifest `TYPE` (oci or v2s2) to use in the destination (default: the source's)")
	fs.BoolVar(&o.removeSignatures, "remove-signatures", false, "do not copy signatures from SOURCE-IMAGE")
	fs.IntVar(&o.parallel, "image-parallel-copies", 0, "maximum number of blobs copied in parallel (default 6)")
	fs.StringSliceVar(&o.additionalTags, "additional-tag", nil, "additional `NAME:TAG`s (docker-archive destinations)")
	fs.BoolVar(&o.overwrite, "overwrite", false, "replace an existing docker-archive file (by default, as with skopeo, an existing non-empty archive is an error)")
	fs.StringVar(&o.chunkSize, "dest-chunk-size", "", "push blobs to a registry in chunks of at most `SIZE` (e.g. 16MiB), each resent on failure; by default a blob goes in one request, and in chunks only when the registry or a proxy refuses or cuts large ones")
	o.shared.register(fs)
	o.src = registerImageFlags(fs, "src-", imageFlagSet{daemonHost: true, sharedBlobDir: true, credsAlias: "screds"})
	o.dest = registerImageFlags(fs, "dest-", imageFlagSet{daemonHost: true, sharedBlobDir: true, credsAlias: "dcreds"})
	registerDeprecatedTLSVerify(fs)
	o.compression.register(fs)
	o.fetch.register(fs)
	o.retry.register(fs)
	o.sign.register(fs)
	o.referrers.register(fs)
	registerUnsupportedCopyFlags(fs)
	return cmd
}

func (a *app) runCopy(cmd *cobra.Command, o *copyOptions, srcName, dstName string) error {
	setup, err := a.copierOptions(cmd, o)
	if err != nil {
		return err
	}
	// A mistyped name is reported before anything else is looked at.
	for _, name := range []string{srcName, dstName} {
		if _, err := ferry.ParseReference(name); err != nil {
			return err
		}
	}
	if err := a.checkArchiveNotToTerminal(dstName); err != nil {
		return err
	}
	reporter, stop, err := a.newProgress(o.progress, o.quiet)
	if err != nil {
		return err
	}
	opts := setup.ferryOptions()
	if o.overwrite {
		opts = append(opts, ferry.WithOverwrite())
	}
	opts = append(opts, o.referrers.options()...)
	if reporter != nil {
		opts = append(opts, ferry.WithProgress(reporter.Report))
	}
	fetch, err := o.fetch.options(a.global.tmpDir)
	if err != nil {
		return err
	}
	ctx, client, done, err := a.session(cmd)
	if err != nil {
		return err
	}
	defer done()
	res, err := client.Copy(ctx, srcName, dstName, append(opts, fetch...)...)
	stop()
	var unsupported *copier.SignaturesUnsupportedError
	if err != nil && setup.opts.Signers != nil && errors.As(err, &unsupported) {
		return fmt.Errorf("%w: signing needs a destination that stores signatures (dir:, a registry)", err)
	}
	if err != nil {
		return copyError(err)
	}
	if o.digestFile != "" {
		if err := writeFileAtomic(o.digestFile, []byte(res.Digest.String())); err != nil {
			return fmt.Errorf("--digestfile: %w", err)
		}
	}
	return nil
}

// copySetup is what the copy flags decide: the copier's options, and the
// image setups of both sides (their own credentials and TLS settings, one
// registry pool).
type copySetup struct {
	opts      copier.Options
	src, dest imageSetup
}

// copierOptions turns the copy flags into a copySetup.
func (a *app) copierOptions(cmd *cobra.Command, o *copyOptions) (copySetup, error) {
	fs := cmd.Flags()
	var setup copySetup
	opts := &setup.opts
	if err := checkUnsupportedCopyFlags(fs); err != nil {
		return setup, err
	}
	if o.all && fs.Changed("multi-arch") {
		return setup, usagef(cmd.CommandPath(), "--all and --multi-arch cannot be used together")
	}
	applyDeprecatedTLSVerify(fs, a.global.log(), o.src, o.dest)
	var err error
	if setup.src, err = a.imageOptions(o.src, o.shared.authFile); err != nil {
		return setup, err
	}
	if setup.dest, err = a.imageOptions(o.dest, o.shared.authFile); err != nil {
		return setup, err
	}
	opts.Source, opts.Destination = setup.src.opts, setup.dest.opts
	if err := checkAdditionalTags(o.additionalTags); err != nil {
		return setup, err
	}
	setup.dest.config.DockerArchive.AdditionalTags = o.additionalTags
	setup.dest.config.Daemon.AdditionalTags = o.additionalTags
	if setup.dest.config.Docker.ChunkSize, err = parseChunkSize(o.chunkSize); err != nil {
		return setup, err
	}
	opts.Platform = a.global.platform()
	if o.all {
		opts.MultiArch = copier.All
	} else if opts.MultiArch, opts.Platforms, err = parseMultiArch(o.multiArch); err != nil {
		return setup, err
	}
	if opts.Format, err = parseManifestFormat(o.format); err != nil {
		return setup, err
	}
	if o.parallel < 0 {
		return setup, fmt.Errorf("%w: --image-parallel-copies %d: want a positive number", errdefs.ErrInvalidArgument, o.parallel)
	}
	if o.retry.times < 0 || o.retry.delay < 0 {
		return setup, fmt.Errorf("%w: --retry-times and --retry-delay must not be negative", errdefs.ErrInvalidArgument)
	}
	opts.PreserveDigests = o.preserveDigests
	opts.RemoveSignatures = o.removeSignatures
	opts.Concurrency = o.parallel
	opts.RetryTimes, opts.RetryDelay = o.retry.times, o.retry.delay
	opts.Logger = a.global.log()
	o.sign.prompt = a.promptSecret
	if opts.Signers, err = o.sign.signers(); err != nil {
		return setup, err
	}
	if opts.Policy, err = a.global.trustPolicy(); err != nil {
		return setup, err
	}
	if err := o.compression.apply(fs, opts); err != nil {
		return setup, err
	}
	return setup, nil
}

// parseChunkSize reads --dest-chunk-size: bytes, or a number with a unit
// (k, M, G, with or without B or iB; all powers of 1024), "" or 0 for the
// default. skopeo has no such option; the name follows its --dest- flags.
func parseChunkSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToLower(strings.TrimSpace(s[len(num):]))
	unit = strings.TrimSuffix(strings.TrimSuffix(unit, "b"), "i")
	shift, ok := map[string]uint{"": 0, "k": 10, "m": 20, "g": 30}[unit]
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || n < 0 || n > registry.MaxChunkSize>>shift {
		return 0, fmt.Errorf("%w: --dest-chunk-size %q: want a size such as 16MiB, at most %dMiB", errdefs.ErrInvalidArgument, s, registry.MaxChunkSize>>20)
	}
	n <<= shift
	if n != 0 && n < registry.MinChunkSize {
		return 0, fmt.Errorf("%w: --dest-chunk-size %q: want at least %dKiB", errdefs.ErrInvalidArgument, s, registry.MinChunkSize>>10)
	}
	return n, nil
}

// writeFileAtomic writes b to path through a temporary file in the same
// directory and a rename, so path never holds a partial digest.
func writeFileAtomic(path string, b []byte) error { return fsutil.WriteFile(path, b) }

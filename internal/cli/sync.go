package cli

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"

	"github.com/ferrytool/ferry"
	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type syncOptions struct {
	shared           sharedImageFlags
	src, dest        *imageFlags
	retry            retryFlags
	sign             signFlags
	source, dest2    string
	scoped           bool
	appendSuffix     string
	digestFile       string
	all              bool
	dryRun           bool
	keepGoing        bool
	preserveDigests  bool
	removeSignatures bool
	format           string
	// ferry extensions
	includeTag, excludeTag string
	newest                 int
	shard                  string
	report                 string
	images, transfers      int
	noSkip                 bool
	quiet                  bool
	progress               string
	referrers              referrersFlags
}

func (a *app) syncCommand() *cobra.Command {
	o := &syncOptions{}
	cmd := &cobra.Command{
		Use:   "sync [command options] --src TRANSPORT --dest TRANSPORT SOURCE DESTINATION",
		Short: "Synchronize one or more images from one location to another",
		Long: `Copy all the images from a SOURCE to a DESTINATION, as skopeo sync does.

SOURCE (--src): docker (a repository: all its tags; or one image), dir (every
directory below SOURCE holding a manifest.json), yaml (skopeo's sync file).
DESTINATION (--dest): docker (a registry namespace), dir (a directory, updated
in place), oci (one OCI layout holding every image under its name).

Each image goes to DESTINATION/NAME[:TAG]: NAME is the source repository's last
path element, or with --scoped its full name (HOST/PATH); --append-suffix adds
to the end. Images are copied --parallel-images at a time; one the destination
already holds (same manifest digest) is skipped after one request per side.

--include-tag and --exclude-tag are regular expressions (RE2) matched against
the whole tag: '3\.20' matches 3.20 only, write '3\.20.*' for its patch tags.
--newest N keeps, per repository, the N tags with the highest semantic versions.
--shard I/N keeps the I-th (from 0) of N parts, split by source repository;
auto/N takes I from $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).`,
		Example: `  ferry sync --src docker --dest docker registry.example/library/alpine registry.internal/mirror
  ferry sync --src yaml --dest docker mirror.yaml registry.internal/mirror
  ferry sync --src docker --dest oci --include-tag '3\.2[0-9]' alpine /srv/mirror
  ferry sync --src yaml --dest docker --shard auto/8 --report report.jsonl mirror.yaml registry.internal/mirror`,
		Args: exactArgs(2, "SOURCE DESTINATION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runSync(cmd, o, args[0], args[1])
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&o.source, "src", "s", "", "SOURCE transport type (docker, dir or yaml)")
	fs.StringVarP(&o.dest2, "dest", "d", "", "DESTINATION transport type (docker, dir or oci)")
	fs.BoolVar(&o.scoped, "scoped", false, "images at DESTINATION are prefixed using the full source image path as scope")
	fs.StringVar(&o.appendSuffix, "append-suffix", "", "string to append to DESTINATION tags")
	fs.StringVar(&o.digestFile, "digestfile", "", "write the digests and image references of the resulting images to the specified `FILE`, one per line")
	fs.BoolVarP(&o.all, "all", "a", false, "copy all images if SOURCE-IMAGE is a list")
	fs.BoolVar(&o.dryRun, "dry-run", false, "run without actually copying data")
	fs.BoolVar(&o.keepGoing, "keep-going", false, "do not abort the sync if any image copy fails")
	fs.BoolVar(&o.preserveDigests, "preserve-digests", false, "preserve digests of images and lists")
	fs.BoolVar(&o.removeSignatures, "remove-signatures", false, "do not copy signatures from SOURCE images")
	fs.StringVarP(&o.format, "format", "f", "", "manifest `TYPE` (oci or v2s2) to use when syncing image(s) to a destination (default: the source's)")
	fs.StringVar(&o.includeTag, "include-tag", "", "sync only tags matching the regular expression `RE` (whole tag)")
	fs.StringVar(&o.excludeTag, "exclude-tag", "", "do not sync tags matching the regular expression `RE` (whole tag)")
	fs.IntVar(&o.newest, "newest", 0, "sync only the `N` tags with the highest semantic versions per repository")
	fs.StringVar(&o.shard, "shard", "", "sync only part `I/N` of the repositories (I from 0; auto/N: I from $JOB_COMPLETION_INDEX)")
	fs.StringVar(&o.report, "report", "", "write one JSON line per image to `FILE` (source, destination, digest, status, bytes, error)")
	fs.IntVar(&o.images, "parallel-images", ferry.DefaultSyncImages, "number of images copied at once")
	fs.IntVar(&o.transfers, "image-parallel-copies", 0, "maximum number of blobs copied in parallel, across all images (default: twice --parallel-images, at least 6)")
	fs.BoolVar(&o.noSkip, "no-skip", false, "copy every image, even those the destination already holds")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "suppress progress output")
	fs.StringVar(&o.progress, "progress", "none", "how to show blob progress on standard error: "+progressModes)
	o.shared.register(fs)
	o.src = registerImageFlags(fs, "src-", imageFlagSet{})
	o.dest = registerImageFlags(fs, "dest-", imageFlagSet{})
	registerSkopeoAliases(fs)
	o.retry.register(fs)
	o.sign.register(fs)
	o.referrers.register(fs)
	registerUnsupportedCopyFlags(fs)
	for _, n := range []string{"encryption-key", "encrypt-layer", "decryption-key"} {
		_ = fs.MarkHidden(n) // copy's, not skopeo sync's; still refused when given
	}
	return cmd
}

// registerSkopeoAliases adds skopeo sync's hidden spellings: --screds and
// --dcreds for --src-creds and --dest-creds, and the deprecated
// --tls-verify for both sides.
func registerSkopeoAliases(fs *pflag.FlagSet) {
	fs.String("screds", "", "use `USERNAME[:PASSWORD]` for accessing the source registry")
	fs.String("dcreds", "", "use `USERNAME[:PASSWORD]` for accessing the destination registry")
	fs.Bool("tls-verify", true, "require HTTPS and verify certificates when accessing the registries")
	for _, n := range []string{"screds", "dcreds", "tls-verify"} {
		_ = fs.MarkHidden(n)
	}
}

// applySkopeoAliases copies the hidden spellings onto the flags they
// stand for, unless those were given too.
func applySkopeoAliases(fs *pflag.FlagSet) error {
	set := func(from, to string) error {
		if !fs.Changed(from) || fs.Changed(to) {
			return nil
		}
		return fs.Set(to, fs.Lookup(from).Value.String())
	}
	for _, p := range [][2]string{{"screds", "src-creds"}, {"dcreds", "dest-creds"}, {"tls-verify", "src-tls-verify"}, {"tls-verify", "dest-tls-verify"}} {
		if err := set(p[0], p[1]); err != nil {
			return err
		}
	}
	return nil
}

// syncSetup is what the sync flags decide: the copy every image gets (a
// copySetup: both sides' credentials and TLS, policy, formats, retries,
// transfers across all images) and the sync's own settings, for package
// ferry's PlanSync.
type syncSetup struct {
	copy     copySetup
	sync     ferry.SyncOptions
	src, dst string // "TRANSPORT:LOCATION", as PlanSync takes them
}

// syncSetup turns the flags into a syncSetup; nothing is read from a
// registry yet.
func (a *app) syncSetup(cmd *cobra.Command, o *syncOptions, src, dst string) (syncSetup, error) {
	fs := cmd.Flags()
	var m syncSetup
	if o.source == "" {
		return m, usagef(cmd.CommandPath(), "a source transport must be specified (--src docker, dir or yaml)")
	}
	if o.dest2 == "" {
		return m, usagef(cmd.CommandPath(), "a destination transport must be specified (--dest docker, dir or oci)")
	}
	switch o.source {
	case "docker", "dir", "yaml":
	default:
		return m, fmt.Errorf("%w: %q is not a valid source transport (want docker, dir or yaml)", errdefs.ErrInvalidArgument, o.source)
	}
	switch o.dest2 {
	case "docker", "dir", "oci":
	default:
		return m, fmt.Errorf("%w: %q is not a valid destination transport (want docker, dir or oci)", errdefs.ErrInvalidArgument, o.dest2)
	}
	m.src, m.dst = syncName(o.source, src), syncName(o.dest2, dst)
	if err := applySkopeoAliases(fs); err != nil {
		return m, err
	}
	if err := checkUnsupportedCopyFlags(fs); err != nil {
		return m, err
	}
	var err error
	if m.copy.src, err = a.imageOptions(o.src, o.shared.authFile); err != nil {
		return m, err
	}
	if m.copy.dest, err = a.imageOptions(o.dest, o.shared.authFile); err != nil {
		return m, err
	}
	c := &m.copy.opts
	if o.all {
		c.MultiArch = copier.All
	}
	if c.Format, err = parseManifestFormat(o.format); err != nil {
		return m, err
	}
	if o.retry.times < 0 || o.retry.delay < 0 {
		return m, fmt.Errorf("%w: --retry-times and --retry-delay must not be negative", errdefs.ErrInvalidArgument)
	}
	c.PreserveDigests, c.RemoveSignatures = o.preserveDigests, o.removeSignatures
	c.RetryTimes, c.RetryDelay = o.retry.times, o.retry.delay
	c.Logger = a.global.log()
	if c.Signers, err = o.sign.signers(); err != nil {
		return m, err
	}
	if c.Policy, err = a.global.trustPolicy(); err != nil {
		return m, err
	}
	if err := o.filters(&m.sync); err != nil {
		return m, err
	}
	if o.images < 1 || o.transfers < 0 {
		return m, fmt.Errorf("%w: --parallel-images must be at least 1 and --image-parallel-copies not negative", errdefs.ErrInvalidArgument)
	}
	c.Concurrency = o.transfers // a sync's transfers across all its images
	m.sync.Images = o.images
	m.sync.Scoped, m.sync.AppendSuffix = o.scoped, o.appendSuffix
	m.sync.KeepGoing, m.sync.CopyUnchanged = o.keepGoing, o.noSkip
	m.sync.Referrers, m.sync.ArtifactTypes = o.referrers.on, o.referrers.types
	return m, nil
}

// syncName is a sync location as package ferry names it: skopeo sync's
// --src or --dest type and its argument.
func syncName(kind, arg string) string {
	if kind == "docker" {
		return "docker://" + arg
	}
	return kind + ":" + arg
}

// filters reads --include-tag, --exclude-tag, --newest and --shard.
func (o *syncOptions) filters(so *ferry.SyncOptions) error {
	var err error
	if so.IncludeTags, err = tagPattern("--include-tag", o.includeTag); err != nil {
		return err
	}
	if so.ExcludeTags, err = tagPattern("--exclude-tag", o.excludeTag); err != nil {
		return err
	}
	if o.newest < 0 {
		return fmt.Errorf("%w: --newest %d: want a positive number", errdefs.ErrInvalidArgument, o.newest)
	}
	so.NewestTags = o.newest
	if o.shard != "" {
		if so.Shard, err = ferry.ParseSyncShard(o.shard); err != nil {
			return err
		}
	}
	return nil
}

// tagPattern compiles the pattern of flag (nil when not given); package
// ferry anchors it to match whole tags.
func tagPattern(flag, pattern string) (*regexp.Regexp, error) {
	if pattern == "" {
		return nil, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			err = errors.New(string(se.Code)) // without the pattern it repeats
		}
		return nil, fmt.Errorf("%w: %s %q is not a valid regular expression: %v", errdefs.ErrInvalidArgument, flag, pattern, err)
	}
	return re, nil
}

package copier

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	retrypkg "github.com/ferrytool/ferry/internal/retry"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// defaultConcurrency matches skopeo's parallel blob copies.
const defaultConcurrency = 6

// copyImage fills o's defaults and brackets the attempts with the
// image-level progress events (started; done, skipped or failed).
func copyImage(ctx context.Context, srcRef, dstRef transport.Reference, o *Options) (*Result, error) {
	if o.Logger != nil {
		setIfNil(&o.Source.Logger, o.Logger)
		setIfNil(&o.Destination.Logger, o.Logger)
	}
	if o.Progress == nil {
		o.Progress = progress.Discard
	}
	if o.Label == "" {
		o.Label = transport.FullName(srcRef)
	}
	if o.Source.Platform == (manifest.Platform{}) {
		o.Source.Platform = o.Platform
	}
	if o.Concurrency <= 0 {
		o.Concurrency = defaultConcurrency
	}
	if o.Limiter == nil {
		o.Limiter = NewLimiter(o.Concurrency)
	}
	o.Progress.Report(progress.Event{Kind: progress.ImageStarted, Image: o.Label})
	res, err := copyChecked(ctx, srcRef, dstRef, o)
	if err != nil {
		o.Progress.Report(progress.Event{Kind: progress.ImageFailed, Image: o.Label, Err: err})
		return nil, err
	}
	kind := progress.ImageDone
	if res.Skipped {
		kind = progress.ImageSkipped
	}
	o.Progress.Report(progress.Event{Kind: kind, Image: o.Label,
		Descriptor: ocispec.Descriptor{MediaType: res.MediaType, Digest: res.Digest, Size: int64(len(res.Manifest))}})
	return res, nil
}

// copyChecked checks the options and runs attempts until one succeeds or
// retrying is pointless.
func copyChecked(ctx context.Context, srcRef, dstRef transport.Reference, o *Options) (*Result, error) {
	if err := checkFormat(o); err != nil {
		return nil, err
	}
	var res *Result
	err := retry(ctx, o, func() error {
		var err error
		res, err = copyOnce(ctx, srcRef, dstRef, o)
		return err
	})
	return res, err
}

func setIfNil[T any](p **T, v *T) {
	if *p == nil {
		*p = v
	}
}

func checkFormat(o *Options) error {
	switch o.Format {
	case "", "oci", "v2s2":
	default:
		return fmt.Errorf("%w: format %q: want oci or v2s2", errdefs.ErrInvalidArgument, o.Format)
	}
	if err := validCompression(o.Compression); err != nil {
		return err
	}
	o.Compression = strings.ToLower(o.Compression)
	return nil
}

// copyOnce runs one attempt in phases: resolve what the source holds,
// check it against the policy, open the destination, plan every
// conversion, transfer, write manifests and signatures, commit. Nothing
// reaches the destination before the plan accepts the copy, except from a
// source read once (see maybeStream).
func copyOnce(ctx context.Context, srcRef, dstRef transport.Reference, o *Options) (*Result, error) {
	src, err := srcRef.NewSource(ctx, &o.Source)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	c := &job{o: o, src: src, srcRef: srcRef, dstRef: dstRef, label: o.Label}
	if _, ok := src.(transport.StreamSource); ok && c.blindPolicy() {
		if err := c.open(ctx); err != nil {
			return nil, err
		}
		defer c.dst.Close()
		if err := c.maybeStream(ctx); err != nil {
			return nil, err
		}
	}
	r, err := c.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.check(ctx, r); err != nil {
		return nil, err
	}
	if c.dst == nil {
		if _, err := c.plan(r); err != nil {
			return nil, err
		}
		if err := c.open(ctx); err != nil {
			return nil, err
		}
		defer c.dst.Close()
	}
	p, err := c.plan(r)
	if err != nil {
		return nil, err
	}
	if res, err := c.present(ctx, p); res != nil || err != nil {
		return res, err
	}
	res, err := c.transfer(ctx, p)
	if err != nil {
		return nil, err
	}
	if want := dstDigest(dstRef, c.caps); want != "" && want != res.Digest {
		return nil, fmt.Errorf("%w: %s names digest %s but the copied manifest has %s", errdefs.ErrDigestMismatch,
			transport.FullName(dstRef), want, res.Digest)
	}
	c.committing()
	if err := c.dst.Commit(ctx); err != nil {
		return nil, err
	}
	return res, nil
}

// present returns a skipped Result when SkipExisting is set and the
// destination already holds exactly what the copy would write; nil, nil
// when the copy must run.
func (c *job) present(ctx context.Context, p *copyPlan) (*Result, error) {
	mc, ok := c.dst.(transport.ManifestChecker)
	if !c.o.SkipExisting || !ok || !p.unchanged || p.signed || len(c.o.Signers) > 0 {
		return nil, nil
	}
	top := p.written()
	if want := dstDigest(c.dstRef, c.caps); want != "" && want != top.Digest {
		return nil, nil // the copy will fail with the mismatch
	}
	has, err := mc.HasManifest(ctx, top.Digest)
	if err != nil || !has {
		return nil, err
	}
	return &Result{Manifest: top.Manifest, MediaType: top.MediaType, Digest: top.Digest, Skipped: true}, nil
}

// dstDigest is the digest the destination's name requires of the copied
// manifest, "" when it names none or stores manifests in its own form.
func dstDigest(r transport.Reference, caps transport.Capabilities) digest.Digest {
	if n := r.DockerReference(); n != nil && caps.KeepsDigests {
		return reference.Digest(n)
	}
	return ""
}

// retry runs f up to 1+RetryTimes times while it fails with an error worth
// retrying (errdefs.IsPermanent), waiting RetryDelay (or 1s, 2s, 4s, ...)
// between attempts.
func retry(ctx context.Context, o *Options, f func() error) error {
	return retrypkg.Do(ctx, retrypkg.Policy{Times: o.RetryTimes, Delay: o.RetryDelay,
		OnRetry: func(attempt int, wait time.Duration, err error) {
			o.Source.Log().Warn("copy failed, retrying", "attempt", attempt, "of", o.RetryTimes, "in", wait, "error", err)
		}}, f)
}

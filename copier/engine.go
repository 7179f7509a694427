package copier

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	retrypkg "github.com/ferrytool/ferry/internal/retry"
	"github.com/ferrytool/ferry/manifest"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// defaultConcurrency matches skopeo's parallel blob copies.
const defaultConcurrency = 6

func copyImage(ctx context.Context, srcRef, dstRef transport.Reference, o *Options) (*Result, error) {
	if o.Logger != nil {
		setIfNil(&o.Source.Logger, o.Logger)
		setIfNil(&o.Destination.Logger, o.Logger)
	}
	if o.Progress != nil && o.Destination.Progress == nil {
		o.Destination.Progress = o.Progress
	}
	if o.Source.Platform == (manifest.Platform{}) {
		o.Source.Platform = o.Platform
	}
	if o.Concurrency <= 0 {
		o.Concurrency = defaultConcurrency
	}
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
	if o.Format != "" && o.PreserveDigests {
		return fmt.Errorf("%w: --format %s rewrites manifests, which --preserve-digests forbids", errdefs.ErrInvalidArgument, o.Format)
	}
	return nil
}

// copyOnce runs one attempt: open both ends, copy, commit.
func copyOnce(ctx context.Context, srcRef, dstRef transport.Reference, o *Options) (*Result, error) {
	src, err := srcRef.NewSource(ctx, &o.Source)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dst, err := dstRef.NewDestination(ctx, &o.Destination)
	if err != nil {
		return nil, err
	}
	defer dst.Close()

	c := &job{
		o: o, src: src, dst: dst, srcRef: srcRef, dstRef: dstRef,
		caps: dst.Capabilities(),
	}
	c.blobs = newBlobPool(c)
	if err := c.maybeStream(ctx); err != nil {
		return nil, err
	}
	res, err := c.run(ctx)
	if err != nil {
		return nil, err
	}
	if want := dstDigest(dstRef); want != "" && want != res.Digest {
		return nil, fmt.Errorf("%w: %s names digest %s but the copied manifest has %s", errdefs.ErrDigestMismatch,
			transport.FullName(dstRef), want, res.Digest)
	}
	if err := dst.Commit(ctx); err != nil {
		return nil, err
	}
	return res, nil
}

func dstDigest(r transport.Reference) digest.Digest {
	if n := r.DockerReference(); n != nil && r.Transport().Name() == "docker" {
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

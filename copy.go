package ferry

import (
	"context"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/fetch"
	"github.com/ferrytool/ferry/policy"
	"github.com/ferrytool/ferry/progress"
	"github.com/opencontainers/go-digest"
)

// Result says what a copy wrote.
type Result struct {
	// Digest is the digest of the top manifest written (an index's when
	// the copy wrote one): what skopeo's --digestfile records.
	Digest digest.Digest
	// MediaType is that manifest's media type.
	MediaType string
	// Manifest is that manifest's bytes, as written.
	Manifest []byte
}

// Copy copies the image src names to dst (both "TRANSPORT:DETAILS"),
// verifying every blob, and returns what it wrote. Nothing is visible at
// dst until the copy has finished; a failed copy leaves dst as it was.
//
// From a multi-platform index, Copy takes the image for the host's
// platform (or WithPlatform's) unless WithAllPlatforms, WithPlatforms or
// WithIndexOnly says otherwise. Signatures are copied with the image.
func (c *Client) Copy(ctx context.Context, src, dst string, opts ...Option) (*Result, error) {
	s, err := c.settings(opts)
	if err != nil {
		return nil, err
	}
	srcRef, err := c.parse(s, &s.src, src)
	if err != nil {
		return nil, err
	}
	dstRef, err := c.parse(s, &s.dst, dst)
	if err != nil {
		return nil, err
	}
	if err := checkArchiveOverwrite(dstRef, s.overwrite); err != nil {
		return nil, err
	}
	o, err := s.copierOptions()
	if err != nil {
		return nil, err
	}
	res, err := copier.Copy(ctx, srcRef, dstRef, o)
	if err != nil {
		return nil, err
	}
	if s.referrers {
		if err := s.copyReferrers(ctx, srcRef, dstRef, o, res.Digest, res.Manifest); err != nil {
			return nil, err
		}
	}
	return &Result{Digest: res.Digest, MediaType: res.MediaType, Manifest: res.Manifest}, nil
}

// Copy copies the image src names to dst with a client made for this one
// call; see Client.Copy.
func Copy(ctx context.Context, src, dst string, opts ...Option) (*Result, error) {
	return oneShot(opts, func(c *Client) (*Result, error) { return c.Copy(ctx, src, dst) })
}

// copierOptions are the copy engine's options the settings give.
func (s *settings) copierOptions() (copier.Options, error) {
	topts := s.transportOptions()
	o := copier.Options{
		Source: topts, Destination: topts,
		Platform:         s.platform,
		MultiArch:        s.multiArch,
		Platforms:        s.platforms,
		Format:           s.format,
		Compression:      s.compression,
		CompressionLevel: s.compressionLevel,
		PreserveDigests:  s.preserveDigests || s.referrers, // artifacts name the image by digest
		RemoveSignatures: s.removeSignatures,
		Signers:          s.signers,
		Policy:           s.check,
		Concurrency:      s.concurrency,
		RetryTimes:       s.retries,
		RetryDelay:       s.retryWait,
		Logger:           s.logger,
		Label:            s.label,
	}
	if s.policy != nil {
		o.Policy = policy.NewEvaluator(s.policy, s.log())
	}
	if s.progress != nil {
		o.Progress = reporterFunc(s.progress)
	}
	if s.blobCache {
		f, err := s.fetcher(o.Progress)
		if err != nil {
			return o, err
		}
		o.Fetcher = f
	}
	return o, nil
}

// fetcher is the resumable downloader WithBlobCache asks for.
func (s *settings) fetcher(rep progress.Reporter) (*fetch.Fetcher, error) {
	opts := []fetch.Option{fetch.WithDir(s.blobCacheDir), fetch.WithLogger(s.log())}
	if s.connections > 0 {
		opts = append(opts, fetch.WithConnections(s.connections))
	}
	if rep != nil {
		opts = append(opts, fetch.WithProgress(rep))
	}
	return fetch.New(opts...)
}

// reporterFunc adapts WithProgress's function to a progress.Reporter.
type reporterFunc func(Event)

func (f reporterFunc) Report(e Event) { f(e) }

package mirror

import (
	"context"
	"fmt"
	"regexp"
	"sync"

	"github.com/ferrytool/ferry/artifacts"
	"github.com/ferrytool/ferry/copier"
)

// attached copies, with Options.Referrers, what is attached to the image
// r says was copied or found unchanged (man is its manifest, nil when the
// copy was skipped), sharing the sync's transfer limit. A failure fails
// the image's result: its artifacts did not all arrive.
func (p *Plan) attached(ctx context.Context, img *Image, r Result, man []byte, limiter *copier.Limiter) Result {
	o := &p.o
	if !o.Referrers || r.Digest == "" {
		return r
	}
	copts := o.Copy
	copts.Limiter = limiter
	copts.Label = r.Source
	copts.Progress = nil // the image's events are over; the artifacts are small
	done, err := artifacts.CopyImage(ctx, img.Source, img.Destination, r.Digest, man, artifacts.Options{Copy: copts, ArtifactTypes: o.ArtifactTypes})
	if err != nil {
		f := failedResult(img.Repository, r.Source, fmt.Errorf("copying attached artifacts: %w", err))
		f.Destination, f.Bytes = r.Destination, r.Bytes
		return f
	}
	if len(done) > 0 {
		o.log().Debug("copied attached artifacts", "image", r.Source, "count", len(done))
	}
	return r
}

// attachedTagPattern matches the tags attached artifacts are kept under:
// the referrers tag schema's sha256-HEX and cosign's .sig, .att, .sbom.
var attachedTagPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^sha256-[0-9a-f]{64}(\.sig|\.att|\.sbom)?$`) })

// isAttachedTag reports whether a listed tag holds attached artifacts
// rather than an image.
func isAttachedTag(tag string) bool { return attachedTagPattern().MatchString(tag) }

package display

import (
	"fmt"
	"strings"
	"time"

	"github.com/ferrytool/ferry/progress"
	"github.com/opencontainers/go-digest"
)

// bytesHuman renders a byte count with binary units, as skopeo and docker do.
func bytesHuman(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// shortDigest is the first 12 hex characters, as Docker shows IDs. A blob
// whose digest is not known yet (an archive member read from a stream is
// hashed as it passes) shows as "(streaming)". It never panics, whatever
// the event carries.
func shortDigest(d digest.Digest) string {
	if d == "" {
		return "(streaming)"
	}
	_, e, ok := strings.Cut(string(d), ":")
	if !ok {
		e = string(d)
	}
	if len(e) > 12 {
		e = e[:12]
	}
	return e
}

func durationHuman(d time.Duration) string {
	if d <= 0 {
		return "--"
	}
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// imageLine renders an image-level event for the bars and plain renderers:
// a line when an image is finished or found present, "" for its start and
// its failure (the caller reports a failure as its error, once).
func imageLine(e progress.Event) string {
	name := e.Image
	if name == "" {
		name = "image"
	} else {
		name = "image " + name
	}
	switch e.Kind {
	case progress.ImageSkipped:
		return fmt.Sprintf("Skipped %s (already present as %s)", name, e.Descriptor.Digest)
	case progress.ImageDone:
		return fmt.Sprintf("Copied %s (%s)", name, e.Descriptor.Digest)
	}
	return ""
}

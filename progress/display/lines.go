package display

import (
	"fmt"
	"strings"
	"time"

	"github.com/ferrytool/ferry/progress"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// copyingLine is skopeo's line for a blob whose copy begins (or which it
// finds present): "Copying blob sha256:..." or "Copying config
// sha256:...". A blob streamed before its digest is known says so.
func copyingLine(d ocispec.Descriptor) string {
	what := "blob"
	if isConfig(d.MediaType) {
		what = "config"
	}
	if d.Digest == "" {
		return fmt.Sprintf("Copying %s (streamed: its digest is known at its end)", what)
	}
	return fmt.Sprintf("Copying %s %s", what, d.Digest)
}

// isConfig reports whether mt is an image (or artifact) config.
func isConfig(mt string) bool {
	return mt == "application/vnd.docker.container.image.v1+json" || strings.HasSuffix(mt, ".config.v1+json")
}

// doneLine tells how a copied blob got there: read from the source,
// reused from the blob cache, or partly each (a resumed download).
func doneLine(b blobState, took time.Duration) string {
	switch {
	case b.cached > 0 && b.cached >= b.size:
		return fmt.Sprintf("Copied blob %s (%s reused from the blob cache)", shortDigest(b.d), bytesHuman(b.size))
	case b.cached > 0:
		return fmt.Sprintf("Copied blob %s (%s in %s, %s of it resumed from the blob cache)",
			shortDigest(b.d), bytesHuman(b.size), durationHuman(took), bytesHuman(b.cached))
	}
	return fmt.Sprintf("Copied blob %s (%s in %s)", shortDigest(b.d), bytesHuman(b.size), durationHuman(took))
}

// stepLine is skopeo's line for a step of an image copy, "" for the
// commit (see commitLine).
func stepLine(e progress.Event) string {
	list := map[bool]string{false: "", true: " list"}[e.List]
	switch e.Step {
	case progress.StepSignatures:
		if e.List {
			return "Getting image list signatures"
		}
		return "Getting image source signatures"
	case progress.StepInstances:
		return fmt.Sprintf("Copying %d of %d images in list", e.Index, e.Count)
	case progress.StepInstance:
		return fmt.Sprintf("Copying image %s (%d/%d)", e.Descriptor.Digest, e.Index, e.Count)
	case progress.StepManifest:
		return "Writing manifest" + list + " to image destination"
	case progress.StepStoreSignatures:
		if e.List {
			return "Storing list signatures"
		}
		return "Storing signatures"
	}
	return ""
}

// commitLine is the status of a destination committing (skopeo is
// silent while the Docker daemon imports an image), with the time it has
// taken so far.
func commitLine(c commitState, took time.Duration) string {
	dest := c.dest
	if dest == "" {
		dest = "the destination"
	}
	return fmt.Sprintf("Committing the image to %s (%s so far)", dest, durationHuman(took))
}

// summaryLine is the closing line, bytes by class: "Copied 6 blobs
// (3.3 MiB) in 2s: 1.0 KiB transferred, 3.3 MiB reused from the blob
// cache; 2 blobs (5.0 MiB) already present".
func summaryLine(s summary) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Copied %d blobs (%s) in %s: %s transferred", s.done, bytesHuman(s.doneBytes), durationHuman(s.elapsed), bytesHuman(s.net))
	if s.cached > 0 {
		fmt.Fprintf(&sb, ", %s reused from the blob cache", bytesHuman(s.cached))
	}
	fmt.Fprintf(&sb, "; %d already present", s.skipped)
	if s.present > 0 {
		fmt.Fprintf(&sb, " (%s)", bytesHuman(s.present))
	}
	return sb.String()
}

// totalLine renders "120.0 MiB / 1.0 GiB (12%), 15.2 MiB/s, ETA 58s".
func totalLine(s summary) string {
	pct := 0
	if s.total > 0 {
		pct = int(100 * s.have / s.total)
	}
	return fmt.Sprintf("%s / %s (%d%%), %s, ETA %s",
		bytesHuman(s.have), bytesHuman(s.total), pct, rateHuman(s.rate), durationHuman(s.eta()))
}

// rateHuman is a rate, or "waiting" before any byte has arrived.
func rateHuman(r float64) string {
	if r <= 0 {
		return "waiting"
	}
	return bytesHuman(int64(r)) + "/s"
}

package copier

import (
	"github.com/ferrytool/ferry/progress"
	"github.com/ferrytool/ferry/transport"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// step reports that the copy reached step s (List for the index's own
// step), as skopeo announces its stages.
func (c *job) step(s progress.Step, list bool) {
	c.report(progress.Event{Kind: progress.ImageStep, Step: s, List: list})
}

// queue reports every blob the plan will handle, before any moves, so that
// renderers know the total from the start (a destination taking blobs one
// at a time otherwise shows only the blobs begun so far), and announces
// the copy's first steps.
func (c *job) queue(p *copyPlan) {
	if p.r.index != nil {
		c.step(progress.StepSignatures, true)
		c.report(progress.Event{Kind: progress.ImageStep, Step: progress.StepInstances,
			Index: len(p.images), Count: len(p.r.index.Manifests)})
	}
	for _, ip := range p.images {
		for _, j := range ip.jobs {
			c.report(progress.Event{Kind: progress.Queued, Descriptor: j.d, Instance: j.instance})
		}
	}
}

// startInstance announces the copy of image i of n in an index (n 0 for a
// copy of a single image).
func (c *job) startInstance(ip *imagePlan, i, n int) {
	if n > 0 {
		d := ocispec.Descriptor{MediaType: ip.img.MediaType, Digest: ip.img.Digest, Size: int64(len(ip.img.Manifest))}
		c.report(progress.Event{Kind: progress.ImageStep, Step: progress.StepInstance, Descriptor: d, Index: i + 1, Count: n})
	}
	c.step(progress.StepSignatures, false)
}

// committing reports that the destination is committing: the step that
// can take minutes (the Docker daemon importing the image) with nothing
// else to show.
func (c *job) committing() {
	c.report(progress.Event{Kind: progress.ImageStep, Step: progress.StepCommit, Detail: transport.FullName(c.dstRef)})
}

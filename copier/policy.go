package copier

import (
	"context"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// Policy decides whether an image may be copied: the hook where a trust
// policy (containers-policy.json, signature verification) plugs in. The
// copier owns the interface and imports no crypto; verifiers live with
// the implementation.
//
// Check is called once per image manifest the copy writes (each instance
// of an index, as skopeo checks them; the index itself when the copy
// writes the index alone), after the source's manifests and signatures
// are read and before any blob is read or the destination is opened, so a
// refusal leaves the destination untouched. A source read once, front to
// back (an archive on stdin), is the exception only with a policy that
// accepts every image of it blindly (AnyImagePolicy): otherwise it is
// spooled by the source so that the check still comes first.
//
// A non-nil error refuses the copy; Copy returns it inside a
// *RejectedError.
type Policy interface {
	Check(ctx context.Context, src transport.Reference, img Instance) error
}

// PolicyFunc adapts a function to Policy.
type PolicyFunc func(ctx context.Context, src transport.Reference, img Instance) error

// Check calls f.
func (f PolicyFunc) Check(ctx context.Context, src transport.Reference, img Instance) error {
	return f(ctx, src, img)
}

// AnyImagePolicy is implemented by a Policy that can tell from the source
// reference alone that it accepts every image there (policy.json's
// insecureAcceptAnything). For such a source the copier may stream a
// read-once archive straight into the destination, checking only once
// the manifest has gone by; without it the archive is spooled first.
type AnyImagePolicy interface {
	AcceptsAnyImage(src transport.Reference) bool
}

// Instance is one manifest resolved from the source, as the policy sees it.
type Instance struct {
	// Digest is the digest of Manifest.
	Digest    digest.Digest
	MediaType string
	// Manifest is the manifest exactly as the source stores it.
	Manifest []byte
	// Signatures are the signatures the source stores for this manifest,
	// unverified and opaque to the copier (see transport.SignatureSource);
	// nil when it has none or cannot list them.
	Signatures [][]byte
	// SourceOptions are the options the source was opened with, so a
	// policy can read what is stored beside the image in its repository
	// (Sigstore bundles attached as OCI referrers).
	SourceOptions *transport.Options
}

// RejectedError is returned when the Policy refuses an image. It wraps the
// policy's reason and errdefs.ErrRejected (itself an errdefs.ErrDenied).
type RejectedError struct {
	Err error
}

// Error words it as skopeo does.
func (e *RejectedError) Error() string { return "Source image rejected: " + e.Err.Error() }

// Unwrap returns the policy's reason and errdefs.ErrRejected.
func (e *RejectedError) Unwrap() []error { return []error{e.Err, errdefs.ErrRejected} }

// check runs the policy over what the copy will write.
func (c *job) check(ctx context.Context, r *resolved) error {
	if c.o.Policy == nil {
		return nil
	}
	subjects := r.images
	if len(subjects) == 0 {
		subjects = []Instance{r.top} // the index alone (IndexOnly)
	}
	for _, img := range subjects {
		img.SourceOptions = &c.o.Source
		if err := c.o.Policy.Check(ctx, c.srcRef, img); err != nil {
			return &RejectedError{Err: err}
		}
	}
	return nil
}

// blindPolicy reports whether the policy accepts any image of the source
// without looking, so a read-once source may be streamed.
func (c *job) blindPolicy() bool {
	if c.o.Policy == nil {
		return true
	}
	a, ok := c.o.Policy.(AnyImagePolicy)
	return ok && a.AcceptsAnyImage(c.srcRef)
}

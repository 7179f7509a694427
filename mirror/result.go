package mirror

import (
	"context"
	"errors"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
)

// Status is what happened to one image.
type Status string

const (
	// Copied: the image was written to the destination.
	Copied Status = "copied"
	// Skipped: the destination already held it; nothing was written.
	Skipped Status = "skipped"
	// Failed: the image (or its repository's listing) failed; the
	// destination is as it was.
	Failed Status = "failed"
)

// Result is one image's outcome, shaped for --report's JSON lines.
type Result struct {
	// Source and Destination are full image names ("docker://...",
	// "oci:/srv/mirror:alpine:3.20"); Destination is empty for a
	// repository that could not be listed.
	Source      string `json:"source"`
	Destination string `json:"destination,omitempty"`
	// Repository is the source repository (see Image.Repository).
	Repository string        `json:"repository"`
	Status     Status        `json:"status"`
	Digest     digest.Digest `json:"digest,omitempty"`
	// Bytes counts the blob bytes moved to the destination.
	Bytes int64 `json:"bytes"`
	// ErrorClass names the kind of failure (see ErrorClass); Error is its
	// message.
	ErrorClass string `json:"errorClass,omitempty"`
	Error      string `json:"error,omitempty"`
	// Err is the failure itself.
	Err error `json:"-"`
}

// Summary is what a Run did, image by image in plan order.
type Summary struct {
	Results                 []Result
	Copied, Skipped, Failed int
}

func (s *Summary) add(r Result) {
	s.Results = append(s.Results, r)
	switch r.Status {
	case Copied:
		s.Copied++
	case Skipped:
		s.Skipped++
	case Failed:
		s.Failed++
	}
}

// errorClasses maps the error vocabulary to the names a report uses.
var errorClasses = []struct {
	err   error
	class string
}{
	{context.Canceled, "canceled"},
	{context.DeadlineExceeded, "timeout"},
	{errdefs.ErrNotFound, "not-found"},
	{errdefs.ErrUnauthorized, "unauthorized"},
	{errdefs.ErrDenied, "denied"},
	{errdefs.ErrDigestMismatch, "digest-mismatch"},
	{errdefs.ErrSizeMismatch, "size-mismatch"},
	{errdefs.ErrInvalidReference, "invalid-reference"},
	{errdefs.ErrNotSupported, "not-supported"},
	{errdefs.ErrInvalidArgument, "invalid-argument"},
	{errdefs.ErrTooManyRequests, "too-many-requests"},
	{errdefs.ErrUnavailable, "unavailable"},
	{errdefs.ErrInvalidManifest, "invalid-manifest"},
	{errdefs.ErrInvalidArchive, "invalid-archive"},
	{errdefs.ErrUntrustedCertificate, "untrusted-certificate"},
}

// ErrorClass names err's kind for a report: "rejected" for a trust
// policy's refusal, else the errdefs sentinel it wraps ("not-found",
// "unauthorized", "unavailable", ...), "other" when none.
func ErrorClass(err error) string {
	var rej *copier.RejectedError
	if errors.As(err, &rej) {
		return "rejected"
	}
	for _, c := range errorClasses {
		if errors.Is(err, c.err) {
			return c.class
		}
	}
	return "other"
}

func failedResult(repo, src string, err error) Result {
	return Result{Source: src, Repository: repo, Status: Failed, ErrorClass: ErrorClass(err), Error: err.Error(), Err: err}
}

package errdefs

import (
	"context"
	"errors"
)

// permanentKinds are the sentinels a new attempt cannot change: the thing
// is not there, access is refused, the input or the content is wrong, or
// ferry cannot do it.
var permanentKinds = []error{
	ErrNotFound, ErrUnauthorized, ErrDenied,
	ErrInvalidArgument, ErrInvalidReference, ErrNotSupported,
	ErrInvalidManifest, ErrInvalidArchive, ErrDigestMismatch, ErrSizeMismatch,
	context.Canceled, context.DeadlineExceeded,
}

// permanentError marks a failure outside the vocabulary that no retry
// cures (see Permanent).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one no new attempt can cure, such as a full disk,
// a certificate nobody trusts or a redirect to file://, so that every retry
// loop gives up at once. errors.Is and errors.As still see through it.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent is ferry's one rule for "do not retry": err wraps one of the
// sentinels of a failure that does not go away (not found, unauthorized,
// denied, invalid input or content, not supported), a cancelled or expired
// context, or was marked with Permanent. Everything else (429, 5xx, a
// connection refused, reset or stalled) may succeed on another attempt.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	var p *permanentError
	if errors.As(err, &p) {
		return true
	}
	for _, k := range permanentKinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

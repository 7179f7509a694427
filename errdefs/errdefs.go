// Package errdefs is ferry's one error vocabulary. Every package wraps these
// sentinels with %w so that callers, and the CLI's exit codes, can tell
// kinds of failure apart with errors.Is.
package errdefs

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound: the image, tag, manifest or blob does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized: credentials are missing or were refused.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrDenied: the credentials were accepted but do not allow the operation.
	ErrDenied = errors.New("access denied")
	// ErrDigestMismatch: content did not hash to the digest it was fetched by.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrSizeMismatch: content was longer or shorter than its descriptor said.
	ErrSizeMismatch = errors.New("size mismatch")
	// ErrInvalidReference: an image name that cannot be parsed.
	ErrInvalidReference = errors.New("invalid image name")
	// ErrNotSupported: a transport, media type or operation ferry does not (yet) handle.
	ErrNotSupported = errors.New("not supported")
	// ErrInvalidArgument: a flag or option value that makes no sense.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrTooManyRequests: the server rate-limited us and retries ran out.
	ErrTooManyRequests = errors.New("too many requests")
	// ErrUnavailable: the server answered 5xx or could not be reached.
	ErrUnavailable = errors.New("service unavailable")
	// ErrInvalidManifest: bytes that do not parse as the manifest they claim to be.
	ErrInvalidManifest = errors.New("invalid manifest")
	// ErrInvalidArchive: an archive that is truncated, malformed or unsafe.
	ErrInvalidArchive = errors.New("invalid archive")
	// ErrRejected: the trust policy (policy.json, or a caller's own check)
	// refused the image. It wraps ErrDenied, so a refusal matches both.
	ErrRejected = fmt.Errorf("%w: rejected by the trust policy", ErrDenied)
	// ErrUntrustedCertificate: a server's TLS certificate did not verify
	// against the trusted CAs (and verification was not turned off).
	ErrUntrustedCertificate = errors.New("certificate not trusted")
)

// IsNotFound reports whether err means that something does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

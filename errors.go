package ferry

import "github.com/ferrytool/ferry/errdefs"

// Errors returned by ferry wrap one of these (with %w), so callers tell
// kinds of failure apart with errors.Is, whatever the transport:
//
//	if errors.Is(err, ferry.ErrNotFound) { ... }
//
// They are the sentinels of package errdefs, which every package of
// ferry wraps, so errors from anywhere in ferry match them.
var (
	// ErrNotFound: the image, tag, manifest or blob does not exist.
	ErrNotFound = errdefs.ErrNotFound
	// ErrUnauthorized: credentials are missing or were refused.
	ErrUnauthorized = errdefs.ErrUnauthorized
	// ErrDenied: the credentials were accepted but do not allow the
	// operation, or a signature or policy refused the image.
	ErrDenied = errdefs.ErrDenied
	// ErrRejected: the trust policy (WithPolicy, WithPolicyCheck) refused
	// the image; nothing was written. It also matches ErrDenied.
	ErrRejected = errdefs.ErrRejected
	// ErrInvalidName: an image name that does not parse.
	ErrInvalidName = errdefs.ErrInvalidReference
	// ErrInvalidArgument: an option value, or a combination of options,
	// that makes no sense.
	ErrInvalidArgument = errdefs.ErrInvalidArgument
	// ErrUnsupported: a transport, media type or operation ferry does not
	// handle.
	ErrUnsupported = errdefs.ErrNotSupported
	// ErrDigestMismatch: content did not hash to the digest it was
	// fetched by (a corrupt or tampered blob); nothing was written.
	ErrDigestMismatch = errdefs.ErrDigestMismatch
	// ErrUnavailable: the server answered 5xx or could not be reached,
	// and retries (WithRetry) ran out.
	ErrUnavailable = errdefs.ErrUnavailable
	// ErrTooManyRequests: the server rate-limited the requests and
	// retries ran out.
	ErrTooManyRequests = errdefs.ErrTooManyRequests
	// ErrUntrustedCertificate: a registry's TLS certificate did not
	// verify (see WithCertDir, WithInsecure).
	ErrUntrustedCertificate = errdefs.ErrUntrustedCertificate
)

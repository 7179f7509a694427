// Package fetch downloads blobs the way slow, throttled or flaky links need:
// a large blob is split into closed byte ranges (RFC 9110 section 14.2,
// "Range") fetched over several connections at once and written in place
// into a partial file, hashed once as its contiguous prefix grows, and
// verified against digest and size before it is published under its digest
// in a cache directory.
//
// Partial blobs survive the process: a small sidecar next to each one
// records the byte ranges already written and fsynced, and the marshalled
// hash state of the verified prefix, so a later run (after a crash, Ctrl-C
// or SIGKILL) fetches only what is missing and re-hashes nothing. A
// connection that breaks or stalls mid-body (delivers less than 1 KiB in
// the stall window: a trickle is a stall) continues from its last byte, on
// ranged downloads and streams alike; 429 and 5xx are retried with backoff
// honouring Retry-After up to a cap (a longer wait fails at once, saying
// so); permanent failures (errdefs.IsPermanent: 401, 403, 404, a digest
// mismatch) and refused connections fail at once.
//
// A large blob starts on one request for all of it. Ranges are added only
// when the link probe finds that connection slow: it delivers less than a
// bar (32 MiB/s) per second the reader spends waiting on it, evidence
// that holds on a busy machine, where a reader short of CPU finds the
// bytes already there (see linkMeter). On a fast link each blob is one
// GET, written and hashed in one pass.
//
// Connections to one host share a budget across every blob of a Fetcher.
// A freed connection goes first to a small blob (one below the threshold,
// fetched in one request: on a slow link it must not wait behind the large
// blobs' ranges), then to the blob with the most bytes nobody is fetching
// yet, so the largest blobs start early; within a blob a
// connection that finishes its range takes the next one, and near the end
// splits the largest range still in flight so no connection idles.
//
// The package prints nothing: it logs through a *slog.Logger and reports
// progress.Advanced events through a progress.Reporter, both optional: every
// byte of a blob it hands back is reported, those taken from its cache (a
// resumed partial blob, a blob an earlier run fetched) marked Cached.
package fetch

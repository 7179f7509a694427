// Package serve serves an OCI image layout, an oci-archive or a
// docker-archive as a registry speaking the OCI distribution spec 1.1
// (https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md):
// pulls (manifests by tag and digest, blobs with ranges), pushes
// (monolithic, chunked and streamed uploads, cross-repository mounts),
// tag lists and the catalog with pagination, deletes, and the referrers
// API.
//
// Repositories are ref names. An image named REPO:TAG in the layout's
// index.json (org.opencontainers.image.ref.name, as `ferry copy ...
// oci:PATH:REPO:TAG` writes it) is tag TAG of repository REPO; a name
// with no repository part (skopeo's oci:PATH:TAG) is a tag of every
// repository; an entry with no name (a manifest pushed by digest, a
// referrer copied with --referrers) belongs to every repository too. A
// manifest is served by digest in a repository when one of that
// repository's entries reaches it (an index's instances included); blobs
// are one store for the whole layout, as in the layout itself.
//
// A layout is served read-write unless told otherwise. Pushes follow the
// layout's rules (see internal/ocilayout): a blob gets its name only
// once verified, index.json is replaced atomically under the layout's
// lock, and the blobs the server stores are recorded in its journal, so
// that a `ferry copy` into the same layout at the same time is safe and a
// server killed midway leaves a valid layout whose next writer takes back
// what it left. Archives are served read-only, from the tar file itself:
// blobs are read at their offset, nothing is extracted.
//
// The package prints nothing: it logs through the *slog.Logger it is
// given. TLS, connection limits and shutdown belong to the caller's
// http.Server; BasicAuth and AccessLog are middleware for it.
package serve

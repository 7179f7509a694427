// Package ferry copies, inspects and deletes container images without a
// daemon: the library behind the ferry command, which does skopeo's job.
// Every command of the CLI runs through this package.
//
// # Copy an image in three lines
//
//	res, err := ferry.Copy(ctx, "docker://nginx:1.27", "docker-archive:/tmp/nginx.tar")
//	if err != nil { ... }
//	fmt.Println(res.Digest)
//
// # Names
//
// An image is named as skopeo users type it: TRANSPORT:DETAILS. The
// transport says what kind of place holds the image, the details where in
// it:
//
//	docker://HOST/REPO[:TAG|@DIGEST]  an image in a registry ("docker://nginx" is docker.io/library/nginx:latest)
//	oci:PATH[:REF]                    an image in an OCI layout directory
//	oci-archive:PATH[:REF]            an OCI layout in a tar file
//	docker-archive:PATH[:NAME:TAG]    a `docker save` tar file
//	dir:PATH                          a directory of manifest and blobs
//	docker-daemon:NAME:TAG            an image in the Docker Engine
//	containers-storage:NAME:TAG       an image in podman's storage
//	tarball:FILE                      layer tarballs (a source only)
//
// Every operation takes names as strings. [ParseReference] checks a name
// and takes it apart, for programs that want that before using it;
// [Transports] lists the transport names. A name that does not parse is
// an error matching [ErrInvalidName]. An archive named "-" is read from
// [WithStdin]'s reader or written to [WithStdout]'s writer.
//
// # Sources, destinations and the copy
//
// [Copy] reads the image its source names and writes it where its
// destination names, in any pair of transports: registry to archive,
// archive to registry, layout to daemon. It reads the source's manifest
// (for a multi-platform index, the image for the host's platform, or
// [WithPlatform]'s, unless [WithAllPlatforms], [WithPlatforms] or
// [WithIndexOnly] says otherwise), checks it against the trust policy if
// one is given ([WithPolicy]), then moves the blobs the destination lacks,
// several at once ([WithConcurrency]), verifying each digest and size as
// it arrives. Signatures travel with the image. Nothing is visible at the
// destination until the copy has finished, and a failed copy leaves the
// destination as it was. The [Result] says what was written, including
// the digest skopeo's --digestfile records.
//
// [Sync] copies many images at once, as skopeo sync does: every tag of a
// repository, a tree of dir: images or the images skopeo's YAML file
// lists ("yaml:mirror.yaml"), to a registry namespace, a directory or one
// OCI layout, skipping those the destination already holds.
// [Client.PlanSync] makes the list first, for a dry run or a look before
// [SyncPlan.Run]. [SyncOptions] holds what only a sync has; the options
// below apply to every image it copies.
//
// [Inspect] describes an image as skopeo inspect does; [Client.Manifest],
// [Client.Config] and [Client.RawConfig] return its manifest and
// configuration. [ListTags] lists a repository's tags, [Delete] deletes an
// image from a registry and [Client.Untag] just one of its tags.
// [ManifestDigest], [StandaloneSign] and [StandaloneVerify] work on
// manifest and signature files without any image. [Client.Login] checks
// and stores a registry login where skopeo and podman keep theirs,
// [Client.Logout] removes it.
//
// # Clients and options
//
// The package-level functions each make a short-lived [Client]. A program
// that runs several operations makes one with [NewClient] and uses it for
// all of them, concurrently if it likes: the client pings each registry,
// looks up its credentials and obtains its tokens once.
//
// Options have defaults that need no setting for the common case, and one
// place each: credentials ([WithCredentials], [WithRegistryToken],
// [WithAnonymous], [WithAuthFile]; by default looked up as skopeo does, in
// auth.json, Docker's config.json and credential helpers), TLS
// ([WithInsecure], [WithCertDir]), platform, trust policy ([WithPolicy],
// [WithPolicyCheck], [WithSigners]), progress ([WithProgress]), logging
// ([WithLogger]; silent by default) and concurrency. Options given to
// NewClient apply to all its calls; options given to a call add to them.
// Where a copy's two sides need different settings, as with skopeo's
// --src-creds and --dest-creds, [Source] and [Destination] scope options
// to one side.
//
// # containers-storage
//
// A program opens containers-storage: images (podman's store) only when
// it asks to, with [WithContainersStorage] and the backend from package
// [github.com/ferrytool/ferry/transport/storage/store]; without it, such
// a name parses but opening it fails with [ErrUnsupported]. Only that
// package builds in the containers project's storage library (with cgo
// on, its btrfs driver needs the btrfs C headers). A program that writes
// to a store calls store.Init first thing in main and returns when it
// reports true: the store applies layers in a re-executed copy of the
// program. The ferry command does both.
//
//	func main() {
//		if store.Init() {
//			return
//		}
//		c, err := ferry.NewClient(ferry.WithContainersStorage(store.Backend))
//		...
//	}
//
// The library prints nothing, reads no standard input, never exits the
// process and keeps no global state; ctx cancels any operation.
//
// # Errors
//
// Errors wrap a small published set, matched with errors.Is whatever the
// transport: [ErrNotFound], [ErrUnauthorized], [ErrDenied], [ErrRejected]
// (by the trust policy), [ErrInvalidName], [ErrInvalidArgument],
// [ErrUnsupported], [ErrDigestMismatch], [ErrUnavailable],
// [ErrTooManyRequests], [ErrUntrustedCertificate].
//
// # Below the front door
//
// The packages this one is built on are importable for what it does not
// cover: [github.com/ferrytool/ferry/transports] (every transport,
// configured), [github.com/ferrytool/ferry/copier] (the copy engine),
// [github.com/ferrytool/ferry/mirror] (the sync engine),
// [github.com/ferrytool/ferry/registry] (a distribution-spec client),
// [github.com/ferrytool/ferry/policy] (containers-policy.json) and
// [github.com/ferrytool/ferry/signature] (simple signing). Their API may
// change in any release; this package's follows semantic versioning
// (CHANGELOG.md).
package ferry

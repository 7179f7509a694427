// Package store reads and writes the containers-storage: transport's
// images: podman's, buildah's and CRI-O's store, through the containers
// project's own library (go.podman.io/storage), which keeps the store's
// locks and JSON files. A Go program opts in to it with
// ferry.WithContainersStorage(store.Backend) (or transports.Config's
// Storage); the ferry command always does. Without it, package
// transport/storage parses the names and refuses to open them, and the
// library (with, under cgo, its btrfs driver's C headers) is not built in.
//
// Images are stored as containers/image stores them (layer IDs, data
// item keys, signature metadata: see bigdata.go and commit.go), so that
// podman and skopeo read what ferry writes, and the reverse. Only root
// can open a store: a user runs ferry in podman's user namespace
// (podman unshare), which podman's tools enter by re-executing
// themselves with cgo. A program that writes to a store calls Init first
// thing in main.
package store

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/storage"
)

// Backend opens containers-storage: references in their store.
var Backend storage.Backend = backend{}

type backend struct{}

func (backend) NewSource(ctx context.Context, r *storage.Reference, o *transport.Options) (transport.Source, error) {
	return newSource(ctx, r, o)
}

func (backend) NewDestination(ctx context.Context, r *storage.Reference, o *transport.Options) (transport.Destination, error) {
	return newDestination(ctx, r, o)
}

// DeleteImage removes the image r names, with all its names, and the
// layers no other image or container uses, as skopeo delete does.
func (backend) DeleteImage(ctx context.Context, r *storage.Reference, o *transport.Options) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	st, err := openStore(r.Store, o.Log())
	if err != nil {
		return err
	}
	defer st.release()
	img, err := resolve(st, r)
	if err != nil {
		return err
	}
	defer waiting(o.Log(), "deleting the image", st.GraphRoot())()
	if _, err := st.DeleteImage(img.ID, true); err != nil {
		return fmt.Errorf("containers-storage:%s: deleting image %s: %w", r.String(), img.ID, err)
	}
	return nil
}

package store

import (
	"errors"
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport/storage"
	cstorage "go.podman.io/storage"
)

// resolve finds the image r names, as containers/image does: by the
// full name (with its tag or digest) among the images' names; for a
// digested name, by an image of that repository stored with a manifest
// of that digest; by ID. A name and an ID must agree.
func resolve(st cstorage.Store, r *storage.Reference) (*cstorage.Image, error) {
	notFound := fmt.Errorf("%w: containers-storage:%s: no such image in the store", errdefs.ErrNotFound, r.String())
	if r.Named != nil {
		img, err := byName(st, r.Named)
		if err != nil {
			return nil, err
		}
		if img != nil && (r.ID == "" || img.ID == r.ID) {
			return img, nil
		}
		if r.ID == "" {
			return nil, notFound
		}
	}
	img, err := st.Image(r.ID)
	if errors.Is(err, cstorage.ErrImageUnknown) || err == nil && img.ID != r.ID {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("containers-storage:%s: %w", r.String(), err)
	}
	return img, nil
}

// byName finds the image carrying name, or stored from a manifest with
// name's digest under name's repository; nil when none does.
func byName(st cstorage.Store, name reference.Named) (*cstorage.Image, error) {
	img, err := st.Image(name.String())
	if err == nil && hasName(img, name.String()) {
		return img, nil
	}
	if err != nil && !errors.Is(err, cstorage.ErrImageUnknown) {
		return nil, fmt.Errorf("containers-storage:%s: %w", name, err)
	}
	d := reference.Digest(name)
	if d == "" {
		return nil, nil
	}
	imgs, err := st.ImagesByDigest(d)
	if err != nil && !errors.Is(err, cstorage.ErrImageUnknown) {
		return nil, fmt.Errorf("containers-storage:%s: %w", name, err)
	}
	repo := reference.TrimNamed(name).String()
	for _, img := range imgs {
		for _, n := range img.Names {
			if m, err := reference.ParseNamed(n, false); err == nil && reference.TrimNamed(m).String() == repo {
				return img, nil
			}
		}
	}
	return nil, nil
}

func hasName(img *cstorage.Image, name string) bool {
	for _, n := range img.Names {
		if n == name {
			return true
		}
	}
	return false
}

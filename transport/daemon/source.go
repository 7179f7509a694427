package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"

	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dockerarchive"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// source reads an image through the Engine's export (GET
// /images/{name}/get), a `docker save` tar stream, with the docker-archive
// stream reader: the copier can take each layer as it streams past, and
// only a copier that needs random access makes it spool to TmpDir.
type source struct {
	transport.Source
	c *client
}

// sourceWithStream is a source whose archive reader can stream; every
// daemon source is one (the export is a one-shot stream).
type sourceWithStream struct {
	*source
	transport.StreamSource
}

func newSource(ctx context.Context, r *Reference, o *transport.Options) (transport.Source, error) {
	c, err := newClient(r.config().Host)
	if err != nil {
		return nil, err
	}
	name := r.ID.String()
	if r.Named != nil {
		name = reference.Familiar(r.Named)
	}
	full := "docker-daemon:" + name
	// Resolve the name to an image ID first: a missing image is a clean
	// ErrNotFound, and the export cannot pick up a tag moved meanwhile.
	resp, err := c.do(ctx, "GET", "/images/"+url.PathEscape(name)+"/json", nil, nil, "")
	if err != nil {
		c.close()
		return nil, fmt.Errorf("%s: %w", full, err)
	}
	var img struct {
		ID string `json:"Id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&img)
	resp.Body.Close()
	if err != nil || img.ID == "" {
		c.close()
		return nil, fmt.Errorf("%s: reading the image's inspect data: %v", full, err)
	}
	open := func(ctx context.Context) (io.ReadCloser, error) {
		resp, err := c.do(ctx, "GET", "/images/"+url.PathEscape(img.ID)+"/get", nil, nil, "")
		if err != nil {
			return nil, err
		}
		return resp.Body, nil
	}
	inner := dockerarchive.NewStreamSource(full, open, o)
	s := &source{Source: inner, c: c}
	if ss, ok := inner.(transport.StreamSource); ok {
		return sourceWithStream{s, ss}, nil
	}
	return s, nil
}

// Close releases the export stream, any spool and idle connections.
func (s *source) Close() error {
	err := s.Source.Close()
	s.c.close()
	return err
}

// ServesPlain tells the copier which layers the docker-archive reader
// serves uncompressed though the manifest it synthesized (skopeo's) calls
// them gzip.
func (s *source) ServesPlain(d ocispec.Descriptor) bool {
	ps, ok := s.Source.(interface{ ServesPlain(ocispec.Descriptor) bool })
	return ok && ps.ServesPlain(d)
}

// TakesConvertedBlobs: the manifest the stream returns names the layers
// as put stored them, so the copier may compress them as they pass.
func (s sourceWithStream) TakesConvertedBlobs() {}

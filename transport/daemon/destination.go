package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/dockerarchive"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// destination loads an image into the Engine (POST /images/load) by
// writing a docker-archive into the request body through a pipe as the
// blobs arrive: no temporary file, and layers keep their compression
// (the Engine detects it). The Engine loads nothing from a tar that ends
// early, so Close without Commit aborts the upload and leaves the daemon
// as it was.
type destination struct {
	transport.Destination // the docker-archive writer
	name                  string
	c                     *client
	pw                    *io.PipeWriter
	cancel                context.CancelFunc

	once sync.Once
	done chan struct{} // closed when the request has finished
	resp loadResult
}

type loadResult struct {
	loaded []string
	err    error
}

var (
	errAborted = errors.New("the copy was abandoned before it finished")

	_ transport.Destination          = (*destination)(nil)
	_ transport.StreamingDestination = (*destination)(nil)
)

func newDestination(ctx context.Context, r *Reference, o *transport.Options) (transport.Destination, error) {
	c, err := newClient(r.config().Host)
	if err != nil {
		return nil, err
	}
	name := "docker-daemon:" + r.String()
	var opts []dockerarchive.DestinationOption
	api, err := c.apiVersion(ctx)
	if err != nil {
		c.close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !api.atLeast(1, 42) { // Docker 23 learned to load zstd layers
		opts = append(opts, dockerarchive.WithoutZstd())
	}
	extra, err := dockerarchive.ParseAdditionalTags(r.config().AdditionalTags)
	if err != nil {
		c.close()
		return nil, err
	}
	pr, pw := io.Pipe()
	archive, err := dockerarchive.NewStreamDestination(name, pw, append([]reference.Named{r.Named}, extra...), o, opts...)
	if err != nil {
		c.close()
		return nil, err
	}
	// The request outlives NewDestination: it runs until Commit or Close.
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d := &destination{Destination: archive, name: name, c: c, pw: pw, cancel: cancel, done: make(chan struct{})}
	go func() {
		d.resp = load(rctx, c, pr)
		close(d.done)
		// Writes fail at once if the Engine stopped reading.
		pr.CloseWithError(fmt.Errorf("%w: the Docker daemon stopped reading the image", errdefs.ErrUnavailable))
	}()
	return d, nil
}

// load sends the archive and reads the Engine's JSON message stream,
// which reports a failure as {"error": ..., "errorDetail": {...}} even
// after a 200 status.
func load(ctx context.Context, c *client, body io.Reader) loadResult {
	resp, err := c.do(ctx, "POST", "/images/load", url.Values{"quiet": {"1"}}, body, "application/x-tar")
	if err != nil {
		return loadResult{err: err}
	}
	defer resp.Body.Close()
	var res loadResult
	dec := json.NewDecoder(resp.Body)
	for {
		var msg struct {
			Stream      string `json:"stream"`
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			return res
		} else if err != nil {
			return loadResult{err: fmt.Errorf("%w: reading the Docker daemon's answer: %v", errdefs.ErrUnavailable, err)}
		}
		if m := msg.ErrorDetail.Message; m != "" || msg.Error != "" {
			if m == "" {
				m = msg.Error
			}
			return loadResult{err: fmt.Errorf("%w: the Docker daemon refused the image: %s", errdefs.ErrInvalidArchive, m)}
		}
		if s := strings.TrimSpace(msg.Stream); s != "" {
			res.loaded = append(res.loaded, s)
		}
	}
}

// Capabilities: those of the docker-archive writer; the Engine stores its
// own form of the image, so digests do not survive (KeepsDigests false).
func (d *destination) Capabilities() transport.Capabilities {
	caps := d.Destination.Capabilities()
	caps.KeepsDigests = false
	return caps
}

// watch aborts the upload if ctx ends while a call blocks on the Engine
// reading the pipe; the returned func stops watching.
func (d *destination) watch(ctx context.Context) func() bool {
	return context.AfterFunc(ctx, func() { d.abortAsync(ctx.Err()) })
}

// PutBlob streams a blob into the upload.
func (d *destination) PutBlob(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	defer d.watch(ctx)()
	if err := d.Destination.PutBlob(ctx, desc, r); err != nil {
		return d.failure(err)
	}
	return nil
}

// PutBlobStream streams a blob of unknown digest into the upload.
func (d *destination) PutBlobStream(ctx context.Context, mediaType string, r io.Reader) (ocispec.Descriptor, error) {
	defer d.watch(ctx)()
	got, err := d.Destination.(transport.StreamingDestination).PutBlobStream(ctx, mediaType, r)
	if err != nil {
		return got, d.failure(err)
	}
	return got, nil
}

// Commit ends the archive and waits for the Engine to load it.
func (d *destination) Commit(ctx context.Context) error {
	defer d.watch(ctx)()
	if err := d.Destination.Commit(ctx); err != nil {
		d.abort(err)
		return d.failure(err)
	}
	d.pw.Close()
	select {
	case <-d.done:
	case <-ctx.Done():
		d.abort(ctx.Err())
		return ctx.Err()
	}
	if d.resp.err != nil {
		return fmt.Errorf("%s: %w", d.name, d.resp.err)
	}
	return nil
}

// failure prefers the Engine's own error when writing failed because it
// stopped reading.
func (d *destination) failure(err error) error {
	select {
	case <-d.done:
		if d.resp.err != nil {
			return fmt.Errorf("%s: %w", d.name, d.resp.err)
		}
	default:
	}
	return err
}

// abort stops the upload (the Engine sees a truncated tar and loads
// nothing) and waits for the request to end.
func (d *destination) abort(err error) {
	d.abortAsync(err)
	<-d.done
}

func (d *destination) abortAsync(err error) {
	d.once.Do(func() {
		d.pw.CloseWithError(err)
		d.cancel()
	})
}

// Close abandons an upload not committed and releases the connection.
func (d *destination) Close() error {
	d.Destination.Close()
	d.abort(errAborted)
	d.c.close()
	return nil
}

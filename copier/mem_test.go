package copier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// memRef is an in-memory place for engine tests: a source serving a
// testimage.Source, or a destination recording what it was given. The
// transports' own tests and the end-to-end tests use real layouts and a
// real registry; this one exercises the engine's decisions in isolation.
type memRef struct {
	src  transport.Source
	dst  *memDest
	name string
}

type memTransport struct{}

func (memTransport) Name() string { return "mem" }
func (memTransport) ParseReference(string) (transport.Reference, error) {
	return nil, errdefs.ErrNotSupported
}

func (r *memRef) Transport() transport.Transport   { return memTransport{} }
func (r *memRef) String() string                   { return r.name }
func (r *memRef) DockerReference() reference.Named { return nil }
func (r *memRef) NewSource(context.Context, *transport.Options) (transport.Source, error) {
	return r.src, nil
}
func (r *memRef) NewDestination(context.Context, *transport.Options) (transport.Destination, error) {
	r.dst.reset()
	return r.dst, nil
}

type memDest struct {
	caps transport.Capabilities
	// failBlob makes PutBlob fail for the named digest (a fault injection).
	failBlob digest.Digest
	// refuse makes PutManifest refuse this media type, as a registry
	// without OCI support does.
	refuse string
	// onPut, when set, is told +1 when a PutBlob starts and -1 when it ends.
	onPut func(delta int64)

	mu        sync.Mutex
	pending   map[digest.Digest][]byte
	blobs     map[digest.Digest][]byte // committed
	manifests map[digest.Digest][]byte
	top       []byte
	topType   string
	puts      int
	committed bool
	inFlight  int
	maxFlight int
}

func newMemDest() *memDest {
	return &memDest{blobs: map[digest.Digest][]byte{}}
}

func (m *memDest) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending = map[digest.Digest][]byte{}
	m.manifests = map[digest.Digest][]byte{}
	m.top, m.topType, m.committed = nil, "", false
}

func (m *memDest) Capabilities() transport.Capabilities { return m.caps }

func (m *memDest) HasBlob(_ context.Context, d ocispec.Descriptor) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.blobs[d.Digest]
	return ok, nil
}

func (m *memDest) PutBlob(_ context.Context, d ocispec.Descriptor, r io.Reader) error {
	m.mu.Lock()
	m.inFlight++
	m.maxFlight = max(m.maxFlight, m.inFlight)
	m.puts++
	m.mu.Unlock()
	if m.onPut != nil {
		m.onPut(1)
		defer m.onPut(-1)
	}
	defer func() { m.mu.Lock(); m.inFlight--; m.mu.Unlock() }()
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if d.Digest == m.failBlob {
		return fmt.Errorf("injected failure for %s", d.Digest)
	}
	m.mu.Lock()
	m.pending[d.Digest] = b
	m.mu.Unlock()
	return nil
}

func (m *memDest) PutManifest(_ context.Context, b []byte, mt string, instance *digest.Digest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if mt == m.refuse {
		return &transport.ManifestTypeError{MediaType: mt, Err: errors.New("415 unsupported media type")}
	}
	if instance != nil {
		if digest.FromBytes(b) != *instance {
			return fmt.Errorf("instance digest %s does not match its bytes", *instance)
		}
		m.manifests[*instance] = b
		return nil
	}
	m.top, m.topType = bytes.Clone(b), mt
	return nil
}

func (m *memDest) Commit(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for d, b := range m.pending {
		m.blobs[d] = b
	}
	m.committed = true
	return nil
}

func (m *memDest) Close() error { return nil }

type countingRef struct {
	memRef
	onOpen func()
}

func (r *countingRef) NewDestination(ctx context.Context, o *transport.Options) (transport.Destination, error) {
	r.onOpen()
	return r.memRef.NewDestination(ctx, o)
}

func (m *memDest) PutBlobStream(_ context.Context, mt string, r io.Reader) (ocispec.Descriptor, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	d := ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(b), Size: int64(len(b))}
	m.mu.Lock()
	m.pending[d.Digest] = b
	m.mu.Unlock()
	return d, nil
}

// sourceOf serves what a memDest holds, for chained copies.
func sourceOf(m *memDest, mt string) *testimage.Source {
	return &testimage.Source{Top: m.top, TopType: mt, Manifests: m.manifests, Types: map[digest.Digest]string{}, Blobs: m.blobs}
}

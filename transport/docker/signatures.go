package docker

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/lookaside"
	"github.com/ferrytool/ferry/reference"
	"github.com/ferrytool/ferry/registry"
	"github.com/ferrytool/ferry/signature/sigstore"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// Where a registry image's signatures live, as containers/image keeps
// them: in the registry itself when it offers the
// X-Registry-Supports-Signatures API extension; otherwise in the lookaside
// storage registries.d names for the image (read from file://, http://
// and https://, written to file:// only, lookaside-staging first). The
// signatures are opaque bytes here.

var (
	_ transport.SignatureSource      = (*Source)(nil)
	_ transport.SignatureDestination = (*Destination)(nil)
)

// sourceSignatures is a Source's signature state.
type sourceSignatures struct {
	base     *url.URL // the lookaside to read
	insecure bool     // --tls-verify=false also covers an https lookaside, as in skopeo
	log      *slog.Logger

	mu     sync.Mutex
	top    digest.Digest // the top manifest's digest, once fetched
	reader *lookaside.Reader
}

func (s *sourceSignatures) init(r *Reference, o *transport.Options) error {
	base, err := r.config().RegistriesD.Lookaside(r.named, false)
	if err != nil {
		return err
	}
	s.base, s.insecure, s.log = base, r.config().Insecure, o.Log()
	return nil
}

func (s *sourceSignatures) setTop(d digest.Digest) {
	s.mu.Lock()
	s.top = d
	s.mu.Unlock()
}

func (s *sourceSignatures) lookaside() *lookaside.Reader {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reader == nil {
		s.reader = lookaside.NewReader(s.insecure)
	}
	return s.reader
}

func (s *sourceSignatures) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reader != nil {
		s.reader.Close()
	}
}

// Signatures implements transport.SignatureSource: the signatures of the
// top manifest (instance nil) or of an instance, from the registry's
// signatures API where it offers one, else from the lookaside storage.
func (s *Source) Signatures(ctx context.Context, instance *digest.Digest) ([][]byte, error) {
	d, err := s.manifestDigest(ctx, instance)
	if err != nil {
		return nil, err
	}
	p := &s.srcs[s.current()]
	api, err := p.c.SignaturesAPI(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	var sigs [][]byte
	if api {
		s.sigs.log.Debug("reading signatures through the registry's signatures API", "image", s.name, "digest", d)
		sigs, err = p.c.GetSignatures(ctx, p.repo, d)
	} else {
		s.sigs.log.Debug("reading signatures from the lookaside", "image", s.name, "digest", d, "lookaside", s.sigs.base.Redacted())
		sigs, err = s.sigs.lookaside().Read(ctx, s.sigs.base, d)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	use, err := s.ref.config().RegistriesD.UseSigstoreAttachments(s.ref.named)
	if err != nil {
		return nil, err
	}
	if !use {
		return sigs, nil
	}
	att, err := s.sigstoreSignatures(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	return append(sigs, att...), nil
}

// manifestDigest is the digest of the instance, or of the top manifest:
// the one the name carries, or the one fetched (fetching it if need be).
func (s *Source) manifestDigest(ctx context.Context, instance *digest.Digest) (digest.Digest, error) {
	if instance != nil {
		return *instance, nil
	}
	if d := reference.Digest(s.ref.named); d != "" && d.Algorithm() == digest.Canonical {
		return d, nil
	}
	s.sigs.mu.Lock()
	d := s.sigs.top
	s.sigs.mu.Unlock()
	if d != "" {
		return d, nil
	}
	if _, _, err := s.Manifest(ctx, nil); err != nil {
		return "", err
	}
	s.sigs.mu.Lock()
	defer s.sigs.mu.Unlock()
	return s.sigs.top, nil
}

// destinationSignatures is a Destination's signature state: where it
// writes, decided when it is opened.
type destinationSignatures struct {
	// api: the registry offers the signatures API extension (known
	// only when the lookaside is not writable: the API is asked then).
	api bool
	// base is the lookaside to write, and baseErr why it cannot be
	// written (an http(s) storage without a lookaside-staging).
	base    *url.URL
	baseErr error
	// writable is Capabilities().Signatures.
	writable bool

	mu  sync.Mutex
	top digest.Digest // the top manifest's digest, once written
}

// init decides where signatures go. With a writable lookaside, signatures
// can be stored whatever the registry offers, so the registry is not asked
// yet. Without one, only the API extension can take them: the registry is
// pinged now, so that a copy that would have nowhere to put them refuses
// before writing anything. A ping that fails leaves the question open (the
// copy's first request reports that failure; PutSignatures asks again).
func (s *destinationSignatures) init(ctx context.Context, r *Reference, c *registry.Client, log *slog.Logger) error {
	base, err := r.config().RegistriesD.Lookaside(r.named, true)
	if err != nil {
		return err
	}
	s.base, s.baseErr = base, lookaside.Writable(base)
	attach, err := r.config().RegistriesD.UseSigstoreAttachments(r.named)
	if err != nil {
		return err
	}
	if s.baseErr == nil || attach {
		// Sigstore signatures go to attachments whatever the registry
		// offers for simple signing ones.
		s.writable = true
		return nil
	}
	api, err := c.SignaturesAPI(ctx)
	if err != nil {
		log.Debug("registry ping failed; whether it stores signatures is decided when they are written", "error", err)
		s.writable = true
		return nil
	}
	s.api, s.writable = api, api
	if !api {
		log.Debug("the registry does not store signatures, and registries.d gives no writable lookaside", "image", reference.Familiar(r.named), "reason", s.baseErr)
	}
	return nil
}

func (s *destinationSignatures) setTop(d digest.Digest) {
	s.mu.Lock()
	s.top = d
	s.mu.Unlock()
}

// PutSignatures implements transport.SignatureDestination: the signatures
// of the manifest last written at the top (instance nil) or of an
// instance, added through the registry's signatures API where it offers
// one (the extension cannot remove signatures), else written to the
// lookaside storage, replacing those it held.
func (d *Destination) PutSignatures(ctx context.Context, sigs [][]byte, instance *digest.Digest) error {
	var dg digest.Digest
	if instance != nil {
		dg = *instance
	} else {
		d.sigs.mu.Lock()
		dg = d.sigs.top
		d.sigs.mu.Unlock()
		if dg == "" {
			return fmt.Errorf("%s: signatures written before their manifest", d.name)
		}
	}
	var simple, sigstoreSigs [][]byte
	for _, sig := range sigs {
		switch {
		case sigstore.IsBlob(sig):
			sigstoreSigs = append(sigstoreSigs, sig)
		case len(sig) > 0 && sig[0] == 0:
			return fmt.Errorf("%w: %s: signature format %q is not stored in registries", errdefs.ErrNotSupported, d.name, formatName(sig))
		default:
			simple = append(simple, sig)
		}
	}
	if len(sigstoreSigs) > 0 {
		if err := d.putSigstoreSignatures(ctx, sigstoreSigs, dg); err != nil {
			return err
		}
		if len(simple) == 0 {
			// As containers/image: sigstore signatures alone leave the
			// lookaside and the signatures API as they are.
			return nil
		}
	}
	sigs = simple
	api, err := d.c.SignaturesAPI(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	if api {
		d.log.Debug("storing signatures through the registry's signatures API", "image", d.name, "digest", dg)
		if err := d.c.PutSignatures(ctx, d.repo, dg, sigs); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		return nil
	}
	if d.sigs.baseErr != nil {
		return fmt.Errorf("%s: the registry does not store signatures, and %w", d.name, d.sigs.baseErr)
	}
	d.log.Debug("writing signatures to the lookaside", "image", d.name, "digest", dg, "lookaside", d.sigs.base.Redacted())
	if err := lookaside.Write(ctx, d.sigs.base, dg, sigs); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	return nil
}

// deleteLookasideSignatures removes a deleted manifest's signatures from
// the lookaside written to, when it is a file:// one; signatures in a
// storage ferry cannot write (a web server) are left to whoever publishes
// it.
func deleteLookasideSignatures(ctx context.Context, base *url.URL, d digest.Digest, log *slog.Logger) error {
	if err := lookaside.Writable(base); err != nil {
		log.Debug("signatures of the deleted image left in place", "digest", d, "reason", err)
		return nil
	}
	if err := lookaside.Delete(ctx, base, d); err != nil {
		return fmt.Errorf("manifest %s deleted, but not its signatures: %w", d, err)
	}
	return nil
}

// formatName is the format a "\x00FORMAT\n" signature blob names.
func formatName(sig []byte) string {
	name, _, _ := strings.Cut(string(sig[1:min(len(sig), 64)]), "\n")
	return name
}

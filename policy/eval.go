package policy

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/signature"
	"github.com/ferrytool/ferry/transport"
)

// Evaluator enforces a Policy on copies: it implements copier.Policy and
// copier.AnyImagePolicy. It is safe for concurrent use.
type Evaluator struct {
	policy *Policy
	logger *slog.Logger

	mu       sync.Mutex
	keys     map[*SignedBy]keysOrErr // loaded on first use, as containers/image does
	sigstore map[*SigstoreSigned]sigstoreTrustOrErr
}

type keysOrErr struct {
	k   *signature.Keyring
	err error
}

// NewEvaluator enforces p; logger (nil discards) gets one debug line per
// decision.
func NewEvaluator(p *Policy, logger *slog.Logger) *Evaluator {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Evaluator{policy: p, logger: logger, keys: map[*SignedBy]keysOrErr{}, sigstore: map[*SigstoreSigned]sigstoreTrustOrErr{}}
}

// AcceptAnything is the policy of --insecure-policy, and of a machine with
// no policy file at all.
func AcceptAnything() *Policy {
	return &Policy{Default: []Requirement{InsecureAcceptAnything{}}}
}

// AcceptsAnyImage reports whether every requirement for src is
// insecureAcceptAnything, so the copier may stream a read-once source.
func (e *Evaluator) AcceptsAnyImage(src transport.Reference) bool {
	for _, r := range e.policy.Requirements(src) {
		if _, ok := r.(InsecureAcceptAnything); !ok {
			return false
		}
	}
	return true
}

// Check applies every requirement for src to img; the first refusal is
// returned (the copier words it "Source image rejected: ...").
func (e *Evaluator) Check(ctx context.Context, src transport.Reference, img copier.Instance) error {
	for _, r := range e.policy.Requirements(src) {
		if err := e.check(ctx, r, src, img); err != nil {
			e.logger.Debug("policy refuses the image", "image", describe(src), "requirement", r.Type(), "reason", err)
			return err
		}
	}
	e.logger.Debug("policy accepts the image", "image", describe(src), "digest", img.Digest)
	return nil
}

func (e *Evaluator) check(ctx context.Context, r Requirement, src transport.Reference, img copier.Instance) error {
	switch r := r.(type) {
	case InsecureAcceptAnything:
		return nil
	case Reject:
		return denied("Running image %s is rejected by policy.", describe(src))
	case *SignedBaseLayer:
		return denied("signedBaseLayer not implemented yet!")
	case *SigstoreSigned:
		return e.checkSigstore(ctx, r, src, img)
	case *SignedBy:
		return e.checkSignedBy(r, src, img)
	}
	return denied("unknown policy requirement %s", r.Type())
}

// checkSignedBy accepts the image when at least one of its signatures is
// by a key of r, for its manifest, with an identity r accepts.
func (e *Evaluator) checkSignedBy(r *SignedBy, src transport.Reference, img copier.Instance) error {
	var simple [][]byte
	for _, sig := range img.Signatures {
		if len(sig) == 0 || sig[0] != 0 { // "\x00FORMAT\n": sigstore or another format, not for signedBy
			simple = append(simple, sig)
		}
	}
	if len(simple) == 0 {
		return denied("A signature was required, but no signature exists")
	}
	keys, err := e.keyring(r)
	if err != nil {
		return err
	}
	var reasons []string
	for _, sig := range simple {
		v, err := signature.VerifyManifest(sig, img.Manifest, keys, nil)
		if err != nil {
			reasons = append(reasons, strings.TrimPrefix(err.Error(), errdefs.ErrDenied.Error()+": "))
			continue
		}
		if !r.SignedIdentity.matches(src.DockerReference(), v.Payload.DockerReference) {
			reasons = append(reasons, fmt.Sprintf("Signature for identity %q is not accepted", v.Payload.DockerReference))
			continue
		}
		return nil
	}
	if len(reasons) == 1 {
		return denied("%s", reasons[0])
	}
	return denied("None of the signatures were accepted, reasons: %s", strings.Join(reasons, "; "))
}

// keyring loads the keys of r once.
func (e *Evaluator) keyring(r *SignedBy) (*signature.Keyring, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if k, ok := e.keys[r]; ok {
		return k.k, k.err
	}
	k, err := loadKeys(r)
	e.keys[r] = keysOrErr{k, err}
	return k, err
}

func loadKeys(r *SignedBy) (*signature.Keyring, error) {
	if r.KeyData != nil {
		k, err := signature.ReadKeys(r.KeyData)
		if err != nil {
			return nil, fmt.Errorf("keyData: %w", err)
		}
		return k, nil
	}
	paths := r.KeyPaths
	if r.KeyPath != "" {
		paths = []string{r.KeyPath}
	}
	var all *signature.Keyring
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("%w: reading the policy's key file: %w", errdefs.ErrInvalidArgument, err)
		}
		k, err := signature.ReadKeys(b)
		if err != nil {
			return nil, fmt.Errorf("key file %s: %w", p, err)
		}
		if all == nil {
			all = k
		} else {
			all.Add(k)
		}
	}
	return all, nil
}

// denied is a refusal, wrapping errdefs.ErrDenied without its text.
func denied(format string, a ...any) error {
	return &deniedError{msg: fmt.Sprintf(format, a...)}
}

type deniedError struct{ msg string }

func (d *deniedError) Error() string        { return d.msg }
func (d *deniedError) Is(target error) bool { return target == errdefs.ErrDenied }

var _ copier.Policy = (*Evaluator)(nil)
var _ copier.AnyImagePolicy = (*Evaluator)(nil)

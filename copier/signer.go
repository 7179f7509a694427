package copier

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/transport"
)

// Signer makes a signature for a manifest the copy has written (skopeo's
// copy --sign-by). The copier owns the interface and imports no crypto:
// package signature implements it. dst is the destination, whose Docker
// reference is the signed identity unless the signer was told another.
type Signer interface {
	Sign(ctx context.Context, manifest []byte, dst transport.Reference) ([]byte, error)
}

// sign returns the signatures Options.Signers make for the top-level
// manifest written (an index when the copy writes one, as skopeo signs).
func (c *job) sign(ctx context.Context, written []byte) ([][]byte, error) {
	var out [][]byte
	for _, s := range c.o.Signers {
		sig, err := s.Sign(ctx, written, c.dstRef)
		if err != nil {
			return nil, fmt.Errorf("signing the image: %w", err)
		}
		out = append(out, sig)
	}
	return out, nil
}

// SignerChecker is implemented by a Signer that can tell before the copy
// starts that it cannot sign for the destination (no identity to sign
// for), so the copy is refused before anything is written.
type SignerChecker interface {
	CheckDestination(dst transport.Reference) error
}

// checkSigners runs the signers' CheckDestination.
func (c *job) checkSigners() error {
	for _, s := range c.o.Signers {
		if ch, ok := s.(SignerChecker); ok {
			if err := ch.CheckDestination(c.dstRef); err != nil {
				return fmt.Errorf("signing the image: %w", err)
			}
		}
	}
	return nil
}

package registry

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/opencontainers/go-digest"
)

// The X-Registry-Supports-Signatures API extension (OpenShift's
// integrated registry, read and written by containers/image): a registry
// whose GET /v2/ answers "X-Registry-Supports-Signatures: 1" keeps
// simple-signing signatures itself, at /extensions/v2/REPO/signatures/DIGEST.
// A GET lists them; a PUT adds one (the extension has no way to remove
// any). Where offered it takes precedence over a lookaside storage.

// signaturesHeader is the ping's answer that announces the extension.
const signaturesHeader = "X-Registry-Supports-Signatures"

// Extension signature fields, as OpenShift's signature dispatcher and
// containers/image write them.
const (
	extensionSchemaVersion = 2
	extensionTypeAtomic    = "atomic"
	// maxSignatureList bounds the list read into memory.
	maxSignatureList = 4 << 20
)

// extensionSignature is one signature of the extension; Content travels
// base64-encoded, as encoding/json writes []byte.
type extensionSignature struct {
	Version int    `json:"schemaVersion"`
	Name    string `json:"name"` // DIGEST@32 hex digits, unique per manifest
	Type    string `json:"type"`
	Content []byte `json:"content"`
}

type extensionSignatureList struct {
	Signatures []extensionSignature `json:"signatures"`
}

// offersSignaturesAPI reads the ping's answer.
func offersSignaturesAPI(resp *http.Response) bool {
	return resp.Header.Get(signaturesHeader) == "1"
}

// SignaturesAPI reports whether the registry offers the signatures API
// extension, pinging it first if no request has yet.
func (c *Client) SignaturesAPI(ctx context.Context) (bool, error) {
	if _, err := c.ping(ctx); err != nil {
		return false, err
	}
	c.pingMu.Lock()
	defer c.pingMu.Unlock()
	return c.signaturesAPI, nil
}

func signaturesPath(repo string, d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("%w: manifest digest %q: %v", errdefs.ErrInvalidArgument, d, err)
	}
	return "/extensions/v2/" + repo + "/signatures/" + d.String(), nil
}

// GetSignatures lists, through the signatures API extension, the
// simple-signing signatures repo keeps for the manifest with digest d, in
// the registry's order. Entries of another schema version or type are
// skipped, as containers/image skips them.
func (c *Client) GetSignatures(ctx context.Context, repo string, d digest.Digest) ([][]byte, error) {
	list, err := c.extensionSignatures(ctx, repo, d)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, s := range list {
		if s.Version == extensionSchemaVersion && s.Type == extensionTypeAtomic {
			out = append(out, s.Content)
		}
	}
	return out, nil
}

func (c *Client) extensionSignatures(ctx context.Context, repo string, d digest.Digest) ([]extensionSignature, error) {
	p, err := signaturesPath(repo, d)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, &request{method: http.MethodGet, url: p, scopes: c.scopes(repo)}, http.StatusOK)
	if err != nil {
		return nil, fmt.Errorf("signatures of %s: %w", d, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxSignatureList+1))
	if err != nil {
		return nil, fmt.Errorf("signatures of %s: %w", d, err)
	}
	if len(b) > maxSignatureList {
		return nil, fmt.Errorf("signatures of %s: the list is larger than %d bytes", d, maxSignatureList)
	}
	var list extensionSignatureList
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("signatures of %s: decoding the registry's list: %v", d, err)
	}
	return list.Signatures, nil
}

// PutSignatures adds sigs to the signatures repo keeps for the manifest
// with digest d, through the signatures API extension: each one the
// registry does not already hold byte for byte is PUT under a new random
// name. Signatures already there stay (the extension cannot delete).
func (c *Client) PutSignatures(ctx context.Context, repo string, d digest.Digest, sigs [][]byte) error {
	if len(sigs) == 0 {
		return nil
	}
	existing, err := c.extensionSignatures(ctx, repo, d)
	if err != nil {
		return err
	}
	names := map[string]bool{}
	for _, s := range existing {
		names[s.Name] = true
	}
	p, _ := signaturesPath(repo, d) // d was validated above
next:
	for _, sig := range sigs {
		for _, s := range existing {
			if s.Version == extensionSchemaVersion && s.Type == extensionTypeAtomic && bytes.Equal(s.Content, sig) {
				continue next
			}
		}
		name, err := newSignatureName(d, names)
		if err != nil {
			return err
		}
		names[name] = true
		body, err := json.Marshal(extensionSignature{Version: extensionSchemaVersion, Name: name, Type: extensionTypeAtomic, Content: sig})
		if err != nil {
			return err
		}
		resp, err := c.do(ctx, &request{
			method: http.MethodPut, url: p,
			header:  http.Header{"Content-Type": {"application/json"}},
			getBody: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil },
			length:  int64(len(body)),
			scopes:  c.scopes(repo, auth.ActionPush),
		}, http.StatusCreated)
		if err != nil {
			return fmt.Errorf("storing a signature of %s: %w", d, err)
		}
		drain(resp)
	}
	return nil
}

// newSignatureName invents the unique name the extension wants:
// DIGEST@ followed by 32 random hex digits, as containers/image names them.
func newSignatureName(d digest.Digest, taken map[string]bool) (string, error) {
	for {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("naming a signature: %w", err)
		}
		if name := d.String() + "@" + hex.EncodeToString(b[:]); !taken[name] {
			return name, nil
		}
	}
}

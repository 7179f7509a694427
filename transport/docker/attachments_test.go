package docker_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/signature/sigstore"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/docker"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func sigstoreBlob(t *testing.T, payload string) []byte {
	t.Helper()
	b, err := sigstore.Signature{MIMEType: sigstore.MIMEType, Payload: []byte(payload),
		Annotations: map[string]string{sigstore.SignatureAnnotation: "c2ln" + payload}}.Blob()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSigstoreAttachments: with use-sigstore-attachments, sigstore
// signatures go to the sha256-HEX.sig tag as containers/image writes it
// (an OCI manifest, one layer per payload with the signature annotation, a
// config listing the payload digests), are added read-modify-write without
// duplicates, and are read back beside the simple signatures, which still
// go to the lookaside.
func TestSigstoreAttachments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.Options{})
	store := t.TempDir()
	o := opts(reg)
	o.RegistriesD, _ = registriesD(t, "default-docker:\n  lookaside: file://"+store+"\n  use-sigstore-attachments: true\n")
	img := testimage.New(testimage.Options{Seed: 7})
	one, two := sigstoreBlob(t, "one"), sigstoreBlob(t, "two")
	simple := []byte("\xa3\x01simple")
	_, dst := open(t, ref(t, reg, "app:1"), o)
	pushSigned(t, dst, img, [][]byte{one, simple})
	// A second copy adds one signature and repeats another.
	_, dst = open(t, ref(t, reg, "app:1"), o)
	pushSigned(t, dst, img, [][]byte{two, one})

	tag, err := docker.AttachmentTag(img.Digest)
	if err != nil || tag != "sha256-"+img.Digest.Encoded()+".sig" {
		t.Fatalf("AttachmentTag = %q, %v", tag, err)
	}
	b, mt, found := reg.Manifest(t, "app", tag)
	if !found || mt != ocispec.MediaTypeImageManifest {
		t.Fatalf("attachment manifest found=%v type %q", found, mt)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 2 {
		t.Fatalf("%d layers, want 2 (no duplicate): %s", len(m.Layers), b)
	}
	for i, want := range []string{"one", "two"} {
		l := m.Layers[i]
		if l.MediaType != sigstore.MIMEType || l.Digest != digest.FromString(want) || l.Annotations[sigstore.SignatureAnnotation] != "c2ln"+want {
			t.Errorf("layer %d = %+v", i, l)
		}
	}
	if m.Config.MediaType != ocispec.MediaTypeImageConfig || !reg.HasBlob(t, "app", m.Config.Digest) {
		t.Errorf("config %+v missing", m.Config)
	}

	src, _ := open(t, ref(t, reg, "app:1"), o)
	got := readSigs(t, src, nil)
	if want := [][]byte{simple, one, two}; !sigsEqual(got, want) {
		t.Errorf("read back %q, want %q", got, want)
	}

	// Without the setting, a reader does not look, and a writer refuses.
	plain := opts(reg)
	plain.RegistriesD, _ = registriesD(t, "default-docker:\n  lookaside: file://"+store+"\n")
	src, _ = open(t, ref(t, reg, "app:1"), plain)
	if got := readSigs(t, src, nil); !sigsEqual(got, [][]byte{simple}) {
		t.Errorf("attachments read without use-sigstore-attachments: %q", got)
	}
	_, dst = open(t, ref(t, reg, "other:1"), plain)
	if err := img.Write(ctx, dst); err != nil {
		t.Fatal(err)
	}
	err = dst.(transport.SignatureDestination).PutSignatures(ctx, [][]byte{one}, nil)
	if !errors.Is(err, errdefs.ErrNotSupported) || !strings.Contains(err.Error(), "use-sigstore-attachments") {
		t.Errorf("writing attachments without the setting: %v", err)
	}
}

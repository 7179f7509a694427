package copier_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/transport"
	"github.com/opencontainers/go-digest"
)

// recordingSigner "signs" by recording what it was given: the copier's
// side of the hook is what is under test (package signature tests the
// cryptography).
type recordingSigner struct {
	got      []byte
	refuse   error
	checkErr error
}

func (s *recordingSigner) Sign(_ context.Context, man []byte, dst transport.Reference) ([]byte, error) {
	if s.refuse != nil {
		return nil, s.refuse
	}
	s.got = append([]byte(nil), man...)
	return []byte("signed " + digest.FromBytes(man).String() + " for " + transport.FullName(dst)), nil
}

func (s *recordingSigner) CheckDestination(transport.Reference) error { return s.checkErr }

func TestSignersSignTheWrittenManifest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := signedDir(t, testimage.New(testimage.Options{}))
	out := filepath.Join(t.TempDir(), "out")
	s := &recordingSigner{}
	if _, err := copier.Copy(ctx, parse(t, "dir:"+src), parse(t, "dir:"+out), copier.Options{Signers: []copier.Signer{s}}); err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.got, written) {
		t.Error("the signer was not given the manifest as written")
	}
	got := sigFiles(t, out)
	want := "signed " + digest.FromBytes(written).String() + " for dir:" + out
	if len(got) != 3 || !bytes.Equal(got["signature-1"], sigs[0]) || string(got["signature-3"]) != want {
		t.Errorf("signatures %q, want the source's two then the new one", got)
	}

	// A conversion is allowed when the source's signatures are dropped: the
	// new signature is for the converted manifest.
	conv := filepath.Join(t.TempDir(), "conv")
	s = &recordingSigner{}
	if _, err := copier.Copy(ctx, parse(t, "dir:"+src), parse(t, "dir:"+conv), copier.Options{Signers: []copier.Signer{s}, RemoveSignatures: true, Format: "v2s2"}); err != nil {
		t.Fatal(err)
	}
	written, _ = os.ReadFile(filepath.Join(conv, "manifest.json"))
	if !bytes.Equal(s.got, written) || !strings.Contains(string(written), "vnd.docker") {
		t.Error("the signer did not sign the converted manifest")
	}
}

func TestSignersRefusalsWriteNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := signedDir(t, testimage.New(testimage.Options{}))
	for _, tc := range []struct {
		name string
		dst  string
		s    *recordingSigner
	}{
		{"destination without signatures", "oci:" + filepath.Join(t.TempDir(), "layout") + ":x", &recordingSigner{}},
		{"no identity", "dir:" + filepath.Join(t.TempDir(), "out"), &recordingSigner{checkErr: errors.New("no identity")}},
		{"signing fails", "dir:" + filepath.Join(t.TempDir(), "out"), &recordingSigner{refuse: errors.New("gpg says no")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := copier.Copy(ctx, parse(t, "dir:"+src), parse(t, tc.dst), copier.Options{Signers: []copier.Signer{tc.s}, RemoveSignatures: true})
			if err == nil {
				t.Fatal("copy succeeded")
			}
			_, path, _ := strings.Cut(tc.dst, ":")
			path, _, _ = strings.Cut(path, ":")
			if _, err := os.Stat(filepath.Join(path, "manifest.json")); err == nil {
				t.Errorf("%s was written after a refused copy", path)
			}
			if _, err := os.Stat(filepath.Join(path, "index.json")); err == nil {
				t.Errorf("%s was written after a refused copy", path)
			}
		})
	}
}

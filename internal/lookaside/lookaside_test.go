package lookaside

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/opencontainers/go-digest"
)

var dg = digest.FromString("a manifest")

func fileBase(t *testing.T, root string) *url.URL {
	t.Helper()
	u, err := url.Parse("file://" + filepath.ToSlash(root) + "/team/app")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSignatureURL(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("https://sigs.example/store/team/app")
	u, err := SignatureURL(base, dg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://sigs.example/store/team/app@sha256=" + dg.Encoded() + "/signature-2"; u.String() != want {
		t.Errorf("SignatureURL = %s, want %s", u, want)
	}
	if _, err := SignatureURL(base, "sha256:../../x", 0); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("a malformed digest: got %v", err)
	}
}

// TestFileRoundTrip: signatures written to a file:// storage are read
// back byte for byte, in order, where containers/image puts them; a
// second write with fewer replaces them all.
func TestFileRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	base := fileBase(t, root)
	r := NewReader(false)
	defer r.Close()
	if got, err := r.Read(ctx, base, dg); err != nil || len(got) != 0 {
		t.Fatalf("empty storage: %q, %v", got, err)
	}
	sigs := [][]byte{[]byte("\xa3first"), []byte("\x00\xffsecond"), []byte("third")}
	if err := Write(ctx, base, dg, sigs); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(root, "team", "app@sha256="+dg.Encoded(), "signature-3")
	if b, err := os.ReadFile(want); err != nil || string(b) != "third" {
		t.Fatalf("%s: %q, %v", want, b, err)
	}
	got, err := r.Read(ctx, base, dg)
	if err != nil || len(got) != 3 || !bytes.Equal(got[0], sigs[0]) || !bytes.Equal(got[1], sigs[1]) || !bytes.Equal(got[2], sigs[2]) {
		t.Fatalf("read back %q, %v; want %q", got, err, sigs)
	}
	if err := Write(ctx, base, dg, sigs[1:2]); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Read(ctx, base, dg); err != nil || len(got) != 1 || !bytes.Equal(got[0], sigs[1]) {
		t.Fatalf("after replacing: %q, %v", got, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(want))
	if len(entries) != 1 {
		t.Errorf("files left after replacing: %v", entries)
	}
	if err := Delete(ctx, base, dg); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(want)); len(entries) != 0 {
		t.Errorf("files left after Delete: %v", entries)
	}
}

// TestHTTPRead: a storage served by a plain web server (net/http's file
// server over what Write stored) reads the same, with no credentials
// sent; 404 ends the list.
func TestHTTPRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	sigs := [][]byte{[]byte("one"), []byte("two")}
	if err := Write(ctx, fileBase(t, root), dg, sigs); err != nil {
		t.Fatal(err)
	}
	fileServer := http.FileServer(http.Dir(root))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Authorization") != "" {
			t.Errorf("credentials sent to the lookaside: %s", req.URL)
		}
		fileServer.ServeHTTP(w, req)
	}))
	defer srv.Close()
	base, _ := url.Parse(srv.URL + "/team/app")
	r := NewReader(false)
	defer r.Close()
	got, err := r.Read(ctx, base, dg)
	if err != nil || len(got) != 2 || string(got[0]) != "one" || string(got[1]) != "two" {
		t.Fatalf("Read = %q, %v", got, err)
	}
	other, _ := url.Parse(srv.URL + "/team/other")
	if got, err := r.Read(ctx, other, dg); err != nil || len(got) != 0 {
		t.Errorf("nothing stored: %q, %v", got, err)
	}
	if err := Writable(base); !errors.Is(err, errdefs.ErrNotSupported) || !strings.Contains(err.Error(), "lookaside-staging") {
		t.Errorf("Writable(http) = %v", err)
	}
	if err := Write(ctx, base, dg, sigs); !errors.Is(err, errdefs.ErrNotSupported) {
		t.Errorf("Write(http) = %v", err)
	}
}

// TestHTTPFaults stands in for a broken or overloaded web server (a real
// file server cannot be made to answer 500 or stream an endless body):
// the read fails, naming the URL, rather than returning a partial list.
func TestHTTPFaults(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch {
		case strings.HasPrefix(req.URL.Path, "/broken/"):
			http.Error(w, "boom", http.StatusInternalServerError)
		case strings.HasPrefix(req.URL.Path, "/huge/"):
			w.Write(bytes.Repeat([]byte("x"), MaxSignatureSize+1))
		default:
			w.Write([]byte("always there")) // never a 404: an endless list
		}
	}))
	defer srv.Close()
	r := NewReader(false)
	defer r.Close()
	for _, tc := range []struct {
		path string
		is   error
		want string
	}{
		{"/broken/app", errdefs.ErrUnavailable, "500"},
		{"/huge/app", errdefs.ErrInvalidArgument, "larger than"},
		{"/endless/app", nil, "more than 128 signatures"},
	} {
		base, _ := url.Parse(srv.URL + tc.path)
		_, err := r.Read(context.Background(), base, dg)
		if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %v mentioning %q", tc.path, err, tc.is, tc.want)
		}
	}
}

// TestHTTPSVerification: an https storage's certificate is verified unless
// the reader is insecure (skopeo's --tls-verify=false covers the
// registry's lookaside too).
func TestHTTPSVerification(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	if err := Write(ctx, fileBase(t, root), dg, [][]byte{[]byte("one")}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(http.FileServer(http.Dir(root)))
	defer srv.Close()
	base, _ := url.Parse(srv.URL + "/team/app")
	strict := NewReader(false)
	defer strict.Close()
	if _, err := strict.Read(ctx, base, dg); err == nil {
		t.Error("a certificate from an unknown CA was accepted")
	}
	lax := NewReader(true)
	defer lax.Close()
	if got, err := lax.Read(ctx, base, dg); err != nil || len(got) != 1 || string(got[0]) != "one" {
		t.Errorf("insecure read = %q, %v", got, err)
	}
}

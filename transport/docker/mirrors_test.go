package docker_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrytool/ferry/copier"
	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/registry/auth"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/docker"
)

// mirrorSetup is a primary registry with two mirrors in registries.conf,
// the first of them down (nothing listens at its address), the second up
// and holding a copy of the primary's image under another repository
// path; a blocked registry; and a destination. All are plain HTTP, which
// only registries.conf's insecure = true allows: the transport's own
// Insecure is off.
type mirrorSetup struct {
	primary, mirror, blocked, dest *testregistry.Registry
	img                            *testimage.Image
	cfg                            *docker.Config
	log                            *bytes.Buffer
}

func newMirrorSetup(t *testing.T) *mirrorSetup {
	t.Helper()
	s := &mirrorSetup{
		primary: testregistry.New(t, testregistry.Options{}),
		mirror:  testregistry.New(t, testregistry.Options{}),
		blocked: testregistry.New(t, testregistry.Options{}),
		dest:    testregistry.New(t, testregistry.Options{}),
		img:     testimage.New(testimage.Options{Seed: 42}),
		log:     &bytes.Buffer{},
	}
	s.primary.Push(t, "team/app", "1", s.img)
	s.mirror.Push(t, "cache/team/app", "1", s.img)
	s.blocked.Push(t, "team/app", "1", s.img)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	conf := `
[[registry]]
location = "` + s.primary.Host() + `/team"
insecure = true

[[registry.mirror]]
location = "` + down + `/team"
insecure = true

[[registry.mirror]]
location = "` + s.mirror.Host() + `/cache/team"
insecure = true

[[registry]]
location = "` + s.blocked.Host() + `"
blocked = true

[[registry]]
location = "` + s.dest.Host() + `"
insecure = true
`
	s.cfg = &docker.Config{Auth: auth.Settings{NoCreds: true}, NoRegistryHints: true, Registries: testenv.RegistriesConf(t, conf)}
	for _, r := range []*testregistry.Registry{s.primary, s.mirror, s.blocked, s.dest} {
		r.ResetRequests()
	}
	return s
}

// copy copies src (a name on one of the registries) to the destination
// registry, logging at debug level into s.log.
func (s *mirrorSetup) copy(t *testing.T, src string) error {
	t.Helper()
	tr := docker.New(*s.cfg)
	from, err := tr.ParseReference("//" + src)
	if err != nil {
		t.Fatal(err)
	}
	to, err := tr.ParseReference("//" + s.dest.Ref("copied/app:1"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(s.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err = copier.Copy(context.Background(), from, to, copier.Options{Source: transport.Options{Logger: log}})
	return err
}

// served lists the manifest and blob GETs a registry answered with 200.
func served(r *testregistry.Registry) []string {
	var out []string
	for _, q := range r.Requests() {
		if q.Method == http.MethodGet && q.Status == http.StatusOK && (strings.Contains(q.Path, "/manifests/") || strings.Contains(q.Path, "/blobs/")) {
			out = append(out, q.Path)
		}
	}
	return out
}

// TestCopyThroughMirror: the image comes from the mirror that is up, after
// the one that is down failed (with a debug line); the primary serves
// nothing, and the copy is whole at the destination.
func TestCopyThroughMirror(t *testing.T) {
	t.Parallel()
	s := newMirrorSetup(t)
	if err := s.copy(t, s.primary.Ref("team/app:1")); err != nil {
		t.Fatalf("copy: %v", err)
	}
	if got := s.primary.Requests(); len(got) != 0 {
		t.Errorf("the primary was asked %d requests, want none: %+v", len(got), got)
	}
	got := served(s.mirror)
	if want := 1 + 1 + len(s.img.Layers); len(got) != want {
		t.Errorf("the mirror served %v, want the manifest, the config and %d layers", got, len(s.img.Layers))
	}
	for _, p := range got {
		if !strings.HasPrefix(p, "/v2/cache/team/app/") {
			t.Errorf("mirror request %s is not in the rewritten repository", p)
		}
	}
	for _, l := range s.img.Layers {
		if !s.dest.HasBlob(t, "copied/app", l.Digest) {
			t.Errorf("destination lacks layer %s", l.Digest)
		}
	}
	if log := s.log.String(); !strings.Contains(log, "registries.conf source failed; trying the next") || !strings.Contains(log, "/team/app:1") {
		t.Errorf("no debug line about the mirror that is down:\n%s", log)
	}
}

// TestMirrorMissingBlob: a layer the mirror lacks is fetched from the
// primary, which serves that layer and nothing else.
func TestMirrorMissingBlob(t *testing.T) {
	t.Parallel()
	s := newMirrorSetup(t)
	missing := s.img.Layers[len(s.img.Layers)-1].Digest
	req, err := http.NewRequest(http.MethodDelete, s.mirror.URL+"/v2/cache/team/app/blobs/"+missing.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.mirror.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || s.mirror.HasBlob(t, "cache/team/app", missing) {
		t.Fatalf("deleting the layer from the mirror: status %d", resp.StatusCode)
	}
	s.mirror.ResetRequests()
	if err := s.copy(t, s.primary.Ref("team/app:1")); err != nil {
		t.Fatalf("copy: %v", err)
	}
	if got, want := served(s.primary), []string{"/v2/team/app/blobs/" + missing.String()}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the primary served %v, want only the missing layer %v", got, want)
	}
	if !s.dest.HasBlob(t, "copied/app", missing) {
		t.Errorf("destination lacks the layer the mirror had not")
	}
}

// TestBlockedRegistry: reading from or writing to a blocked registry is
// refused in one sentence naming the file and line, and the registry sees
// no request.
func TestBlockedRegistry(t *testing.T) {
	t.Parallel()
	s := newMirrorSetup(t)
	err := s.copy(t, s.blocked.Ref("team/app:1"))
	if !errors.Is(err, errdefs.ErrDenied) || !strings.Contains(err.Error(), "is blocked in registries.conf") || !strings.Contains(err.Error(), "line 14") {
		t.Errorf("copy from a blocked registry: %v, want access denied naming registries.conf line 14", err)
	}
	tr := docker.New(*s.cfg)
	to, err := tr.ParseReference("//" + s.blocked.Ref("pushed/app:1"))
	if err != nil {
		t.Fatal(err)
	}
	from, err := tr.ParseReference("//" + s.primary.Ref("team/app:1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := copier.Copy(context.Background(), from, to, copier.Options{}); !errors.Is(err, errdefs.ErrDenied) {
		t.Errorf("copy to a blocked registry: %v, want access denied", err)
	}
	if got := s.blocked.Requests(); len(got) != 0 {
		t.Errorf("the blocked registry was asked %d requests: %+v", len(got), got)
	}
}

// TestMirrorGetsNoExplicitCredentials: credentials given for the image
// (--src-creds) are for its registry; a mirror on another host, which asks
// for credentials, never receives them, and the image comes from the
// primary instead.
func TestMirrorGetsNoExplicitCredentials(t *testing.T) {
	t.Parallel()
	primary := testregistry.New(t, testregistry.Options{Basic: bob})
	mirror := testregistry.New(t, testregistry.Options{Basic: bob})
	img := testimage.New(testimage.Options{Seed: 43})
	primary.Push(t, "team/app", "1", img)
	mirror.Push(t, "team/app", "1", img)
	primary.ResetRequests()
	mirror.ResetRequests()
	rc := testenv.RegistriesConf(t, "[[registry]]\nlocation = \""+primary.Host()+"\"\ninsecure = true\n[[registry.mirror]]\nlocation = \""+mirror.Host()+"\"\ninsecure = true\n")
	cfg := docker.Config{Auth: auth.Settings{Username: bob.Username, Password: bob.Password}, NoRegistryHints: true, Registries: rc}
	r, err := docker.New(cfg).ParseReference("//" + primary.Ref("team/app:1"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := r.NewSource(context.Background(), &transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, _, err := src.Manifest(context.Background(), nil); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if len(mirror.Requests()) == 0 {
		t.Fatal("the mirror was not tried")
	}
	for _, q := range mirror.Requests() {
		if q.Authorization {
			t.Errorf("the mirror received credentials: %s %s", q.Method, q.Path)
		}
	}
	if got := served(primary); len(got) != 1 || !strings.Contains(got[0], "/manifests/1") {
		t.Errorf("the primary served %v, want the manifest", got)
	}
}

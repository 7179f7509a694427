package ferry_test

import (
	"os"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/manifest"
)

// The registries the examples and tests talk to, started by TestMain
// (Example functions take no *testing.T to start one with). In a program
// of your own, these are "registry.example.com" and the like.
var (
	// registryHost is an anonymous plain-HTTP registry holding
	// library/alpine:3.19 and :3.20 (two platforms: linux/amd64 and
	// linux/arm64), library/busybox:1.36 and other/tool:1.
	registryHost string
	// privateHost is a plain-HTTP registry that wants Basic credentials
	// ci / s3cret, holding team/app:v1.
	privateHost string
)

func TestMain(m *testing.M) {
	cleanCache := testenv.IsolateCache()
	cleanConfig := testenv.IsolateConfig()
	tb := testenv.NewMainTB()

	pub := testregistry.New(tb, testregistry.Options{})
	alpine := testimage.NewIndex(false,
		manifest.Platform{OS: "linux", Architecture: "amd64"},
		manifest.Platform{OS: "linux", Architecture: "arm64"})
	pub.PushIndex(tb, "library/alpine", "3.19", alpine)
	pub.PushIndex(tb, "library/alpine", "3.20", alpine)
	pub.Push(tb, "library/busybox", "1.36", testimage.New(testimage.Options{Docker: true, Seed: 1}))
	pub.Push(tb, "other/tool", "1", testimage.New(testimage.Options{Seed: 2}))
	registryHost = pub.Host()

	priv := testregistry.New(tb, testregistry.Options{Basic: &testregistry.Creds{Username: "ci", Password: "s3cret"}})
	priv.Push(tb, "team/app", "v1", testimage.New(testimage.Options{Seed: 3}))
	privateHost = priv.Host()

	code := m.Run()
	tb.Close()
	cleanConfig()
	cleanCache()
	os.Exit(code)
}

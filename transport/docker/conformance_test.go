package docker_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/ferrytool/ferry/internal/testregistry"
	"github.com/ferrytool/ferry/internal/transporttest"
	"github.com/ferrytool/ferry/transport/docker"
)

// TestConformance runs the transport suite against the in-process
// distribution registry.
func TestConformance(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t, testregistry.Options{})
	var n atomic.Int64
	transporttest.Run(t, transporttest.Subject{
		Transport: docker.New(*opts(reg)),
		NewName: func(t *testing.T) string {
			return "//" + reg.Ref(fmt.Sprintf("conformance/app%d:1", n.Add(1)))
		},
		ManifestCommits: true,
		HostileNames: []string{
			"//" + reg.Ref("../etc:1"),
			"//" + reg.Ref("App:1"),
			"//" + reg.Ref("app:../1"),
			"//" + reg.Ref("app@sha256:../../x"),
			"//user:password@" + reg.Ref("app:1"),
		},
	})
}

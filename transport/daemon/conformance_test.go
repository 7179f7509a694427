package daemon_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/ferrytool/ferry/internal/testdocker"
	"github.com/ferrytool/ferry/internal/transporttest"
	"github.com/ferrytool/ferry/transport"
	"github.com/ferrytool/ferry/transport/daemon"
)

// TestConformance runs the transport suite against the real Docker Engine
// the other daemon tests start. The Engine stores no index, and rewrites
// manifests (it keeps no digests), which the suite checks accordingly.
func TestConformance(t *testing.T) {
	d := testdocker.Start(t)
	var n atomic.Int64
	transporttest.Run(t, transporttest.Subject{
		Transport: daemon.New(daemon.Config{Host: d.Host}),
		NewName: func(t *testing.T) string {
			return fmt.Sprintf("example.com/conformance/app%d:1", n.Add(1))
		},
		Options:      func(t *testing.T) *transport.Options { return daemonOptions(t, d) },
		NoIndex:      true,
		HostileNames: []string{"", "../etc:1", "App:1", "app:../1"},
	})
}

// daemonOptions reach the test Engine.
func daemonOptions(t *testing.T, d *testdocker.Daemon) *transport.Options {
	return &transport.Options{TmpDir: t.TempDir()}
}

package layout_test

import (
	"testing"

	"github.com/ferrytool/ferry/internal/transporttest"
	"github.com/ferrytool/ferry/transport/layout"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	transporttest.Run(t, transporttest.Subject{
		Transport:    layout.Transport,
		NewName:      transporttest.NewPath("layout", ":v1"),
		Leftovers:    transporttest.ParentEntries,
		HostileNames: []string{":v1", "x:../../etc", "x:a/../../b", "x:/abs", "x:a//b", "x:@-1", "x:@0"},
	})
}

// TestConformanceSharedBlobDir runs the suite with every layout's blobs in
// one shared directory (--shared-blob-dir).
func TestConformanceSharedBlobDir(t *testing.T) {
	t.Parallel()
	transporttest.Run(t, transporttest.Subject{
		Transport: layout.New(layout.Config{SharedBlobDir: t.TempDir()}),
		NewName:   transporttest.NewPath("layout", ":v1"),
		Leftovers: transporttest.ParentEntries,
	})
}

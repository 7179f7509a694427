package dockerarchive_test

import (
	"testing"

	"github.com/ferrytool/ferry/internal/transporttest"
	"github.com/ferrytool/ferry/transport/dockerarchive"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	transporttest.Run(t, transporttest.Subject{
		Transport:    dockerarchive.Transport,
		NewName:      transporttest.NewPath("image.tar", ":example.com/app:1"),
		Leftovers:    transporttest.ParentEntries,
		NoIndex:      true,
		HostileNames: []string{"", "x.tar:../../etc:1", "x.tar:example.com/a/../b:1", "x.tar:@0"},
	})
}

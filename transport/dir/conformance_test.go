package dir_test

import (
	"testing"

	"github.com/ferrytool/ferry/internal/transporttest"
	"github.com/ferrytool/ferry/transport/dir"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	transporttest.Run(t, transporttest.Subject{
		Transport:    dir.Transport,
		NewName:      transporttest.NewPath("img", ""),
		Leftovers:    transporttest.ParentEntries,
		HostileNames: []string{""},
	})
}

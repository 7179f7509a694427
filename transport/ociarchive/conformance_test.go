package ociarchive_test

import (
	"testing"

	"github.com/ferrytool/ferry/internal/transporttest"
	"github.com/ferrytool/ferry/transport/ociarchive"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	transporttest.Run(t, transporttest.Subject{
		Transport:    ociarchive.Transport,
		NewName:      transporttest.NewPath("image.tar", ":v1"),
		Leftovers:    transporttest.ParentEntries,
		HostileNames: []string{":v1", "x.tar:../../etc", "x.tar:a/../../b", "x.tar:@-1", "x.tar:@0"},
	})
}

package mirror_test

import (
	"os"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
)

func TestMain(m *testing.M) {
	cleanup := testenv.IsolateCache()
	cleanupConfig := testenv.IsolateConfig()
	code := m.Run()
	cleanupConfig()
	cleanup()
	os.Exit(code)
}

package copier

import (
	"os"
	"testing"

	"github.com/ferrytool/ferry/internal/testenv"
)

func TestMain(m *testing.M) {
	cleanup := testenv.IsolateCache()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

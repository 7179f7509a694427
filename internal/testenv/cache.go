package testenv

import (
	"os"
)

// IsolateCache points $XDG_CACHE_HOME at a fresh temporary directory for
// the whole test binary, so tests that run copies (which keep downloads
// and registry hints in the user's cache) never touch the real one. Call
// it from TestMain; the returned func removes the directory.
func IsolateCache() func() {
	dir, err := os.MkdirTemp("", "ferry-test-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	return func() { os.RemoveAll(dir) }
}

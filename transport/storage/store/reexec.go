package store

import "go.podman.io/storage/pkg/reexec"

// Init runs one of the library's helper processes when the program was
// started as one, and then reports true: the caller must return from
// main at once. The store applies each layer in a chrooted copy of the
// running program (re-executed through /proc/self/exe), so a program
// that writes to a containers-storage: destination calls Init first
// thing in main, as podman and skopeo do; without it, applying a layer
// fails.
func Init() bool { return reexec.Init() }

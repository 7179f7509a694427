package fetch

import "sync"

// disk takes turns for a Fetcher's checkpoints. A checkpoint syncs a
// partial blob and writes its sidecar (create, sync, rename): calls that
// wait in the kernel for the filesystem's journal, each holding an OS
// thread, with its stacks, that the process keeps afterwards. Every
// blob's checkpoint at once (five blobs, four a second each) parked a
// thread per blob for nothing, since syncs to one disk take turns there
// anyway: in turn, a blob waits in Go instead. A blob's last sync does
// not wait (the kernel commits syncs that come together at once), nor do
// reads and writes (a blob's writes take turns among themselves only, see
// blobFetch.wmu): making writes wait for syncs too made the fast link 8%
// slower.
type disk struct{ turn sync.Mutex }

// synced runs fn, which syncs files (and may create and rename them), in
// turn.
func (d *disk) synced(fn func() error) error {
	d.turn.Lock()
	defer d.turn.Unlock()
	return fn()
}

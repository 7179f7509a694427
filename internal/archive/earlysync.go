package archive

import "os"

// earlySync is how many bytes a file output takes between fsyncs started
// in the background: the archive's pages go to disk while the copy goes
// on, so the fsync at Commit waits for the last few MiB rather than the
// whole archive (a 1 GiB archive from a fast registry otherwise spent
// most of a second there), and a killed copy leaves more of a partial
// archive on disk to resume from.
const earlySync = 64 << 20

// syncer fsyncs a file in the background each time it is poked, one
// fsync at a time; pokes during an fsync make one more.
type syncer struct {
	kick chan struct{}
	done chan struct{}
}

func startSyncer(f *os.File) *syncer {
	s := &syncer{kick: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for range s.kick {
			_ = f.Sync() // a hint: Commit's own fsync reports failures
		}
	}()
	return s
}

func (s *syncer) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// stop waits for the fsync under way, if any, and ends the syncer.
func (s *syncer) stop() {
	close(s.kick)
	<-s.done
}

package store

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/sirupsen/logrus"
)

// The containers/storage library logs through logrus's standard logger,
// which writes to stderr: a warning such as "Found incomplete layer"
// would reach the user past ferry's own logger. Opening a store routes
// that logger to the logger of the latest store opened instead (logrus
// has one logger per process, so the last caller's wins), and silences
// its own output.
var (
	libraryLog  atomic.Pointer[slog.Logger]
	routingOnce sync.Once
)

func routeLibraryLogs(log *slog.Logger) {
	libraryLog.Store(log)
	routingOnce.Do(func() {
		logrus.SetOutput(io.Discard)
		logrus.AddHook(logrusHook{})
	})
}

// logrusHook forwards logrus entries to libraryLog as debug lines: what
// the library warns about either comes back as the error ferry reports
// or is its own housekeeping ("Found incomplete layer ..., deleting it").
type logrusHook struct{}

func (logrusHook) Levels() []logrus.Level { return logrus.AllLevels }

func (logrusHook) Fire(e *logrus.Entry) error {
	log := libraryLog.Load()
	if log == nil {
		return nil
	}
	log.Log(context.Background(), slog.LevelDebug, "containers-storage: "+e.Message, "level", e.Level.String())
	return nil
}

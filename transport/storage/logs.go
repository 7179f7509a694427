package storage

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

// logrusHook forwards logrus entries to libraryLog: warnings and errors
// as warnings, the rest as debug lines.
type logrusHook struct{}

func (logrusHook) Levels() []logrus.Level { return logrus.AllLevels }

func (logrusHook) Fire(e *logrus.Entry) error {
	log := libraryLog.Load()
	if log == nil {
		return nil
	}
	level := slog.LevelDebug
	if e.Level <= logrus.WarnLevel {
		level = slog.LevelWarn
	}
	log.Log(context.Background(), level, "containers-storage: "+e.Message)
	return nil
}

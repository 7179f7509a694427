package fetch

import (
	"sync"
	"time"
)

// linkMeter is the link probe's evidence about one connection: the body
// bytes it delivered and the time spent inside body Reads waiting for
// them. Its rate, bytes per second of waiting, is what the connection
// delivers when asked, whatever the rest of the process does meanwhile: a
// reader slowed by a busy CPU, a slow disk or a slow upload downstream
// waits little and finds the bytes already there, so a fast link reads as
// fast on a loaded machine. Only a link that makes the reader wait (one
// throttled per connection, or far away) reads as slow, and only there do
// parallel ranges add speed. Wall-clock throughput alone cannot tell the
// two apart. The time to the answer is left out: on a busy machine it is
// mostly the server's and the scheduler's, and a slow link shows in the
// body anyway.
type linkMeter struct {
	mu     sync.Mutex
	bytes  int64
	waited time.Duration
	since  time.Time // when the wait in progress began; zero between waits
}

// begin is called before waiting on the connection.
func (m *linkMeter) begin() {
	m.mu.Lock()
	m.since = time.Now()
	m.mu.Unlock()
}

// end is called when the wait ended with n bytes.
func (m *linkMeter) end(n int) {
	m.mu.Lock()
	m.waited += time.Since(m.since)
	m.since = time.Time{}
	m.bytes += int64(n)
	m.mu.Unlock()
}

// probeEvidence is the least a connection must deliver before its rate
// counts: a few reads cannot tell a slow link from a server or a reader
// that lost the CPU for a moment on a busy machine.
const probeEvidence = 1 << 20

// rate is the bytes delivered per second of waiting, counting a wait in
// progress. ok is false while there is too little evidence: fewer than
// probeEvidence bytes, unless the connection kept the reader waiting four
// windows for them (a link that slow needs no more proof).
func (m *linkMeter) rate(window time.Duration) (rate float64, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	waited := m.waited
	if !m.since.IsZero() {
		waited += time.Since(m.since)
	}
	if m.bytes < probeEvidence && (waited <= 0 || waited < 4*window) {
		return 0, false
	}
	return float64(m.bytes) / max(waited.Seconds(), 1e-9), true
}

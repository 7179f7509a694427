package fetch

import (
	"context"
	"net/http/httptrace"
	"sync"
	"time"
)

// linkMeter is the link probe's evidence about one connection: the body
// bytes it delivered and the time spent inside body Reads waiting on the
// link for them. Its rate, bytes per second of waiting, is what the
// connection delivers when asked, whatever the rest of the process does
// meanwhile. Only a link that makes the reader wait (one throttled per
// connection, or far away) reads as slow, and only there do parallel
// ranges add speed. Wall-clock throughput alone cannot tell the two apart.
//
// A Read after which bytes are still queued on the socket (or that filled
// the buffer, where the queue cannot be read) did not wait on the link:
// the bytes were there before the reader got to them, so the time it took
// was the reader's (a busy CPU, the scheduler, a slow disk or upload
// downstream), and it is left out. On a loaded machine a fast link thus
// reads as fast. The time to the answer is left out too: on a busy
// machine it is mostly the server's and the scheduler's, and a slow link
// shows in the body anyway.
type linkMeter struct {
	mu     sync.Mutex
	bytes  int64
	waited time.Duration
	since  time.Time    // when the wait in progress began; zero between waits
	queue  *socketQueue // the connection read, once known (see watch)
}

// watch returns ctx with a trace that tells the meter which connection
// the request made with it reads from.
func (m *linkMeter) watch(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		q := newSocketQueue(i.Conn)
		m.mu.Lock()
		m.queue = q
		m.mu.Unlock()
	}})
}

// begin is called before waiting on the connection.
func (m *linkMeter) begin() {
	m.mu.Lock()
	m.since = time.Now()
	m.mu.Unlock()
}

// end is called when the wait ended with n bytes of the asked.
func (m *linkMeter) end(n, asked int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	waited := time.Since(m.since)
	m.since = time.Time{}
	m.bytes += int64(n)
	queued, known := m.queue.bytes()
	switch {
	case known && queued > 0:
		return // more was there: the reader, not the link, kept it waiting
	case !known && n > 0 && n == asked:
		return // as much as asked for was there
	}
	m.waited += waited
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

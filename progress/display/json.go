package display

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/ferrytool/ferry/progress"
	"github.com/opencontainers/go-digest"
)

// JSON writes one JSON object per line for tools: start, progress (at most
// every 500 ms per blob), skip, done and fail events, and a summary at Close.
type JSON struct {
	mu   sync.Mutex
	enc  *json.Encoder
	t    *tracker
	last map[digest.Digest]time.Time
}

// jsonEvent is the line format.
type jsonEvent struct {
	Event  string        `json:"event"`
	Digest digest.Digest `json:"digest,omitempty"`
	Size   int64         `json:"size,omitempty"`
	Bytes  int64         `json:"bytes,omitempty"`
	Error  string        `json:"error,omitempty"`
	Blobs  int           `json:"blobs,omitempty"`
	Secs   float64       `json:"seconds,omitempty"`
}

// NewJSON returns a JSON-lines reporter writing to w.
func NewJSON(w io.Writer) *JSON {
	return &JSON{enc: json.NewEncoder(w), t: newTracker(), last: map[digest.Digest]time.Time{}}
}

// Report implements progress.Reporter.
func (j *JSON) Report(e progress.Event) {
	st := j.t.update(e)
	ev := jsonEvent{Digest: st.d, Size: st.size, Bytes: st.done}
	switch e.Kind {
	case progress.Started:
		ev.Event = "start"
	case progress.Advanced:
		j.mu.Lock()
		due := time.Since(j.last[st.d]) >= 500*time.Millisecond
		if due {
			j.last[st.d] = time.Now()
		}
		j.mu.Unlock()
		if !due {
			return
		}
		ev.Event = "progress"
	case progress.Skipped:
		ev.Event = "skip"
	case progress.Done:
		ev.Event = "done"
	case progress.Failed:
		ev.Event, ev.Error = "fail", e.Err.Error()
	}
	j.write(ev)
}

func (j *JSON) write(ev jsonEvent) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.enc.Encode(ev)
}

// Close writes the summary line.
func (j *JSON) Close() {
	s := j.t.snapshot()
	j.write(jsonEvent{Event: "summary", Blobs: s.blobs, Bytes: s.moved, Secs: s.elapsed.Seconds()})
}

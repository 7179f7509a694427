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
// every 500 ms per blob), skip, done and fail events for blobs,
// image-start, image-skip, image-done and image-fail for images (every
// line naming its image and instance where known), and a summary at Close.
type JSON struct {
	mu   sync.Mutex
	enc  *json.Encoder
	t    *tracker
	last map[digest.Digest]time.Time
}

// jsonEvent is the line format.
type jsonEvent struct {
	Event    string        `json:"event"`
	Image    string        `json:"image,omitempty"`
	Instance digest.Digest `json:"instance,omitempty"`
	Digest   digest.Digest `json:"digest,omitempty"`
	Size     int64         `json:"size,omitempty"`
	Bytes    int64         `json:"bytes,omitempty"`
	Error    string        `json:"error,omitempty"`
	Blobs    int           `json:"blobs,omitempty"`
	Secs     float64       `json:"seconds,omitempty"`
}

var imageEvents = map[progress.Kind]string{
	progress.ImageStarted: "image-start",
	progress.ImageSkipped: "image-skip",
	progress.ImageDone:    "image-done",
	progress.ImageFailed:  "image-fail",
}

// NewJSON returns a JSON-lines reporter writing to w.
func NewJSON(w io.Writer) *JSON {
	return &JSON{enc: json.NewEncoder(w), t: newTracker(), last: map[digest.Digest]time.Time{}}
}

// Report implements progress.Reporter.
func (j *JSON) Report(e progress.Event) {
	if e.Kind.IsImage() {
		ev := jsonEvent{Event: imageEvents[e.Kind], Image: e.Image, Digest: e.Descriptor.Digest, Size: e.Descriptor.Size}
		if e.Err != nil {
			ev.Error = e.Err.Error()
		}
		j.write(ev)
		return
	}
	st := j.t.update(e)
	ev := jsonEvent{Image: e.Image, Instance: e.Instance, Digest: st.d, Size: st.size, Bytes: st.done}
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

package display

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/ferrytool/ferry/progress"
	"github.com/opencontainers/go-digest"
)

// JSON writes one JSON object per line for tools: queued, start, progress
// (at most every 500 ms per blob, "cached" for bytes reused from the blob
// cache), skip, done and fail events for blobs, image-start, image-step,
// image-skip, image-done and image-fail for images (every line naming its
// image and instance where known), and a summary at Close whose "bytes"
// were transferred from the source, "cached_bytes" reused from the blob cache
// and "present" already at the destination.
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
	// Cached: the progress event's bytes came from the blob cache;
	// CachedBytes: the summary's bytes reused from it.
	Cached      bool   `json:"cached,omitempty"`
	CachedBytes int64  `json:"cached_bytes,omitempty"`
	Present     int64  `json:"present,omitempty"`
	Step        string `json:"step,omitempty"`
	List        bool   `json:"list,omitempty"`
	Index       int    `json:"index,omitempty"`
	Count       int    `json:"count,omitempty"`
	Detail      string `json:"detail,omitempty"`
}

var stepNames = map[progress.Step]string{
	progress.StepSignatures:      "signatures",
	progress.StepInstances:       "instances",
	progress.StepInstance:        "instance",
	progress.StepManifest:        "manifest",
	progress.StepStoreSignatures: "store-signatures",
	progress.StepCommit:          "commit",
}

var imageEvents = map[progress.Kind]string{
	progress.ImageStarted: "image-start",
	progress.ImageSkipped: "image-skip",
	progress.ImageDone:    "image-done",
	progress.ImageFailed:  "image-fail",
	progress.ImageStep:    "image-step",
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
		if e.Kind == progress.ImageStep {
			ev.Step, ev.List, ev.Index, ev.Count, ev.Detail = stepNames[e.Step], e.List, e.Index, e.Count, e.Detail
		}
		j.write(ev)
		return
	}
	_, st := j.t.update(e)
	ev := jsonEvent{Image: e.Image, Instance: e.Instance, Digest: st.d, Size: st.size, Bytes: st.done}
	switch e.Kind {
	case progress.Queued:
		ev.Event = "queued"
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
		ev.Cached = e.Cached
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
	j.write(jsonEvent{Event: "summary", Blobs: s.done + s.skipped, Bytes: s.net, CachedBytes: s.cached,
		Present: s.present, Secs: s.elapsed.Seconds()})
}

package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrytool/ferry"
	"github.com/ferrytool/ferry/progress"
	"github.com/spf13/cobra"
)

// runSync plans the sync (every check and listing before the first
// copy), then runs it, writing skopeo's log lines to stderr and
// --digestfile and --report at the end, whatever happened.
func (a *app) runSync(cmd *cobra.Command, o *syncOptions, src, dst string) error {
	m, err := a.syncSetup(cmd, o, src, dst)
	if err != nil {
		return err
	}
	log := &syncLog{w: a.stderr}
	var digests, report bytes.Buffer
	m.sync.OnResult = func(r ferry.SyncResult) {
		logResult(log, r)
		if r.Status == ferry.SyncSkipped && !o.quiet {
			// skopeo's copy says this line after "Copying image ref";
			// images run in parallel here, so it names the image.
			log.line("info", "Skipping: image already present at destination", "from", r.Source, "to", r.Destination)
		}
		if r.Status != ferry.SyncFailed && r.Digest != "" {
			fmt.Fprintf(&digests, "%s %s\n", r.Digest, r.Destination)
		}
		if o.report != "" {
			b, _ := json.Marshal(r)
			report.Write(append(b, '\n'))
		}
	}
	if !o.quiet {
		m.sync.OnStart = func(img ferry.SyncImage) {
			log.line("info", fmt.Sprintf("Copying image ref %d/%d", img.N, img.Of), "from", img.Source, "to", img.Destination)
		}
	}
	// The progress display starts once the plan is made (not at all for
	// a dry run); events reach it through reporter.
	var reporter atomic.Pointer[progress.Reporter]
	opts := append(m.copy.ferryOptions(), ferry.WithProgress(func(e ferry.Event) {
		if r := reporter.Load(); r != nil {
			(*r).Report(e)
		}
	}))
	ctx, client, done, err := a.session(cmd)
	if err != nil {
		return err
	}
	defer done()
	plan, err := client.PlanSync(ctx, m.src, m.dst, m.sync, opts...)
	if err != nil {
		return err
	}
	if o.dryRun {
		log.line("warning", "Running in dry-run mode")
		for _, img := range plan.Images {
			log.line("info", fmt.Sprintf("Would have copied image ref %d/%d", img.N, img.Of), "from", img.Source, "to", img.Destination)
		}
		log.line("info", fmt.Sprintf("Would have synced %d images from %d sources", len(plan.Images), plan.Sources))
		return nil
	}
	rep, stop, err := a.newProgress(o.progress, o.quiet)
	if err != nil {
		return err
	}
	if rep != nil {
		reporter.Store(&rep)
	}
	sum, runErr := plan.Run(ctx)
	stop()
	if err := a.writeSyncFiles(o, digests.Bytes(), report.Bytes()); err != nil {
		return err
	}
	if sum != nil {
		log.line("info", fmt.Sprintf("Synced %d images from %d sources", sum.Copied+sum.Skipped, plan.Sources),
			"copied", fmt.Sprint(sum.Copied), "skipped", fmt.Sprint(sum.Skipped), "failed", fmt.Sprint(sum.Failed))
	}
	if runErr != nil {
		return copyError(runErr)
	}
	return nil
}

// logResult reports a failed image as skopeo does with --keep-going.
func logResult(log *syncLog, r ferry.SyncResult) {
	if r.Status == ferry.SyncFailed {
		log.line("error", fmt.Sprintf("Error copying ref %q", r.Source), "error", r.Error)
	}
}

func (a *app) writeSyncFiles(o *syncOptions, digests, report []byte) error {
	if o.digestFile != "" {
		if err := writeFileAtomic(o.digestFile, digests); err != nil {
			return fmt.Errorf("--digestfile: %w", err)
		}
	}
	if o.report != "" {
		if err := writeFileAtomic(o.report, report); err != nil {
			return fmt.Errorf("--report: %w", err)
		}
	}
	return nil
}

// logLine writes one line to stderr in skopeo's (logrus's) text format,
// which scripts parse: time="..." level=info msg="..." key=value.
type syncLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *syncLog) line(level, msg string, kv ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	writeLogLine(l.w, time.Now(), level, msg, kv...)
}

func writeLogLine(w io.Writer, t time.Time, level, msg string, kv ...string) {
	var b strings.Builder
	fmt.Fprintf(&b, "time=%q level=%s msg=%s", t.Format(time.RFC3339), level, logValue(msg))
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %s=%s", kv[i], logValue(kv[i+1]))
	}
	b.WriteByte('\n')
	io.WriteString(w, b.String())
}

// logValue quotes v unless it holds only the characters logrus leaves
// bare.
func logValue(v string) string {
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._/@^+", r)) {
			return fmt.Sprintf("%q", v)
		}
	}
	if v == "" {
		return `""`
	}
	return v
}

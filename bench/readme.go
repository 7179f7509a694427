//go:build linux

package main

import (
	"fmt"
	"io"
	"strings"
)

// readmeTools are the columns of the README's benchmark table.
var readmeTools = []string{"ferry", "skopeo", "crane", "regctl"}

// printReadme writes the README's benchmark table rows from this run's
// medians, so the claim in the README is this run's measurement: one row
// per scenario, a cell per tool (time, and what else the scenario is
// about), and ferry against the best peer in the last column (time and
// peak memory; above 1 means ferry does better).
func printReadme(w io.Writer, results []*scenarioResult, im *benchImage, o options, loads []string) {
	fmt.Fprintf(w, "\n== README rows (medians of %d runs, %s image; load before/after each scenario: %s) ==\n",
		o.runs, fmtBytes(im.Compressed()), strings.Join(loads, "; "))
	fmt.Fprintln(w, "| scenario | "+strings.Join(readmeTools, " | ")+" | ferry vs best peer |")
	fmt.Fprintln(w, "| --- |"+strings.Repeat(" --- |", len(readmeTools)+1))
	for _, res := range results {
		rows := map[string]*row{}
		for _, r := range res.Rows {
			rows[r.Tool] = r
		}
		cells := []string{readmeTitle(res)}
		for _, name := range readmeTools {
			cells = append(cells, readmeCell(res, rows[name]))
		}
		cells = append(cells, readmeVerdict(res, rows))
		fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |")
	}
}

func readmeTitle(res *scenarioResult) string {
	switch res.Name {
	case "fast":
		return "fast link, registry → `oci:`: time on disk (exit) / peak RSS (anon)"
	case "throttled":
		return "throttled link, registry → `oci:`: time on disk (exit) / peak RSS (anon)"
	case "archive":
		return "registry → `docker-archive:`: time on disk (exit) / peak RSS (anon) / disk peak"
	case "registry":
		return "registry → registry (fast link): time / peak RSS (anon)"
	case "resume":
		return "resume after SIGKILL (throttled): bytes fetched again"
	case "sync":
		return "`sync` of 100 small images, throttled link: time / peak RSS (anon)"
	case "resync":
		return "the same `sync` again: time / requests at the source"
	}
	return res.Name
}

// readmeCell is one tool's result in one scenario.
func readmeCell(res *scenarioResult, r *row) string {
	switch {
	case r == nil:
		return "-"
	case r.Status != "ok":
		return r.Status
	case res.Resume:
		return fmt.Sprintf("%s MB (%.0f%%)", mb(r.Resume.Refetched), 100*ratio(r.Resume.Refetched, r.Resume.FirstReceived))
	}
	m := r.Median
	cell := fmt.Sprintf("%.2f s", m.Time().Seconds())
	if m.ToDisk > 0 {
		cell += fmt.Sprintf(" (exit %.2f s)", m.Wall.Seconds())
	}
	switch res.Kind {
	case kindResync:
		return cell + fmt.Sprintf(" / %d", m.Wire.Requests)
	case kindArchive:
		return cell + fmt.Sprintf(" / %s / %.2f GB", memCell(m), float64(m.DiskPeak)/1e9)
	}
	return cell + " / " + memCell(m)
}

// memCell is peak RSS with peak anonymous memory.
func memCell(m *runResult) string {
	return fmt.Sprintf("%s (anon %s)", fmtBytes(m.MaxRSSKiB*1024), fmtBytes(m.MaxAnonKiB*1024))
}

// readmeVerdict compares ferry with the best peer: time, and peak memory
// against the leanest; on the fast link also against the limit probe.
func readmeVerdict(res *scenarioResult, rows map[string]*row) string {
	ferry := rows["ferry"]
	if ferry == nil || ferry.Status != "ok" {
		return "no ferry result"
	}
	var fastest, leanest, leanestAnon *row
	for _, name := range readmeTools[1:] {
		r := rows[name]
		if r == nil || r.Status != "ok" {
			continue
		}
		if res.Resume {
			if fastest == nil || r.Resume.Second.Wall < fastest.Resume.Second.Wall {
				fastest = r
			}
			continue
		}
		if fastest == nil || r.Median.Time() < fastest.Median.Time() {
			fastest = r
		}
		if leanest == nil || r.Median.MaxRSSKiB < leanest.Median.MaxRSSKiB {
			leanest = r
		}
		if leanestAnon == nil || r.Median.MaxAnonKiB < leanestAnon.Median.MaxAnonKiB {
			leanestAnon = r
		}
	}
	if fastest == nil {
		return "no peer result"
	}
	if res.Resume {
		return fmt.Sprintf("2nd run %.2f× %s", fastest.Resume.Second.Wall.Seconds()/ferry.Resume.Second.Wall.Seconds(), fastest.Tool)
	}
	s := fmt.Sprintf("time %.2f× %s, peak RSS %.2f× %s (anon %.2f× %s)", fastest.Median.Time().Seconds()/ferry.Median.Time().Seconds(), fastest.Tool,
		ratio(leanest.Median.MaxRSSKiB, ferry.Median.MaxRSSKiB), leanest.Tool,
		ratio(leanestAnon.Median.MaxAnonKiB, ferry.Median.MaxAnonKiB), leanestAnon.Tool)
	if l := rows[probeName]; l != nil && l.Status == "ok" && l.Median != nil {
		s += fmt.Sprintf("; %.0f%% of the limit probe", 100*l.Median.Time().Seconds()/ferry.Median.Time().Seconds())
	}
	return s
}

//go:build linux

package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// printScenario writes one scenario's table and its ratio lines.
func printScenario(w io.Writer, res *scenarioResult, im *benchImage, o options) {
	title := res.Title
	if res.Slow {
		title += fmt.Sprintf(" (%s/s per connection, +%s latency)", o.bandwidthText, o.latency)
	}
	fmt.Fprintf(w, "\n== %s: %s ==\n", res.Name, title)
	fmt.Fprintf(w, "load averages (1, 5, 15 min): %s before, %s after\n", res.Load[0], res.Load[1])
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
	switch {
	case res.Resume:
		fmt.Fprintln(tw, "tool    \t1st run received (MB)\t2nd run time\t2nd run fetched (MB)\t2nd/1st\tre-fetched (% of 1st)\tpeak RSS\t")
	case res.Kind == kindArchive:
		fmt.Fprintln(tw, "tool    \ton disk (median)\trange\tpeak RSS\tpeak anon\tfetched (MB)\tdisk peak (MB)\tarchive (MB)\tarchive/image\texit (median)\t")
	case res.Kind == kindRegistry:
		fmt.Fprintln(tw, "tool    \ttime (median)\trange\tpeak RSS\tpeak anon\tfetched (MB)\tpushed (MB)\t")
	case isSync(res.Kind):
		fmt.Fprintln(tw, "tool    \ttime (median)\trange\tpeak RSS\tpeak anon\tsource requests\ttag list GETs\tmanifest GETs\tblob GETs\trequests/image after listing\t")
	case onDisk(res.Kind):
		fmt.Fprintln(tw, "tool    \ton disk (median)\trange\tpeak RSS\tpeak anon\tfetched (MB)\tblob GETs\texit (median)\t")
	default:
		fmt.Fprintln(tw, "tool    \ttime (median)\trange\tpeak RSS\tpeak anon\tfetched (MB)\tblob GETs\t")
	}
	var notes []string
	for _, r := range res.Rows {
		if r.Status != "ok" {
			fmt.Fprintf(tw, "%-8s\t%s\t\n", r.Tool, r.Status)
			notes = append(notes, fmt.Sprintf("  %s: %s", r.Tool, clip(r.Note, 300)))
			continue
		}
		if res.Resume {
			rs := r.Resume
			fmt.Fprintf(tw, "%-8s\t%s\t%s\t%s\t%.2f\t%.0f%%\t%s\t\n", r.Tool, mb(rs.FirstReceived), fmtDur(rs.Second.Wall),
				mb(rs.SecondFetched), ratio(rs.SecondFetched, rs.FirstReceived),
				100*ratio(rs.Refetched, rs.FirstReceived), fmtBytes(rs.Second.MaxRSSKiB*1024))
			continue
		}
		m := r.Median
		cells := []string{fmt.Sprintf("%-8s", r.Tool), fmtDur(m.Time()), spread(r.Runs), fmtBytes(m.MaxRSSKiB * 1024), fmtBytes(m.MaxAnonKiB * 1024), mb(m.Fetched())}
		switch res.Kind {
		case kindArchive:
			cells = append(cells, mb(m.DiskPeak), mb(m.OutSize), fmt.Sprintf("%.2fx", ratio(m.OutSize, im.Compressed())), fmtDur(m.Wall))
		case kindRegistry:
			cells = append(cells, mb(m.Pushed))
		case kindSync, kindResync:
			cells = append(cells[:5], fmt.Sprint(m.Wire.Requests), fmt.Sprint(m.Wire.TagLists), fmt.Sprint(m.Wire.ManifestGets),
				fmt.Sprint(m.Wire.BlobGets), fmt.Sprintf("%.2f", perImage(m.Wire)))
		case kindOCI:
			cells = append(cells, fmt.Sprint(m.Wire.BlobGets), fmtDur(m.Wall))
		default:
			cells = append(cells, fmt.Sprint(m.Wire.BlobGets))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	_ = tw.Flush()
	for _, s := range append(notes, res.Summary...) {
		fmt.Fprintln(w, s)
	}
}

// summarize compares ferry with the best peer on each measure. Every
// ratio is peer / ferry, so above 1 means ferry does better (faster,
// leaner, less disk, less re-fetched).
func summarize(res *scenarioResult, im *benchImage) []string {
	var ferry *row
	var peers []*row
	var limit, base *row
	for _, r := range res.Rows {
		switch {
		case r.Status != "ok":
		case r.Tool == "ferry":
			ferry = r
		case r.Tool == probeName:
			limit = r
		case r.Tool == baselineName:
			base = r
		default:
			peers = append(peers, r)
		}
	}
	if ferry == nil {
		return []string{"ferry vs best peer: no ferry result"}
	}
	if len(peers) == 0 {
		out := []string{"ferry vs best peer: no peer result"}
		if base != nil && !res.Resume {
			out = append(out, baselineLine(ferry, base))
		}
		return out
	}
	best := func(v func(*row) float64) *row {
		return slices.MinFunc(peers, func(a, b *row) int {
			switch va, vb := v(a), v(b); {
			case va < vb:
				return -1
			case va > vb:
				return 1
			}
			return 0
		})
	}
	line := func(what string, v func(*row) float64, unit func(float64) string) string {
		p := best(v)
		return fmt.Sprintf("  %-10s %5.2fx  (%s %s / ferry %s)", what, v(p)/v(ferry), p.Tool, unit(v(p)), unit(v(ferry)))
	}
	secs := func(f float64) string { return fmt.Sprintf("%.2fs", f) }
	mib := func(f float64) string { return fmtBytes(int64(f)) }
	mbs := func(f float64) string { return mb(int64(f)) + " MB" }
	out := []string{"ferry vs best peer (peer / ferry; above 1 = ferry better):"}
	if res.Resume {
		refetch := func(r *row) float64 { return float64(r.Resume.Refetched) }
		p := best(refetch)
		out = append(out, fmt.Sprintf("  re-fetched  ferry %s MB (%.0f%% of its 1st run), best peer %s %s MB (%.0f%%)",
			mb(ferry.Resume.Refetched), 100*ratio(ferry.Resume.Refetched, ferry.Resume.FirstReceived),
			p.Tool, mb(p.Resume.Refetched), 100*ratio(p.Resume.Refetched, p.Resume.FirstReceived)))
		out = append(out, line("2nd run", func(r *row) float64 { return r.Resume.Second.Wall.Seconds() }, secs))
		return out
	}
	out = append(out, line("time", func(r *row) float64 { return r.Median.Time().Seconds() }, secs))
	out = append(out, line("peak RSS", func(r *row) float64 { return float64(r.Median.MaxRSSKiB * 1024) }, mib))
	out = append(out, line("peak anon", func(r *row) float64 { return float64(r.Median.MaxAnonKiB * 1024) }, mib))
	if isSync(res.Kind) {
		out = append(out, line("requests", func(r *row) float64 { return float64(r.Median.Wire.Requests) },
			func(f float64) string { return fmt.Sprintf("%.0f", f) }))
	}
	if res.Kind == kindArchive {
		out = append(out, line("disk peak", func(r *row) float64 { return float64(r.Median.DiskPeak) }, mbs))
	}
	if base != nil {
		out = append(out, baselineLine(ferry, base))
	}
	if limit != nil {
		out = append(out, fmt.Sprintf("  ferry runs at %.0f%% of the limit probe's speed (%s vs %s)",
			100*limit.Median.Time().Seconds()/ferry.Median.Time().Seconds(), fmtDur(ferry.Median.Time()), fmtDur(limit.Median.Time())))
	}
	return out
}

// baselineLine compares ferry with the earlier build given by -baseline.
func baselineLine(ferry, base *row) string {
	return fmt.Sprintf("  ferry vs %s: time %.2fx, peak RSS %.2fx (%s / %s; above 1 = ferry better)", baselineName,
		base.Median.Time().Seconds()/ferry.Median.Time().Seconds(), ratio(base.Median.MaxRSSKiB, ferry.Median.MaxRSSKiB),
		fmtDur(base.Median.Time()), fmtDur(ferry.Median.Time()))
}

// perImage is the source requests of a sync beyond its tag listing,
// per image: what recognising (or copying) each image cost.
func perImage(w wireCount) float64 {
	return float64(w.Requests-w.TagLists) / syncImages
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// spread is the min-max range of the run times.
func spread(runs []runResult) string {
	if len(runs) < 2 {
		return "-"
	}
	lo, hi := runs[0].Time(), runs[0].Time()
	for _, r := range runs[1:] {
		lo, hi = min(lo, r.Time()), max(hi, r.Time())
	}
	return fmt.Sprintf("%.2f-%.2fs", lo.Seconds(), hi.Seconds())
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// printHeader writes the machine, the image and the settings, so a table
// read later says where and how it was measured.
func printHeader(w io.Writer, m machine, im *benchImage, o options, tools []*tool) {
	fmt.Fprintf(w, "ferry bench, %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "load:     %s (1, 5, 15 min averages at the start; each scenario states its own)\n", loadAvg())
	fmt.Fprintf(w, "machine:  %s, %d cores, %s RAM, %s, Go %s %s/%s\n",
		m.CPU, m.Cores, fmtBytes(m.MemBytes), m.Kernel, m.GoVersion, m.OS, m.Arch)
	fmt.Fprintf(w, "image:    %d layers, %s compressed (%s uncompressed, gzip %.2fx), layers %s\n",
		len(im.Layers), fmtBytes(im.Compressed()), fmtBytes(im.Uncompressed),
		ratio(im.Uncompressed, im.Compressed()), layerList(im))
	fmt.Fprintf(w, "registry: distribution/v3 in process, filesystem storage, plain HTTP on loopback\n")
	fmt.Fprintf(w, "links:    fast = direct; throttled = toxiproxy, %s/s per connection + %s latency (downstream)\n",
		o.bandwidthText, o.latency)
	fmt.Fprintf(w, "runs:     %d per tool and scenario (median shown; resume: 1), timeout %s, resume kill at %.0f%% of the image\n",
		o.runs, o.timeout, 100*o.resumeAt)
	fmt.Fprintf(w, "tools:   ")
	for _, t := range tools {
		fmt.Fprintf(w, " %s;", t)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "units:    MB = 10^6 bytes; RSS = peak resident set of the process (VmHWM, sampled every 10 ms)")
	fmt.Fprintln(w, "fetched:  blob bytes the registry served; on the throttled link, the bytes that crossed the link")
}

func layerList(im *benchImage) string {
	parts := make([]string, len(im.Layers))
	for i, l := range im.Layers {
		parts[i] = fmtBytes(l.Size)
	}
	return strings.Join(parts, " + ")
}

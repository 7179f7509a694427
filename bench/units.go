//go:build linux

package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseSize reads "1GiB", "200MiB", "10MB", "512k" or a plain byte count.
// Binary suffixes (KiB, MiB, GiB) are powers of 1024; decimal ones (kB,
// MB, GB) powers of 1000, as in the SI and in network rates.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSuffix(t, "/s")
	units := []struct {
		suffix string
		mult   int64
	}{
		{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"ki", 1 << 10}, {"mi", 1 << 20}, {"gi", 1 << 30},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
		{"k", 1e3}, {"m", 1e6}, {"g", 1e9}, {"b", 1},
	}
	lower := strings.ToLower(t)
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(lower, u.suffix) {
			mult, lower = u.mult, strings.TrimSpace(strings.TrimSuffix(lower, u.suffix))
			break
		}
	}
	v, err := strconv.ParseFloat(lower, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a size (want e.g. 1GiB, 200MiB, 10MB)", s)
	}
	return int64(v * float64(mult)), nil
}

// fmtBytes prints a byte count with a binary unit: "1.00 GiB".
func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// mb prints bytes as decimal megabytes, the unit of the tables.
func mb(n int64) string { return fmt.Sprintf("%.1f", float64(n)/1e6) }

// fmtDur prints a duration in seconds with two decimals.
func fmtDur(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// Command mirror copies a list of images into a registry of your own, as a
// platform team keeps a private mirror: a small program that embeds ferry
// as a library (package github.com/ferrytool/ferry) and nothing else.
//
//	mirror [-insecure HOST,...] [-jobs N] -to HOST[/PREFIX] LIST-FILE
//
// LIST-FILE names one source image per line ("docker://nginx:1.27",
// "docker://quay.io/org/app@sha256:..."); blank lines and lines starting
// with # are skipped. Each image goes to HOST/PREFIX/REPOSITORY with its
// tag or digest, REPOSITORY being its name without the registry
// ("library/nginx"). Credentials come from the usual places (auth.json,
// Docker's config.json); -insecure lists the registries that may be
// reached over plain HTTP (a local mirror, say). Progress goes to standard error; standard output
// lists "DIGEST DESTINATION" for every image copied. The exit status is 1
// when any image failed.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

func main() {
	to := flag.String("to", "", "the registry (and path prefix) to mirror into: `HOST[/PREFIX]`")
	insecure := flag.String("insecure", "", "comma-separated registry `HOSTS` allowed plain HTTP and unverified TLS")
	jobs := flag.Int("jobs", 4, "images copied at once")
	flag.Parse()
	if *to == "" || flag.NArg() != 1 || *jobs < 1 {
		fmt.Fprintln(os.Stderr, "usage: mirror [-insecure HOST,...] [-jobs N] -to HOST[/PREFIX] LIST-FILE")
		os.Exit(2)
	}
	images, err := readList(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "mirror:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var hosts []string
	if *insecure != "" {
		hosts = strings.Split(*insecure, ",")
	}
	m := mirror{to: *to, insecure: hosts, jobs: *jobs, stdout: os.Stdout, stderr: os.Stderr}
	if failed := m.run(ctx, images); failed > 0 {
		fmt.Fprintf(os.Stderr, "mirror: %d of %d images failed\n", failed, len(images))
		os.Exit(1)
	}
}

// readList reads the image list: one name per line, # comments.
func readList(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseList(f)
}

func parseList(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}

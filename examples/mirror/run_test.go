package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ferrytool/ferry"
	"github.com/ferrytool/ferry/internal/testimage"
	"github.com/ferrytool/ferry/internal/testregistry"
)

// TestMirror mirrors two images of one in-process registry into another
// and one name that does not exist: the two arrive, the third is reported
// and counted as failed.
func TestMirror(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // where ferry records registry hints
	src := testregistry.New(t, testregistry.Options{})
	img := testimage.New(testimage.Options{Seed: 7})
	src.Push(t, "library/alpine", "3.20", img)
	src.Push(t, "team/app", "v1", testimage.New(testimage.Options{Seed: 8}))
	dst := testregistry.New(t, testregistry.Options{})

	var stdout, stderr bytes.Buffer
	m := mirror{to: dst.Host() + "/mirror", insecure: []string{src.Host(), dst.Host()}, jobs: 2, stdout: &stdout, stderr: &stderr}
	images := []string{
		"docker://" + src.Ref("library/alpine:3.20"),
		"docker://" + src.Ref("team/app:v1"),
		"docker://" + src.Ref("team/missing:v1"),
	}
	if failed := m.run(context.Background(), images); failed != 1 {
		t.Errorf("run: %d failed, want 1; stderr:\n%s", failed, stderr.String())
	}
	if !strings.Contains(stdout.String(), img.Digest.String()+" docker://"+dst.Host()+"/mirror/library/alpine:3.20\n") {
		t.Errorf("stdout does not list the alpine copy:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "team/missing:v1") {
		t.Errorf("stderr does not report the missing image:\n%s", stderr.String())
	}
	tags, err := ferry.ListTags(context.Background(), "docker://"+dst.Host()+"/mirror/team/app", ferry.WithInsecure())
	if err != nil || strings.Join(tags.Tags, ",") != "v1" {
		t.Errorf("mirrored team/app tags = %v, %v; want [v1]", tags, err)
	}
}

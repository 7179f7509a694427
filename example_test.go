package ferry_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"

	"github.com/ferrytool/ferry"
	"github.com/ferrytool/ferry/policy"
	"github.com/ferrytool/ferry/progress"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The examples copy from registries that TestMain starts in the test
// process: registryHost and privateHost are their "127.0.0.1:PORT". They
// serve plain HTTP, which ferry allows only when told (WithInsecure).

// Copy an image from a registry into a `docker save` archive.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ferry-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	src := "docker://" + registryHost + "/library/busybox:1.36"
	dst := "docker-archive:" + filepath.Join(dir, "busybox.tar") + ":busybox:1.36"
	res, err := ferry.Copy(ctx, src, dst, ferry.WithInsecure(registryHost))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.MediaType)
	// Output: application/vnd.docker.distribution.manifest.v2+json
}

// Report progress: every event of every blob comes to the function given.
func ExampleWithProgress() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ferry-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	var mu sync.Mutex // events come from concurrent transfers
	done := 0
	onEvent := func(e ferry.Event) {
		mu.Lock()
		defer mu.Unlock()
		switch e.Kind {
		case progress.Done:
			done++
		case progress.ImageDone:
			fmt.Printf("%s: %d blobs copied\n", e.Image, done)
		}
	}
	_, err = ferry.Copy(ctx,
		"docker://"+registryHost+"/other/tool:1",
		"oci:"+filepath.Join(dir, "layout")+":tool",
		ferry.WithInsecure(registryHost),
		ferry.WithProgress(onEvent),
		ferry.WithLabel("tool"))
	if err != nil {
		log.Fatal(err)
	}
	// Output: tool: 3 blobs copied
}

// Log in to a registry that wants credentials; without them, the error
// matches ErrUnauthorized.
func ExampleWithCredentials() {
	ctx := context.Background()
	src := "docker://" + privateHost + "/team/app:v1"

	_, err := ferry.Inspect(ctx, src, ferry.WithInsecure(privateHost), ferry.WithAnonymous())
	fmt.Println("anonymous:", errors.Is(err, ferry.ErrUnauthorized))

	info, err := ferry.Inspect(ctx, src,
		ferry.WithInsecure(privateHost),
		ferry.WithCredentials(privateHost, "ci", "s3cret"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("with credentials:", info.RepoTags)
	// Output:
	// anonymous: true
	// with credentials: [v1]
}

// Check images against a trust policy (containers-policy.json(5)) before
// copying: a refusal matches ErrRejected, and nothing is written.
func ExampleWithPolicy() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ferry-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Reject everything except the library/ namespace of one registry.
	p, err := policy.Parse([]byte(`{
		"default": [{"type": "reject"}],
		"transports": {"docker": {"` + registryHost + `/library": [{"type": "insecureAcceptAnything"}]}}
	}`))
	if err != nil {
		log.Fatal(err)
	}
	c, err := ferry.NewClient(ferry.WithPolicy(p), ferry.WithInsecure(registryHost))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for _, repo := range []string{"library/busybox:1.36", "other/tool:1"} {
		_, err := c.Copy(ctx, "docker://"+registryHost+"/"+repo, "dir:"+filepath.Join(dir, filepath.Base(repo)))
		switch {
		case errors.Is(err, ferry.ErrRejected):
			fmt.Println(repo, "rejected")
		case err != nil:
			log.Fatal(err)
		default:
			fmt.Println(repo, "copied")
		}
	}
	// Output:
	// library/busybox:1.36 copied
	// other/tool:1 rejected
}

// Copy a multi-platform image whole: the index and the image of every
// platform.
func ExampleWithAllPlatforms() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ferry-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	res, err := ferry.Copy(ctx,
		"docker://"+registryHost+"/library/alpine:3.20",
		"oci:"+filepath.Join(dir, "layout")+":alpine",
		ferry.WithInsecure(registryHost),
		ferry.WithAllPlatforms())
	if err != nil {
		log.Fatal(err)
	}
	var index ocispec.Index
	if err := json.Unmarshal(res.Manifest, &index); err != nil {
		log.Fatal(err)
	}
	for _, m := range index.Manifests {
		fmt.Println(m.Platform.OS + "/" + m.Platform.Architecture)
	}
	// Output:
	// linux/amd64
	// linux/arm64
}

// Read an archive from any io.Reader (a file here; an HTTP response body
// or a pipe alike): the name "-" stands for the reader.
func ExampleWithStdin() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ferry-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	archive := filepath.Join(dir, "busybox.tar")
	if _, err := ferry.Copy(ctx, "docker://"+registryHost+"/library/busybox:1.36", "docker-archive:"+archive,
		ferry.WithInsecure(registryHost)); err != nil {
		log.Fatal(err)
	}

	f, err := os.Open(archive)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	res, err := ferry.Copy(ctx, "docker-archive:-", "oci:"+filepath.Join(dir, "layout")+":busybox",
		ferry.WithStdin(f))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.MediaType)
	// Output: application/vnd.oci.image.manifest.v1+json
}

// A Client shares connections, credentials and tokens between its calls,
// which may run concurrently; Source and Destination scope options to one
// side of a copy.
func ExampleClient() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ferry-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	c, err := ferry.NewClient(
		ferry.WithInsecure(registryHost, privateHost),
		ferry.Source(ferry.WithCredentials(privateHost, "ci", "s3cret")))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	images := []string{"docker://" + privateHost + "/team/app:v1", "docker://" + registryHost + "/other/tool:1"}
	errs := make([]error, len(images))
	var wg sync.WaitGroup
	for i, src := range images {
		wg.Go(func() {
			_, errs[i] = c.Copy(ctx, src, "dir:"+filepath.Join(dir, fmt.Sprint(i)))
		})
	}
	wg.Wait()
	fmt.Println(errors.Join(errs...) == nil)
	// Output: true
}

// Inspect an image of a multi-platform index, for another platform than
// the host's.
func ExampleInspect() {
	info, err := ferry.Inspect(context.Background(), "docker://"+registryHost+"/library/alpine:3.20",
		ferry.WithInsecure(registryHost),
		ferry.WithPlatform(ferry.Platform{OS: "linux", Architecture: "arm64"}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Os, info.Architecture, info.RepoTags)
	// Output: linux arm64 [3.19 3.20]
}

// List a repository's tags; a repository that does not exist matches
// ErrNotFound.
func ExampleListTags() {
	ctx := context.Background()
	tags, err := ferry.ListTags(ctx, "docker://"+registryHost+"/library/alpine", ferry.WithInsecure(registryHost))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tags.Tags)

	_, err = ferry.ListTags(ctx, "docker://"+registryHost+"/library/nothing", ferry.WithInsecure(registryHost))
	fmt.Println(errors.Is(err, ferry.ErrNotFound))
	// Output:
	// [3.19 3.20]
	// true
}

// Parse and take apart an image name.
func ExampleParseReference() {
	ref, err := ferry.ParseReference("docker://nginx:1.27")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ref.Transport(), ref.DockerReference())

	_, err = ferry.ParseReference("nginx:1.27") // no transport
	fmt.Println(errors.Is(err, ferry.ErrInvalidName))
	// Output:
	// docker docker.io/library/nginx:1.27
	// true
}

package ferry_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/ferrytool/ferry"
)

// Mirror a list of images from two registries, one of them private, into
// one OCI layout. The list is skopeo sync's YAML file; each registry is
// reached with the options given for its host.
func ExampleSync() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ferry-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	list := filepath.Join(dir, "mirror.yaml")
	err = os.WriteFile(list, []byte(registryHost+`:
  images:
    library/busybox: ["1.36"]
    other/tool: ["1"]
`+privateHost+`:
  images:
    team/app: ["v1"]
`), 0o600)
	if err != nil {
		log.Fatal(err)
	}
	layout := filepath.Join(dir, "mirror")
	sum, err := ferry.Sync(ctx, "yaml:"+list, "oci:"+layout, ferry.SyncOptions{},
		ferry.WithInsecure(registryHost, privateHost),
		ferry.WithCredentials(privateHost, "ci", "s3cret"))
	if err != nil {
		log.Fatal(err)
	}
	var lines []string // in the order of the registries' names: sorted for the output here
	for _, r := range sum.Results {
		lines = append(lines, fmt.Sprint(r.Status, " ", strings.TrimPrefix(r.Destination, "oci:"+layout+":")))
	}
	slices.Sort(lines)
	fmt.Println(strings.Join(lines, "\n"))
	fmt.Println(sum.Copied, "copied")
	// Output:
	// copied app:v1
	// copied busybox:1.36
	// copied tool:1
	// 3 copied
}

// Plan a sync without copying anything, as a dry run does: the plan
// lists every image and where it would go.
func ExampleClient_PlanSync() {
	ctx := context.Background()
	client, err := ferry.NewClient(ferry.WithInsecure(registryHost))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// The tags of library/alpine that match 3\.2.* (the whole tag).
	plan, err := client.PlanSync(ctx, "docker://"+registryHost+"/library/alpine", "docker://registry.internal/mirror",
		ferry.SyncOptions{IncludeTags: regexp.MustCompile(`3\.2.*`)})
	if err != nil {
		log.Fatal(err)
	}
	for _, img := range plan.Images {
		fmt.Printf("%d/%d %s\n", img.N, img.Of, img.Destination)
	}
	// Output: 1/1 docker://registry.internal/mirror/alpine:3.20
}

package e2e

import (
	"testing"

	"github.com/ferrytool/ferry/internal/testdocker"
	"github.com/ferrytool/ferry/internal/testenv"
)

// TestDifferentialDaemon runs the docker-daemon: cases against a private
// dockerd (internal/testdocker), which holds diff/fixture:1, loaded by
// skopeo from the dir: fixture.
func TestDifferentialDaemon(t *testing.T) {
	testenv.NeedCommand(t, "docker") // reads the daemon: artifacts
	d := testdocker.Start(t)
	e := newDiffEnv(t)
	e.daemon = d.Host
	seed := e.expand([]string{"copy", "--dest-daemon-host", "{daemon}", "dir:{fx}/dir", "docker-daemon:diff/fixture:1"}, "fixture", "")
	if r := e.run(t, e.skopeo, seed); r.code != 0 {
		t.Fatalf("loading the fixture into dockerd: %s", r.stderr)
	}
	runDiffCases(t, e, daemonCases)
}

const (
	daemonFx  = "docker-daemon:diff/fixture:1"
	srcDaemon = "--src-daemon-host {daemon} "
	dstDaemon = "--dest-daemon-host {daemon} "
)

var daemonCases = []diffCase{
	cp("dir to docker-daemon", dstDaemon+"dir:{fx}/dir docker-daemon:diff/{rname}:1").want("daemon:diff/{rname}:1"),
	cp("docker to docker-daemon", dstDaemon+srcNoTLS+regV2+" docker-daemon:diff/{rname}:1").want("daemon:diff/{rname}:1"),
	cp("docker-daemon to dir", srcDaemon+daemonFx+" dir:{out}/d").want("tree:{out}/d"),
	cp("docker-daemon to docker", srcDaemon+dstNoTLS+daemonFx+" docker://{repo}:1").want("pushed:docker://{repo}:1"),
	cmd("inspect docker-daemon", "inspect --daemon-host {daemon} "+daemonFx).json().except(layersData),
	cmd("inspect --config --raw docker-daemon", "inspect --config --raw --daemon-host {daemon} "+daemonFx),
	cmd("missing image in the daemon", "inspect --raw --daemon-host {daemon} docker-daemon:diff/none:1").except(notFoundExits2).fails(),
	cmd("DOCKER_HOST", "inspect --config --raw "+daemonFx).withEnv("DOCKER_HOST={daemon}").except(dockerHostHonoured).fails(),
}

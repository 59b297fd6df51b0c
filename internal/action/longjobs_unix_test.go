//go:build unix

package action

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// TestInstallCLIOwner plays the container action as root on a host whose
// runner's temp directory belongs to the runner's user: install-cli must
// give that user its files, which are 0600 and 0700 and would otherwise be
// unreadable to the host's later steps.
func TestInstallCLIOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, as the container action runs")
	}
	t.Parallel()
	const runnerUID, runnerGID = 1001, 127 // the hosted runner's runner:docker
	h := newHarness(t, runnertest.World())
	temp := filepath.Join(h.dir, "_temp")
	if err := os.Mkdir(temp, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(temp, runnerUID, runnerGID); err != nil {
		t.Fatal(err)
	}
	useRunnerTemp(t, h, temp)
	h.env["GITHUB_PATH"] = filepath.Join(h.dir, "path")
	h.runner.Set("install-cli", "true")
	h.runner.Set("owner", "octocat")
	if r := h.run(false); r.err != nil {
		t.Fatalf("main step: %v\n%s", r.err, r.log)
	}
	for _, name := range []string{"", "app-token", "config.json"} {
		owner, err := ownerOf(filepath.Join(temp, "app-token", name))
		if err != nil {
			t.Fatal(err)
		}
		if owner != (fileOwner{runnerUID, runnerGID}) {
			t.Errorf("%s/app-token/%s is owned by %d:%d, want the runner's %d:%d", temp, name, owner.uid, owner.gid, runnerUID, runnerGID)
		}
	}
}

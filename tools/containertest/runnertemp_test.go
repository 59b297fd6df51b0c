package containertest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// TestInstallCLIRunnerTemp runs the main step with install-cli in a
// container, under the mounts of three runners. The current one
// (actions/runner v2.331.0 and later; ContainerActionHandler.cs) mounts its
// temp directory at /github/runner_temp, beside its file-command directory
// (inside it on the host) at /github/file_commands: the command line lands
// in the host's temp directory and its host path on PATH. A runner before
// v2.329.0 passes the host's RUNNER_TEMP and mounts no temp directory, and
// nektos/act passes RUNNER_TEMP=/tmp, the container's own: the step fails
// saying why, writes nothing and mints nothing.
func TestInstallCLIRunnerTemp(t *testing.T) {
	e := engine(t)
	img := image(t, e)
	tests := []struct {
		name  string
		setup func(j *Job, temp string)
		want  []string // in the log
	}{
		{
			name: "current runner",
			setup: func(j *Job, temp string) {
				j.Mounts = append(j.Mounts, Mount{Host: temp, Container: "/github/runner_temp"})
				j.Runner.Env["RUNNER_TEMP"] = "/github/runner_temp"
			},
			want: []string{"Installed app-token in "},
		},
		{
			name:  "runner before v2.329.0",
			setup: func(j *Job, temp string) { j.Runner.Env["RUNNER_TEMP"] = temp },
			want:  []string{"does not exist in this container: this runner does not mount its temp directory", "v2.331.0"},
		},
		{
			name: "nektos/act",
			setup: func(j *Job, temp string) {
				j.Runner.Env["RUNNER_TEMP"] = "/tmp"
				j.Runner.Env["ACT"] = "true"
				j.Flags = append(j.Flags, "--tmpfs", "/tmp") // the container's own /tmp
			},
			want: []string{"RUNNER_TEMP (/tmp) is not the runner's temp directory", "nektos/act (ACT=true) does not mount", "v2.331.0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := emulator(t)
			// The runner's temp directory on the host: <work>/_temp, and the
			// workspace's parent <work>/<repository>.
			work := t.TempDir()
			temp := filepath.Join(work, "_temp")
			if err := os.Mkdir(temp, 0o755); err != nil {
				t.Fatal(err)
			}
			j, err := NewJob(temp, action(t), srv.URL(), repository)
			if err != nil {
				t.Fatal(err)
			}
			j.Runner.Set("client-id", githubapitest.DefaultConfig().App.ClientID)
			j.Runner.Set("private-key", srv.PrivateKeyPEM())
			j.Runner.Set("install-cli", "true")
			j.Runner.Env["RUNNER_WORKSPACE"] = filepath.Join(work, "app")
			j.Runner.Env["GITHUB_PATH"] = FileCommandsDir + "/path"
			tt.setup(j, temp)

			res := run(t, e, j.Main(img))
			for _, want := range tt.want {
				if !strings.Contains(res.Log, want) {
					t.Errorf("main step log:\n%s\nwant %q", redact(srv, res.Log), want)
				}
			}
			installed := filepath.Join(temp, "app-token")
			path, _ := os.ReadFile(filepath.Join(j.Runner.Dir, "path"))
			if tt.name == "current runner" {
				if res.ExitCode != 0 {
					t.Fatalf("main step exit code = %d, want 0; log:\n%s", res.ExitCode, redact(srv, res.Log))
				}
				for _, name := range []string{"app-token", "config.json"} {
					if _, err := os.Stat(filepath.Join(installed, name)); err != nil {
						t.Errorf("install-cli on the host: %v", err)
					}
				}
				if strings.TrimSpace(string(path)) != installed {
					t.Errorf("GITHUB_PATH = %q, want the host's %s", path, installed)
				}
				return
			}
			if res.ExitCode != 1 {
				t.Errorf("main step exit code = %d, want 1; log:\n%s", res.ExitCode, redact(srv, res.Log))
			}
			if strings.Contains(res.Log, "Installed") {
				t.Errorf("main step log:\n%s\nwant no \"Installed\" where nothing was installed", redact(srv, res.Log))
			}
			if _, err := os.Stat(installed); err == nil || len(path) > 0 || len(srv.Tokens()) > 0 {
				t.Errorf("files on the host: %v, GITHUB_PATH %q, %d tokens issued; want none", err, path, len(srv.Tokens()))
			}
		})
	}
}

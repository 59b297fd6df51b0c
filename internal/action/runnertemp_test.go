package action

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// useRunnerTemp lays out the runner's temp directory at temp as the runner
// does, and makes it the step's RUNNER_TEMP: the step's file-command files
// ($GITHUB_OUTPUT and the others) in temp/_runner_file_commands
// (actions/runner FileCommandManager.cs). It returns that directory.
func useRunnerTemp(tb testing.TB, h *harness, temp string) string {
	tb.Helper()
	files := filepath.Join(temp, fileCommandsDir)
	if err := os.MkdirAll(files, 0o755); err != nil {
		tb.Fatal(err)
	}
	h.runner.Dir = files
	for name, file := range map[string]string{"GITHUB_OUTPUT": "output", "GITHUB_STATE": "state", "GITHUB_STEP_SUMMARY": "summary", "GITHUB_ENV": "env"} {
		h.env[name] = filepath.Join(files, file)
	}
	h.env["RUNNER_TEMP"] = temp
	return files
}

// TestInstallCLIRunnerTemp runs install-cli where the container's
// RUNNER_TEMP is the runner's temp directory and where it is not: the
// current runner's mounts (played with symbolic links, as the container
// sees one host directory at two paths), a runner older than v2.329.0 (the
// host's path, absent in the container) and nektos/act (/tmp, the
// container's own). Where no later step would see the files, the step
// fails before it writes any or mints, and says why and what to do.
func TestInstallCLIRunnerTemp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// setup lays out the job under dir and returns the container's
		// RUNNER_TEMP, and the directory install-cli must leave untouched.
		setup     func(t *testing.T, h *harness, dir string) (temp, untouched string)
		act       bool
		wantError string // "" for success
	}{
		{
			name: "current runner",
			setup: func(t *testing.T, h *harness, dir string) (string, string) {
				host := filepath.Join(dir, "_temp")
				files := useRunnerTemp(t, h, host)
				// The container's /github/runner_temp and /github/file_commands.
				mounts := filepath.Join(dir, "github")
				os.Mkdir(mounts, 0o755)
				temp, commands := filepath.Join(mounts, "runner_temp"), filepath.Join(mounts, "file_commands")
				if err := os.Symlink(host, temp); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(files, commands); err != nil {
					t.Fatal(err)
				}
				for _, name := range []string{"GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_STEP_SUMMARY", "GITHUB_ENV"} {
					h.env[name] = filepath.Join(commands, filepath.Base(h.env[name]))
				}
				h.env["RUNNER_TEMP"] = temp
				return temp, ""
			},
		},
		{
			name: "runner before v2.329.0",
			setup: func(t *testing.T, h *harness, dir string) (string, string) {
				useRunnerTemp(t, h, filepath.Join(dir, "host", "_temp"))
				// The host's path, which no mount shows the container.
				temp := filepath.Join(dir, "home", "runner", "work", "_temp")
				h.env["RUNNER_TEMP"] = temp
				return temp, ""
			},
			wantError: "does not exist in this container: this runner does not mount its temp directory into container actions",
		},
		{
			name: "nektos/act",
			setup: func(t *testing.T, h *harness, dir string) (string, string) {
				useRunnerTemp(t, h, filepath.Join(dir, "host", "_temp"))
				// The container's own /tmp.
				temp := filepath.Join(dir, "tmp")
				os.Mkdir(temp, 0o1777)
				h.env["RUNNER_TEMP"] = temp
				return temp, temp
			},
			act:       true,
			wantError: "is not the runner's temp directory (it does not hold this step's output file in _runner_file_commands): nektos/act (ACT=true) does not mount its temp directory into container actions",
		},
		{
			name: "another directory",
			setup: func(t *testing.T, h *harness, dir string) (string, string) {
				useRunnerTemp(t, h, filepath.Join(dir, "host", "_temp"))
				temp := filepath.Join(dir, "elsewhere")
				os.MkdirAll(filepath.Join(temp, fileCommandsDir), 0o755)
				h.env["RUNNER_TEMP"] = temp
				return temp, temp
			},
			wantError: "is not the runner's temp directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, testWorld(t))
			dir := t.TempDir()
			temp, untouched := tt.setup(t, h, dir)
			if tt.act {
				h.env["ACT"] = "true"
			}
			h.env["GITHUB_PATH"] = filepath.Join(dir, "path")
			h.runner.Set("install-cli", "true")
			r := h.run(false)
			if tt.wantError == "" {
				if r.err != nil {
					t.Fatalf("main step error = %v\n%s", r.err, redactSecrets(h, r.log))
				}
				if _, err := os.Stat(filepath.Join(temp, "app-token", "app-token")); err != nil {
					t.Errorf("install-cli left no command line: %v", err)
				}
				if !strings.Contains(r.log, "Installed app-token in ") {
					t.Errorf("log:\n%s\nwant the installation reported", redactSecrets(h, r.log))
				}
				return
			}
			if r.err == nil || !strings.Contains(r.err.Error(), tt.wantError) {
				t.Fatalf("main step error = %v, want one containing %q", r.err, tt.wantError)
			}
			next := renderedHint(r.err)
			for _, want := range []string{"v2.331.0 and later mount it at /github/runner_temp", "drop install-cli", "cli/ installer"} {
				if !strings.Contains(next, want) {
					t.Errorf("hint = %q, want it to contain %q", next, want)
				}
			}
			if strings.Contains(r.log, "Installed") {
				t.Errorf("log:\n%s\nwant no \"Installed\" where nothing was installed", redactSecrets(h, r.log))
			}
			if n := len(h.srv.Tokens()); n != 0 {
				t.Errorf("the emulator issued %d tokens, want none: the step fails before it mints", n)
			}
			if untouched != "" {
				if entries, _ := os.ReadDir(untouched); len(entries) > 0 && !(len(entries) == 1 && entries[0].Name() == fileCommandsDir) {
					t.Errorf("%s holds %d entries (first %s), want nothing written there", untouched, len(entries), entries[0].Name())
				}
			}
			if b, _ := os.ReadFile(h.env["GITHUB_PATH"]); len(b) > 0 {
				t.Errorf("GITHUB_PATH = %q, want nothing added", b)
			}
		})
	}
}

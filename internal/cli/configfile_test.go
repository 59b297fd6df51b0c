package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/jobdir"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// TestTokenReadsConfigFile runs app-token token in a later step of a job
// whose action used install-cli: the app and scope come from the file,
// flags win, and in a job container, where the exported host path does
// not exist, the file is found in $RUNNER_TEMP.
func TestTokenReadsConfigFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      func(dir string) map[string]string
		args     []string
		wantInst int64
		wantRepo []string
		wantCode int
		wantErr  string
	}{
		{"exported path", func(dir string) map[string]string {
			return map[string]string{jobdir.ConfigEnv: filepath.Join(dir, "app-token", "config.json")}
		}, nil, 11, []string{"app"}, 0, ""},
		{"job container", func(dir string) map[string]string {
			return map[string]string{jobdir.ConfigEnv: "/home/runner/work/_temp/app-token/config.json", "GITHUB_ACTIONS": "true", "RUNNER_TEMP": dir}
		}, nil, 11, []string{"app"}, 0, ""},
		{"found in RUNNER_TEMP", func(dir string) map[string]string {
			return map[string]string{"GITHUB_ACTIONS": "true", "RUNNER_TEMP": dir}
		}, nil, 11, []string{"app"}, 0, ""},
		{"flags win", func(dir string) map[string]string {
			return map[string]string{"GITHUB_ACTIONS": "true", "RUNNER_TEMP": dir}
		}, []string{"--owner", "octocat"}, 12, nil, 0, ""},
		{"named file missing", func(string) map[string]string { return map[string]string{} }, []string{"--config", "/nonexistent/config.json"}, 0, nil, 1, "read the configuration file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runnertest.World())
			cfg, err := config.Parse(config.Inputs{Values: map[string]string{
				"client-id": runnertest.ClientID, "private-key": h.srv.PrivateKeyPEM(), "owner": "octo-org",
				"repositories": "app", "permission-contents": "read", "github-api-url": h.srv.URL(),
			}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(cfg.CLIFile())
			if err := os.MkdirAll(filepath.Join(h.dir, "app-token"), 0o700); err != nil {
				t.Fatal(err)
			}
			h.writeFile("app-token/config.json", string(b))
			h.env = tt.env(h.dir)
			h.env["APP_PRIVATE_KEY"] = h.srv.PrivateKeyPEM()
			r := h.run("", append([]string{"token", "--json"}, tt.args...)...)
			if r.code != tt.wantCode || !strings.Contains(r.stderr, tt.wantErr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, tt.wantCode, tt.wantErr)
			}
			if tt.wantCode != 0 {
				return
			}
			var got tokenJSON
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatal(err)
			}
			if got.InstallationID != tt.wantInst || strings.Join(got.Repositories, ",") != strings.Join(tt.wantRepo, ",") {
				t.Errorf("token for installation %d, repositories %v; want %d, %v", got.InstallationID, got.Repositories, tt.wantInst, tt.wantRepo)
			}
			if tt.wantInst == 11 && got.Permissions["contents"] != "read" {
				t.Errorf("permissions = %v, want the file's contents: read", got.Permissions)
			}
		})
	}
}

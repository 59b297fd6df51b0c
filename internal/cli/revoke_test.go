package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

func TestRevoke(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		args        []string
		stdin       string // "@token" for the token, "@json" for token --json's output
		file        string // written to tok; "@token" and "@json" as for stdin
		env         map[string]string
		terminal    bool // stdin is a terminal
		revokeTwice bool

		wantCode     int
		wantStdout   string
		wantStderr   string
		wantRequests int // DELETE /installation/token requests
	}{
		{name: "stdin", stdin: "@token\n", wantStdout: "token revoked\n", wantRequests: 1},
		{name: "file", args: []string{"-token-file", "@file"}, file: "@token", wantStdout: "token revoked\n", wantRequests: 1},
		{name: "JSON file", args: []string{"--token-file=@file"}, file: "@json", wantStdout: "token revoked\n", wantRequests: 1},
		{name: "JSON stdin", stdin: "@json", wantStdout: "token revoked\n", wantRequests: 1},
		{name: "API URL flag", args: []string{"-api-url", "@api"}, stdin: "@token", wantStdout: "token revoked\n", wantRequests: 1},
		{
			name: "already revoked", stdin: "@token", revokeTwice: true, wantCode: 1, wantRequests: 2,
			wantStderr: "app-token: revoke the token: the token was already revoked or has expired: DELETE /installation/token: 401 Bad credentials",
		},
		{name: "empty stdin", stdin: " \n", wantCode: 1, wantStderr: "app-token: no token to revoke: standard input is empty\nhint: pass the token on standard input"},
		{name: "two tokens", stdin: "@token\n@token\n", wantCode: 1, wantStderr: "app-token: read the token: standard input holds more than a token"},
		{name: "bad JSON", stdin: "{\"token\":", wantCode: 1, wantStderr: "standard input is not a JSON object from app-token token --json"},
		{
			name: "JSON without a token", stdin: `{"expires_at": "2026-01-01T00:00:00Z"}`, wantCode: 1,
			wantStderr: "app-token: no token to revoke: standard input holds a JSON object without a token\nhint: pass the output of app-token token --json",
		},
		{name: "JSON with an empty token", stdin: `{"token": ""}`, wantCode: 1, wantStderr: "standard input holds a JSON object without a token"},
		{name: "missing file", args: []string{"-token-file", "nothere"}, wantCode: 1, wantStderr: "app-token: read the token: open nothere: no such file or directory"},
		{name: "unknown flag", args: []string{"-token", "x"}, wantCode: 2, wantStderr: "app-token: revoke: flag provided but not defined: -token\nhint: run `app-token revoke -h` for its flags\n"},
		{name: "token as argument", args: []string{"@token"}, wantCode: 2, wantStderr: "app-token: revoke: takes no arguments, got 1\n"},

		// On a terminal, nobody pipes a token in: the environment has it.
		{name: "GH_TOKEN on a terminal", terminal: true, env: map[string]string{"GH_TOKEN": "@token", "GITHUB_TOKEN": "other"}, wantStdout: "token revoked\n", wantRequests: 1},
		{name: "GITHUB_TOKEN on a terminal", terminal: true, env: map[string]string{"GITHUB_TOKEN": "@token"}, wantStdout: "token revoked\n", wantRequests: 1},
		{name: "JSON in GH_TOKEN", terminal: true, env: map[string]string{"GH_TOKEN": "@json"}, wantStdout: "token revoked\n", wantRequests: 1},
		{
			name: "nothing on a terminal", terminal: true, stdin: "@token", wantCode: 2,
			wantStderr: "app-token: revoke: no token: standard input is a terminal, and $GH_TOKEN and $GITHUB_TOKEN are empty\nhint: pipe the token",
		},
		{name: "file on a terminal", terminal: true, args: []string{"--token-file", "@file"}, file: "@token", env: map[string]string{"GH_TOKEN": "other"}, wantStdout: "token revoked\n", wantRequests: 1},
		{name: "stdin wins over GH_TOKEN", stdin: "@token", env: map[string]string{"GH_TOKEN": "other"}, wantStdout: "token revoked\n", wantRequests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runnertest.World())
			r := h.run("", "token", "-client-id", runnertest.ClientID, "-private-key-file", h.keyFile, "-owner", "octocat", "-json")
			if r.code != 0 {
				t.Fatalf("token: exit status = %d; stderr:\n%s", r.code, h.redact(r.stderr))
			}
			tok := h.srv.Tokens()[0].Value
			subst := strings.NewReplacer("@token", tok, "@json", r.stdout, "@file", filepath.Join(h.dir, "tok"), "@api", h.srv.URL())
			if tt.file != "" {
				h.writeFile("tok", subst.Replace(tt.file))
			}
			args := []string{"revoke"}
			for _, a := range tt.args {
				args = append(args, subst.Replace(a))
			}
			if tt.name == "API URL flag" {
				delete(h.env, "GITHUB_API_URL")
			}
			for k, v := range tt.env {
				h.env[k] = subst.Replace(v)
			}
			h.terminal = tt.terminal
			if tt.revokeTwice {
				h.run(subst.Replace(tt.stdin), args...)
			}

			r = h.run(subst.Replace(tt.stdin), args...)

			if r.code != tt.wantCode || r.stdout != tt.wantStdout {
				t.Errorf("exit status, stdout = %d, %q, want %d, %q; stderr:\n%s", r.code, h.redact(r.stdout), tt.wantCode, tt.wantStdout, h.redact(r.stderr))
			}
			if !strings.Contains(r.stderr, tt.wantStderr) || tt.wantStderr == "" && r.stderr != "" {
				t.Errorf("stderr = %q, want %q", h.redact(r.stderr), tt.wantStderr)
			}
			if n := h.srv.Count("DELETE", "/installation/token"); n != tt.wantRequests {
				t.Errorf("%d DELETE requests, want %d", n, tt.wantRequests)
			}
			if revoked := h.srv.Tokens()[0].Revoked; revoked != (tt.wantRequests > 0) {
				t.Errorf("token revoked = %t, want %t", revoked, tt.wantRequests > 0)
			}
		})
	}
}

// TestStdinIsTerminal checks the default detection: a pipe is no
// terminal, nor is /dev/null, nor a reader that is not a file.
func TestStdinIsTerminal(t *testing.T) {
	t.Parallel()
	if (Command{Stdin: strings.NewReader("x")}).stdinIsTerminal() {
		t.Errorf("stdinIsTerminal() = true for a strings.Reader, want false")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if (Command{Stdin: r}).stdinIsTerminal() {
		t.Errorf("stdinIsTerminal() = true for a pipe, want false")
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if (Command{Stdin: null}).stdinIsTerminal() {
		t.Errorf("stdinIsTerminal() = true for %s, want false", os.DevNull)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// cliEnv runs CLI subcommands in-process against an emulator, with the
// app's key in a file and the environment in env.
type cliEnv struct {
	t       testing.TB
	srv     *githubapitest.Server
	dir     string
	keyFile string
	env     map[string]string
}

// cliResult is what one CLI run left behind. code is the exit status main
// would give.
type cliResult struct {
	stdout, stderr string
	code           int
}

func newCLIEnv(t testing.TB, world githubapitest.Config) *cliEnv {
	t.Helper()
	srv := githubapitest.Start(t, world)
	dir := t.TempDir()
	e := &cliEnv{t: t, srv: srv, dir: dir, keyFile: filepath.Join(dir, "key.pem"), env: map[string]string{"GITHUB_API_URL": srv.URL()}}
	e.writeFile("key.pem", srv.PrivateKeyPEM())
	return e
}

// writeFile writes a file into the environment's directory and returns its path.
func (e *cliEnv) writeFile(name, content string) string {
	e.t.Helper()
	path := filepath.Join(e.dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// cliCommands dispatches as runCommand does, with injectable streams.
var cliCommands = map[string]func(context.Context, cli, []string) error{
	"token":         runToken,
	"revoke":        runRevoke,
	"installations": runInstallations,
}

// run runs app-token args with stdin, and fails the test if anything but
// the token command's stdout shows a secret, or if a workflow command was
// written.
func (e *cliEnv) run(stdin string, args ...string) cliResult {
	e.t.Helper()
	var stdout, stderr, log bytes.Buffer
	c := cli{deps: testDeps(e.env, &log, &stdout), stdin: strings.NewReader(stdin), stderr: &stderr}
	c.requestTimeout = 2 * time.Second
	err := cliCommands[args[0]](e.t.Context(), c, args[1:])
	r := cliResult{stdout: stdout.String()}
	if err != nil {
		r.code = reportCLI(&stderr, err)
	}
	r.stderr = stderr.String()
	if log.Len() > 0 {
		e.t.Errorf("app-token %s wrote workflow commands:\n%s", args[0], log.String())
	}
	s := secretsOf(e.srv)
	if line, kind := s.find(r.stderr); line > 0 {
		e.t.Errorf("app-token %s: stderr line %d shows %s", args[0], line, kind)
	}
	if args[0] == "token" {
		s.tokens = nil // it prints the token it minted
	}
	if line, kind := s.find(r.stdout); line > 0 {
		e.t.Errorf("app-token %s: stdout line %d shows %s", args[0], line, kind)
	}
	return r
}

// requests returns "METHOD PATH STATUS" for each request the emulator got.
func (e *cliEnv) requests() []string { return requestLines(e.srv.Requests()) }

func TestCLIToken(t *testing.T) {
	t.Parallel()
	const key = "@key" // replaced by the key file's path
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		stdin string // "@key" for the key
		files map[string]string

		wantCode     int
		wantStderr   []string // substrings
		wantRequests []string // nil: not checked
		wantInst     int64    // the installation of the one token issued, 0 for none
		wantRepos    []string
		wantPerms    map[string]string
	}{
		{
			name:         "owner",
			args:         []string{"-client-id", testClientID, "-private-key-file", key, "-owner", "octocat"},
			wantRequests: []string{"GET /users/octocat/installation 200", "POST /app/installations/12/access_tokens 201"},
			wantInst:     12,
			wantPerms:    map[string]string{"contents": "read", "metadata": "read"},
		},
		{
			name:     "double-dash flags and app id",
			args:     []string{"--app-id=1001", "--private-key-file", key, "--owner=octocat"},
			wantInst: 12,
		},
		{
			name:         "repositories of owner",
			args:         []string{"-client-id", testClientID, "-private-key-file", key, "-owner", "octo-org", "-repositories", "app, infra"},
			wantRequests: []string{"GET /repos/octo-org/app/installation 200", "POST /app/installations/11/access_tokens 201"},
			wantInst:     11,
			wantRepos:    []string{"app", "infra"},
		},
		{
			name:      "repositories as owner/name",
			args:      []string{"-client-id", testClientID, "-private-key-file", key, "-repositories", "octo-org/docs"},
			wantInst:  11,
			wantRepos: []string{"docs"},
		},
		{
			name:         "current repository from the environment",
			args:         []string{"-client-id", testClientID, "-private-key-file", key},
			env:          map[string]string{"GITHUB_REPOSITORY": "octo-org/app", "GITHUB_REPOSITORY_OWNER": "someone-else"},
			wantRequests: []string{"GET /repos/octo-org/app/installation 200", "POST /app/installations/11/access_tokens 201"},
			wantInst:     11,
			wantRepos:    []string{"app"},
		},
		{
			name:      "repository flag wins over the environment",
			args:      []string{"-client-id", testClientID, "-private-key-file", key, "-repository", "octo-org/infra"},
			env:       map[string]string{"GITHUB_REPOSITORY": "octo-org/app"},
			wantInst:  11,
			wantRepos: []string{"infra"},
		},
		{
			name:         "installation id",
			args:         []string{"-client-id", testClientID, "-private-key-file", key, "-installation-id", "12"},
			wantRequests: []string{"GET /app/installations/12 200", "POST /app/installations/12/access_tokens 201"},
			wantInst:     12,
		},
		{
			name:         "enterprise",
			args:         []string{"-client-id", testClientID, "-private-key-file", key, "-enterprise", "octo-ent"},
			wantRequests: []string{"GET /enterprises/octo-ent/installation 200", "POST /app/installations/14/access_tokens 201"},
			wantInst:     14,
		},
		{
			name:      "repository ids",
			args:      []string{"-client-id", testClientID, "-private-key-file", key, "-owner", "octo-org", "-repository-ids", "102"},
			wantInst:  11,
			wantRepos: []string{"infra"},
		},
		{
			name:      "permissions",
			args:      []string{"-client-id", testClientID, "-private-key-file", key, "-owner", "octo-org", "-permission", "contents=read", "-permission", "Pull-Requests=write", "-permission", "contents=READ"},
			wantInst:  11,
			wantPerms: map[string]string{"contents": "read", "metadata": "read", "pull_requests": "write"}, // GitHub adds metadata
		},
		{
			name:     "key from APP_PRIVATE_KEY",
			args:     []string{"-client-id", testClientID, "-owner", "octocat"},
			env:      map[string]string{"APP_PRIVATE_KEY": key},
			wantInst: 12,
		},
		{
			name:     "key from another variable",
			args:     []string{"-client-id", testClientID, "-owner", "octocat", "-private-key-env", "MY_KEY"},
			env:      map[string]string{"MY_KEY": key, "APP_PRIVATE_KEY": "not a key"},
			wantInst: 12,
		},
		{
			name:     "key from stdin",
			args:     []string{"-client-id", testClientID, "-owner", "octocat", "-private-key-file", "-"},
			stdin:    key,
			wantInst: 12,
		},
		{
			name:     "key file wins over APP_PRIVATE_KEY",
			args:     []string{"-client-id", testClientID, "-owner", "octocat", "-private-key-file", key},
			env:      map[string]string{"APP_PRIVATE_KEY": "not a key"},
			wantInst: 12,
		},
		{
			name:       "app id ignored",
			args:       []string{"-client-id", testClientID, "-app-id", "999", "-private-key-file", key, "-owner", "octocat"},
			wantStderr: []string{"app-token: warning: app-id is ignored because client-id is set"},
			wantInst:   12,
		},

		// Usage errors: exit status 2, no request.
		{
			name:         "no app",
			args:         []string{"-private-key-file", key, "-owner", "octocat"},
			wantCode:     2,
			wantStderr:   []string{"app-token: token: -client-id or -app-id is required\nhint: run `app-token token -h`"},
			wantRequests: []string{},
		},
		{
			name:       "no key",
			args:       []string{"-client-id", testClientID, "-owner", "octocat"},
			wantCode:   2,
			wantStderr: []string{"app-token: token: no private key: -private-key-file is not set and $APP_PRIVATE_KEY is empty\nhint: pass -private-key-file PATH"},
		},
		{
			name:       "no key in the chosen variable",
			args:       []string{"-client-id", testClientID, "-owner", "octocat", "-private-key-env", "MY_KEY"},
			env:        map[string]string{"APP_PRIVATE_KEY": key},
			wantCode:   2,
			wantStderr: []string{"$MY_KEY is empty"},
		},
		{
			name:       "bad variable name",
			args:       []string{"-client-id", testClientID, "-owner", "octocat", "-private-key-env", "A=B"},
			wantCode:   2,
			wantStderr: []string{"-private-key-env must name an environment variable"},
		},
		{
			name:       "two key sources",
			args:       []string{"-client-id", testClientID, "-owner", "octocat", "-private-key-file", key, "-private-key-env", "MY_KEY"},
			wantCode:   2,
			wantStderr: []string{"-private-key-file and -private-key-env cannot be combined"},
		},
		{
			name:       "unknown flag",
			args:       []string{"-client-id", testClientID, "-private-key", "x"},
			wantCode:   2,
			wantStderr: []string{"app-token: token: flag provided but not defined: -private-key\n"},
		},
		{
			name:       "argument",
			args:       []string{"-client-id", testClientID, "-private-key-file", key, "octocat"},
			wantCode:   2,
			wantStderr: []string{"token: takes no arguments, got 1"},
		},
		{
			name:       "key as an argument",
			args:       []string{"-client-id", testClientID, "@keytext"},
			wantCode:   2,
			wantStderr: []string{"app-token: token: an argument holds a private key (not shown)\nhint: pass the key with -private-key-file PATH"},
		},
		{
			name:       "key as a flag value",
			args:       []string{"-client-id", testClientID, "-owner", "@keytext"},
			wantCode:   2,
			wantStderr: []string{"an argument holds a private key (not shown)"},
		},
		{
			name:       "key as the key file's path",
			args:       []string{"-client-id", testClientID, "-private-key-file", "@keytext"},
			wantCode:   2,
			wantStderr: []string{"an argument holds a private key (not shown)"},
		},
		{
			name:       "permission without level",
			args:       []string{"-client-id", testClientID, "-private-key-file", key, "-permission", "contents"},
			wantCode:   2,
			wantStderr: []string{`token: invalid value "contents" for flag -permission: want NAME=LEVEL`},
		},
		{
			name:       "bad permission level",
			args:       []string{"-client-id", testClientID, "-private-key-file", key, "-owner", "octo-org", "-permission", "issues=admin"},
			wantCode:   2,
			wantStderr: []string{"app-token: permission-issues: must be read or write, got \"admin\"\nhint: Set permission-issues to read or write, or remove it."},
		},
		{
			name:       "bad permission name",
			args:       []string{"-client-id", testClientID, "-private-key-file", key, "-owner", "octo-org", "-permission", "is sues=read"},
			wantCode:   2,
			wantStderr: []string{`permission-*: "is sues" is not a valid permission name`},
		},
		{
			name:       "permission twice",
			args:       []string{"-client-id", testClientID, "-private-key-file", key, "-owner", "octo-org", "-permission", "pull_requests=read", "-permission", "pull-requests=write"},
			wantCode:   2,
			wantStderr: []string{`-permission pull_requests is set twice, to "read" and "write"`},
		},
		{
			name:       "bad repositories",
			args:       []string{"-client-id", testClientID, "-private-key-file", key, "-owner", "octo-org", "-repositories", "app infra"},
			wantCode:   2,
			wantStderr: []string{"app-token: repositories: \"app infra\" is not a valid repository name\nhint: Separate repositories with commas or newlines."},
		},
		{
			name:       "repositories of two owners",
			args:       []string{"-client-id", testClientID, "-private-key-file", key, "-repositories", "octo-org/app,octocat/blog"},
			wantCode:   2,
			wantStderr: []string{`repositories: "octocat/blog" is not owned by "octo-org"`},
		},
		{
			name:       "installation id and owner",
			args:       []string{"-client-id", testClientID, "-private-key-file", key, "-owner", "octocat", "-installation-id", "12"},
			wantCode:   2,
			wantStderr: []string{"installation-id: cannot be combined with owner"},
		},
		{
			name:       "no installation chosen",
			args:       []string{"-client-id", testClientID, "-private-key-file", key},
			wantCode:   2,
			wantStderr: []string{"owner: is not set, and GITHUB_REPOSITORY is empty"},
		},
		{
			name:       "bad repository",
			args:       []string{"-client-id", testClientID, "-private-key-file", key, "-repository", "app"},
			wantCode:   2,
			wantStderr: []string{`GITHUB_REPOSITORY "app" is not owner/name`},
		},
		{
			name:       "web URL as API URL",
			args:       []string{"-client-id", testClientID, "-private-key-file", key, "-owner", "octocat", "-api-url", "https://github.com"},
			wantCode:   2,
			wantStderr: []string{"github-api-url: \"https://github.com\" is github.com's web address, not its API"},
		},
		{
			name:       "client id holds a key",
			args:       []string{"-client-id", "PRIVATE KEY", "-private-key-file", key, "-owner", "octocat"},
			wantCode:   2,
			wantStderr: []string{"client-id: contains a private key"},
		},

		// Failures: exit status 1.
		{
			name:         "not installed",
			args:         []string{"-client-id", testClientID, "-private-key-file", key, "-owner", "nobody"},
			wantCode:     1,
			wantStderr:   []string{"app-token: find the app installation for nobody: GET /users/nobody/installation: 404", "\nhint: install the app \"test-app\" on nobody"},
			wantRequests: []string{"GET /users/nobody/installation 404", "GET /app 200"},
		},
		{
			name:         "key of another app",
			args:         []string{"-client-id", testClientID, "-private-key-file", "@other", "-owner", "octocat"},
			wantCode:     1,
			wantStderr:   []string{": 401 ", "hint: the private key does not belong to the app \"" + testClientID + "\""},
			wantRequests: []string{"GET /users/octocat/installation 401"},
		},
		{
			name:         "key file holds no key",
			args:         []string{"-client-id", testClientID, "-private-key-file", "@notkey", "-owner", "octocat"},
			files:        map[string]string{"notkey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG user@host\n"},
			wantCode:     1,
			wantStderr:   []string{"notkey: private key is an SSH public key\nhint: "},
			wantRequests: []string{},
		},
		{
			name:       "key file missing",
			args:       []string{"-client-id", testClientID, "-private-key-file", "missing.pem", "-owner", "octocat"},
			wantCode:   1,
			wantStderr: []string{"app-token: read the private key: open missing.pem: no such file or directory\n"},
		},
		{
			name:       "key file empty",
			args:       []string{"-client-id", testClientID, "-private-key-file", "@empty", "-owner", "octocat"},
			files:      map[string]string{"empty": "\n"},
			wantCode:   1,
			wantStderr: []string{"is empty\nhint: pass the .pem file"},
		},
		{
			name:       "suspended",
			args:       []string{"-client-id", testClientID, "-private-key-file", key, "-owner", "frozen-org"},
			wantCode:   1,
			wantStderr: []string{"403", "hint: an owner of frozen-org must unsuspend the installation"},
		},
		{
			name:         "permission not granted",
			args:         []string{"-client-id", testClientID, "-private-key-file", key, "-owner", "octocat", "-permission", "issues=write"},
			wantCode:     1,
			wantStderr:   []string{"installation 12 of test-app does not grant the requested permissions: issues: write (installation has none)"},
			wantRequests: []string{"GET /users/octocat/installation 200"},
		},
		{
			name:         "unknown permission",
			args:         []string{"-client-id", testClientID, "-private-key-file", key, "-owner", "octocat", "-permission", "teleport=read"},
			wantCode:     1,
			wantStderr:   []string{"app-token: warning: permission-teleport: \"teleport\" is not a known github.com permission", "does not grant"},
			wantRequests: []string{"GET /users/octocat/installation 200"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newCLIEnv(t, testWorld(t))
			pemText := e.srv.PrivateKeyPEM()
			paths := map[string]string{key: e.keyFile, "@other": e.writeFile("other.pem", keyInputs()["other"]), "@keytext": pemText}
			for name, content := range tt.files {
				paths["@"+name] = e.writeFile(name, content)
			}
			args := []string{"token"}
			for _, a := range tt.args {
				if p, ok := paths[a]; ok {
					a = p
				}
				args = append(args, a)
			}
			for k, v := range tt.env {
				if v == key {
					v = pemText
				}
				e.env[k] = v
			}
			stdin := tt.stdin
			if stdin == key {
				stdin = pemText
			}

			r := e.run(stdin, args...)

			if r.code != tt.wantCode {
				t.Errorf("exit status = %d, want %d; stderr:\n%s", r.code, tt.wantCode, r.stderr)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr = %q, want it to contain %q", r.stderr, want)
				}
			}
			if tt.wantCode != 0 && r.stdout != "" {
				t.Errorf("stdout = %q, want nothing on failure", secretsOf(e.srv).redact(r.stdout))
			}
			if tt.wantCode == 2 && len(e.srv.Requests()) != 0 {
				t.Errorf("a usage error made requests: %v", e.requests())
			}
			if tt.wantRequests != nil && !slices.Equal(e.requests(), tt.wantRequests) && !(len(tt.wantRequests) == 0 && len(e.requests()) == 0) {
				t.Errorf("requests = %q, want %q", e.requests(), tt.wantRequests)
			}
			tokens := e.srv.Tokens()
			if tt.wantInst == 0 {
				if len(tokens) != 0 {
					t.Errorf("%d tokens issued, want none", len(tokens))
				}
				return
			}
			if len(tokens) != 1 {
				t.Fatalf("%d tokens issued, want 1", len(tokens))
			}
			tok := tokens[0]
			if r.stdout != tok.Value+"\n" {
				t.Errorf("stdout is not the issued token and a newline (%d bytes)", len(r.stdout))
			}
			if tok.InstallationID != tt.wantInst {
				t.Errorf("token installation = %d, want %d", tok.InstallationID, tt.wantInst)
			}
			if tt.wantRepos != nil && !slices.Equal(tok.Repositories, tt.wantRepos) {
				t.Errorf("token repositories = %q, want %q", tok.Repositories, tt.wantRepos)
			}
			if tt.wantPerms != nil && formatPermissions(tok.Permissions) != formatPermissions(tt.wantPerms) {
				t.Errorf("token permissions = %s, want %s", formatPermissions(tok.Permissions), formatPermissions(tt.wantPerms))
			}
			if tt.wantStderr == nil && r.stderr != "" {
				t.Errorf("stderr = %q, want nothing", r.stderr)
			}
		})
	}
}

func TestCLITokenJSON(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t, testWorld(t))
	r := e.run("", "token", "-client-id", testClientID, "-private-key-file", e.keyFile, "-owner", "octo-org", "-repositories", "app,infra", "-permission", "issues=write", "-json")
	if r.code != 0 {
		t.Fatalf("exit status = %d; stderr:\n%s", r.code, r.stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v", err)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range got {
			if !yield(k) {
				return
			}
		}
	})
	if want := []string{"app_slug", "expires_at", "installation_id", "permissions", "repositories", "token"}; !slices.Equal(keys, want) {
		t.Errorf("JSON fields = %q, want %q", keys, want)
	}
	tok := e.srv.Tokens()[0]
	if got["token"] != tok.Value {
		t.Errorf("JSON token is not the issued token")
	}
	if got["installation_id"] != float64(11) || got["app_slug"] != testAppSlug {
		t.Errorf("JSON installation_id, app_slug = %v, %v, want 11, %s", got["installation_id"], got["app_slug"], testAppSlug)
	}
	if exp, err := time.Parse(time.RFC3339, fmt.Sprint(got["expires_at"])); err != nil || !exp.Equal(tok.ExpiresAt.Truncate(time.Second)) {
		t.Errorf("JSON expires_at = %v, want %s", got["expires_at"], tok.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if fmt.Sprint(got["permissions"]) != "map[issues:write metadata:read]" || fmt.Sprint(got["repositories"]) != "[app infra]" {
		t.Errorf("JSON permissions, repositories = %v, %v, want map[issues:write metadata:read], [app infra]", got["permissions"], got["repositories"])
	}
}

func TestCLIRevoke(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		args         []string
		stdin        string // "@token" for the token, "@json" for token -json's output
		file         string // written to tok; "@token" and "@json" as for stdin
		revokeTwice  bool
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
			wantStderr: "app-token: revoke the token: DELETE /installation/token: 401 Bad credentials",
		},
		{name: "empty stdin", stdin: " \n", wantCode: 1, wantStderr: "app-token: no token to revoke: standard input is empty\nhint: pass the token on standard input"},
		{name: "two tokens", stdin: "@token\n@token\n", wantCode: 1, wantStderr: "app-token: read the token: standard input holds more than a token"},
		{name: "bad JSON", stdin: "{\"token\":", wantCode: 1, wantStderr: "standard input is not a JSON object from app-token token -json"},
		{name: "missing file", args: []string{"-token-file", "nothere"}, wantCode: 1, wantStderr: "app-token: read the token: open nothere: no such file or directory"},
		{name: "unknown flag", args: []string{"-token", "x"}, wantCode: 2, wantStderr: "app-token: revoke: flag provided but not defined: -token\nhint: run `app-token revoke -h` for its flags\n"},
		{name: "token as argument", args: []string{"@token"}, wantCode: 2, wantStderr: "app-token: revoke: takes no arguments, got 1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newCLIEnv(t, testWorld(t))
			r := e.run("", "token", "-client-id", testClientID, "-private-key-file", e.keyFile, "-owner", "octocat", "-json")
			if r.code != 0 {
				t.Fatalf("token: exit status = %d; stderr:\n%s", r.code, r.stderr)
			}
			tok := e.srv.Tokens()[0].Value
			subst := strings.NewReplacer("@token", tok, "@json", r.stdout, "@file", filepath.Join(e.dir, "tok"), "@api", e.srv.URL())
			if tt.file != "" {
				e.writeFile("tok", subst.Replace(tt.file))
			}
			args := []string{"revoke"}
			for _, a := range tt.args {
				args = append(args, subst.Replace(a))
			}
			if tt.name == "API URL flag" {
				delete(e.env, "GITHUB_API_URL")
			}
			if tt.revokeTwice {
				e.run(subst.Replace(tt.stdin), args...)
			}

			r = e.run(subst.Replace(tt.stdin), args...)

			if r.code != tt.wantCode || r.stdout != tt.wantStdout {
				t.Errorf("exit status, stdout = %d, %q, want %d, %q; stderr:\n%s", r.code, r.stdout, tt.wantCode, tt.wantStdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.wantStderr) || tt.wantStderr == "" && r.stderr != "" {
				t.Errorf("stderr = %q, want %q", r.stderr, tt.wantStderr)
			}
			if n := countRequests(e.srv, "DELETE", revokePath); n != tt.wantRequests {
				t.Errorf("%d DELETE requests, want %d", n, tt.wantRequests)
			}
			if revoked := e.srv.Tokens()[0].Revoked; revoked != (tt.wantRequests > 0) {
				t.Errorf("token revoked = %t, want %t", revoked, tt.wantRequests > 0)
			}
		})
	}
}

func TestCLIInstallations(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t, testWorld(t))
	r := e.run("", "installations", "-client-id", testClientID, "-private-key-file", e.keyFile)
	// The last row's permissions are the test world's business.
	want := `ID  ACCOUNT     TYPE          REPOSITORIES  SUSPENDED  PERMISSIONS
11  octo-org    Organization  selected      no         contents: write, issues: write, metadata: read, pull_requests: write
12  octocat     User          all           no         contents: read, metadata: read
13  frozen-org  Organization  all           yes        contents: read, metadata: read
14  octo-ent    Enterprise    selected      no         `
	if r.code != 0 || !strings.HasPrefix(r.stdout, want) || strings.Count(r.stdout, "\n") != 5 || r.stderr != "" {
		t.Errorf("installations: exit status %d, stdout:\n%s\nstderr:\n%s\nwant stdout:\n%s…", r.code, r.stdout, r.stderr, want)
	}
	if got := e.requests(); !slices.Equal(got, []string{"GET /app/installations 200"}) {
		t.Errorf("requests = %q, want one GET /app/installations", got)
	}

	r = e.run("", "installations", "--app-id", "1001", "--private-key-file", e.keyFile, "--json")
	var list []cliInstallation
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || r.code != 0 {
		t.Fatalf("installations -json: exit status %d, %v; stdout:\n%s", r.code, err, r.stdout)
	}
	if len(list) != 4 || list[2].ID != 13 || list[2].Account != "frozen-org" || list[2].AccountType != "Organization" ||
		list[2].RepositorySelection != "all" || !list[2].Suspended || list[2].Permissions["contents"] != "read" {
		t.Errorf("installations -json = %+v", list)
	}
}

func TestCLIInstallationsPages(t *testing.T) {
	t.Parallel()
	world := testWorld(t)
	for i := range 246 {
		world.Installations = append(world.Installations, githubapitest.Installation{
			ID:                  int64(1000 + i),
			Account:             githubapitest.Account{Login: fmt.Sprintf("org-%d", i), ID: int64(50000 + i), Type: "Organization"},
			RepositorySelection: "all",
			Permissions:         map[string]string{"metadata": "read"},
		})
	}
	e := newCLIEnv(t, world)
	r := e.run("", "installations", "-client-id", testClientID, "-private-key-file", e.keyFile, "-json")
	var list []cliInstallation
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || r.code != 0 {
		t.Fatalf("installations -json: exit status %d, %v; stderr:\n%s", r.code, err, r.stderr)
	}
	if len(list) != 250 || list[249].Account != "org-245" {
		t.Errorf("installations -json listed %d installations, want 250", len(list))
	}
	if got := e.requests(); len(got) != 3 {
		t.Errorf("requests = %q, want 3 pages", got)
	}
}

func TestCLIInstallationsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		fault      *githubapitest.Fault
		wantCode   int
		wantStderr string
	}{
		{name: "no app", args: []string{"-private-key-file", "@key"}, wantCode: 2, wantStderr: "app-token: installations: -client-id or -app-id is required\n"},
		{name: "argument", args: []string{"-client-id", testClientID, "-private-key-file", "@key", "octo-org"}, wantCode: 2, wantStderr: "installations: takes no arguments, got 1"},
		{name: "repository flag", args: []string{"-client-id", testClientID, "-private-key-file", "@key", "-owner", "octo-org"}, wantCode: 2, wantStderr: "flag provided but not defined: -owner"},
		{name: "bad API URL", args: []string{"-client-id", testClientID, "-private-key-file", "@key", "-api-url", "https://user:pw@ghe.example/api/v3"}, wantCode: 2, wantStderr: "app-token: github-api-url: contains credentials\n"},
		{name: "key of another app", args: []string{"-client-id", testClientID, "-private-key-file", "@other"}, wantCode: 1, wantStderr: "app-token: list the app's installations: GET /app/installations: 401"},
		{
			name: "server error", args: []string{"-client-id", testClientID, "-private-key-file", "@key"},
			fault:    &githubapitest.Fault{Method: "GET", Path: "/app/installations", Status: 502, Count: -1},
			wantCode: 1, wantStderr: "hint: GitHub did not answer in time",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newCLIEnv(t, testWorld(t))
			if tt.fault != nil {
				e.srv.InjectFault(*tt.fault)
			}
			subst := strings.NewReplacer("@key", e.keyFile, "@other", e.writeFile("other.pem", keyInputs()["other"]))
			args := []string{"installations"}
			for _, a := range tt.args {
				args = append(args, subst.Replace(a))
			}
			r := e.run("", args...)
			if r.code != tt.wantCode || r.stdout != "" || !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("exit status %d, stdout %q, stderr %q; want %d, nothing, %q", r.code, r.stdout, r.stderr, tt.wantCode, tt.wantStderr)
			}
		})
	}
}

func TestCLIDebug(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t, testWorld(t))
	r := e.run("", "installations", "-client-id", testClientID, "-private-key-file", e.keyFile, "-debug")
	if r.code != 0 || !strings.Contains(r.stderr, "app-token: debug: ") || !strings.Contains(r.stderr, "/app/installations") {
		t.Errorf("installations -debug: exit status %d, stderr:\n%s\nwant a debug line for GET /app/installations", r.code, r.stderr)
	}
}

// TestCLIHelp runs the binary's dispatch as main does.
func TestCLIHelp(t *testing.T) {
	t.Parallel()
	pemText := keyInputs()["pkcs1"]
	tests := []struct {
		args       []string
		wantCode   int
		wantStdout string // prefix
		wantStderr string
	}{
		{args: []string{"help"}, wantStdout: "App-token mints GitHub App installation access tokens."},
		{args: []string{"-h"}, wantStdout: "App-token mints"},
		{args: []string{"--help"}, wantStdout: "App-token mints"},
		{args: []string{"help", "token"}, wantStdout: "usage: app-token token [flags]\n\nToken mints"},
		{args: []string{"token", "-h"}, wantStdout: "usage: app-token token [flags]\n"},
		{args: []string{"token", "--help"}, wantStdout: "usage: app-token token [flags]\n"},
		{args: []string{"token", "-client-id", "x", "-h"}, wantStdout: "usage: app-token token [flags]\n"},
		{args: []string{"revoke", "-help"}, wantStdout: "usage: app-token revoke [flags]\n"},
		{args: []string{"installations", "-h"}, wantStdout: "usage: app-token installations [flags]\n"},
		{args: []string{"help", "demo"}, wantStdout: "usage: app-token demo\n\nDemo runs"},
		{args: []string{"help", "nope"}, wantCode: 2, wantStderr: "app-token: help: unknown command \"nope\"\nhint: run `app-token help` for the commands and their flags\n"},
		{args: []string{"help", "token", "revoke"}, wantCode: 2, wantStderr: "app-token: help takes at most one command\n"},
		{args: []string{"nope"}, wantCode: 2, wantStderr: "app-token: unknown command \"nope\"\nhint: run `app-token help`"},
		{args: []string{"--client-id", "x"}, wantCode: 2, wantStderr: "app-token: unknown command \"--client-id\""},
		{args: []string{pemText}, wantCode: 2, wantStderr: "app-token: an argument holds a private key (not shown)\nhint: pass the key with -private-key-file"},
	}
	for _, tt := range tests {
		name := strings.Join(tt.args, " ")
		if looksLikeKey(name) {
			name = "key as command"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr, log bytes.Buffer
			d := testDeps(nil, &log, &stdout)
			code := 0
			if err := run(t.Context(), d, append([]string{"/usr/local/bin/app-token"}, tt.args...)); err != nil {
				code = reportCLI(&stderr, err)
			}
			if newKeyMaterial(keyPEMs()...).find(stdout.String()+stderr.String()) > 0 {
				t.Fatalf("the output shows key material")
			}
			if code != tt.wantCode || !strings.HasPrefix(stdout.String(), tt.wantStdout) || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("exit status %d, stdout:\n%s\nstderr:\n%s\nwant %d, stdout starting %q, stderr %q", code, stdout.String(), stderr.String(), tt.wantCode, tt.wantStdout, tt.wantStderr)
			}
			if tt.wantCode != 0 && stdout.Len() > 0 {
				t.Errorf("stdout = %q, want nothing on a usage error", stdout.String())
			}
			if strings.Contains(stdout.String()+stderr.String(), "MII") || log.Len() > 0 {
				t.Errorf("the output shows the key, or workflow commands")
			}
		})
	}
}

// TestCLIHelpFlags checks that every flag has help, and that each command's
// help names its flags.
func TestCLIHelpFlags(t *testing.T) {
	t.Parallel()
	for _, c := range commands {
		if c.flags == nil {
			continue
		}
		var b bytes.Buffer
		if err := printHelp(&b, c); err != nil {
			t.Fatal(err)
		}
		c.flags().VisitAll(func(f *flag.Flag) {
			if f.Usage == "" || !strings.Contains(b.String(), "  -"+f.Name+" ") && !strings.Contains(b.String(), "  -"+f.Name+"\n") {
				t.Errorf("app-token %s -h does not describe -%s", c.name, f.Name)
			}
		})
	}
}

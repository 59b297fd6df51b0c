package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

func TestToken(t *testing.T) {
	t.Parallel()
	// hintField matches a hint's field reference left unrendered.
	hintField := regexp.MustCompile(`\{[a-z*-]+\}`)
	const key = "@key" // replaced by the key file's path, or in env and stdin by the key
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		stdin string
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
			args:         []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "octocat"},
			wantRequests: []string{"GET /users/octocat/installation 200", "POST /app/installations/12/access_tokens 201"},
			wantInst:     12,
			wantPerms:    map[string]string{"contents": "read", "metadata": "read"},
		},
		{
			// Exported for other work, it is no input of a run with a
			// private key: no warning that it is ignored.
			name:     "AZURE_ACCESS_TOKEN in the environment",
			args:     []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "octocat"},
			env:      map[string]string{"AZURE_ACCESS_TOKEN": "eyJ0eXAiOiJKV1QifQ.e30.c2ln"},
			wantInst: 12,
		},
		{
			name:     "double-dash flags and app id",
			args:     []string{"--app-id=1001", "--private-key-file", key, "--owner=octocat"},
			wantInst: 12,
		},
		{
			name:         "repositories of owner",
			args:         []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "octo-org", "-repositories", "app, infra"},
			wantRequests: []string{"GET /repos/octo-org/app/installation 200", "POST /app/installations/11/access_tokens 201"},
			wantInst:     11,
			wantRepos:    []string{"app", "infra"},
		},
		{
			name:      "repeated repositories add up",
			args:      []string{"--client-id", runnertest.ClientID, "--private-key-file", key, "--owner", "octo-org", "--repositories", "app", "--repositories", "infra,docs"},
			wantInst:  11,
			wantRepos: []string{"app", "infra", "docs"},
		},
		{
			name:       "repositories understood, with a notice",
			args:       []string{"--client-id", runnertest.ClientID, "--private-key-file", key, "--owner", "octo-org", "--repositories", "app.git"},
			wantStderr: []string{"app-token: notice: --repositories: understood \"app.git\" as \"app\""},
			wantInst:   11,
			wantRepos:  []string{"app"},
		},
		{
			name:      "repositories as owner/name",
			args:      []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-repositories", "octo-org/docs"},
			wantInst:  11,
			wantRepos: []string{"docs"},
		},
		{
			name:         "current repository from the environment",
			args:         []string{"-client-id", runnertest.ClientID, "-private-key-file", key},
			env:          map[string]string{"GITHUB_REPOSITORY": "octo-org/app", "GITHUB_REPOSITORY_OWNER": "someone-else"},
			wantRequests: []string{"GET /repos/octo-org/app/installation 200", "POST /app/installations/11/access_tokens 201"},
			wantInst:     11,
			wantRepos:    []string{"app"},
		},
		{
			name:      "repository flag wins over the environment",
			args:      []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-repository", "octo-org/infra"},
			env:       map[string]string{"GITHUB_REPOSITORY": "octo-org/app"},
			wantInst:  11,
			wantRepos: []string{"infra"},
		},
		{
			name:         "installation id",
			args:         []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-installation-id", "12"},
			wantRequests: []string{"GET /app/installations/12 200", "POST /app/installations/12/access_tokens 201"},
			wantInst:     12,
		},
		{
			name:         "enterprise",
			args:         []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-enterprise", "octo-ent"},
			wantRequests: []string{"GET /enterprises/octo-ent/installation 200", "POST /app/installations/14/access_tokens 201"},
			wantInst:     14,
		},
		{
			name:      "repository ids",
			args:      []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "octo-org", "-repository-ids", "102"},
			wantInst:  11,
			wantRepos: []string{"infra"},
		},
		{
			name:      "repeated repository ids add up",
			args:      []string{"--client-id", runnertest.ClientID, "--private-key-file", key, "--owner", "octo-org", "--repository-ids", "101", "--repository-ids", "102"},
			wantInst:  11,
			wantRepos: []string{"app", "infra"},
		},
		{
			name:      "permissions",
			args:      []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "octo-org", "-permission", "contents=read", "-permission", "Pull-Requests=write", "-permission", "contents=READ"},
			wantInst:  11,
			wantPerms: map[string]string{"contents": "read", "metadata": "read", "pull_requests": "write"}, // GitHub adds metadata
		},
		{
			name:      "permissions as a list",
			args:      []string{"--client-id", runnertest.ClientID, "--private-key-file", key, "--owner", "octo-org", "--permission", "contents=read,issues=write", "--permission", "pull_requests=read"},
			wantInst:  11,
			wantPerms: map[string]string{"contents": "read", "issues": "write", "metadata": "read", "pull_requests": "read"},
		},
		{
			name:     "key from APP_PRIVATE_KEY",
			args:     []string{"-client-id", runnertest.ClientID, "-owner", "octocat"},
			env:      map[string]string{"APP_PRIVATE_KEY": key},
			wantInst: 12,
		},
		{
			name:     "app and key from the environment",
			args:     []string{"--owner", "octocat"},
			env:      map[string]string{"APP_CLIENT_ID": runnertest.ClientID, "APP_PRIVATE_KEY": key},
			wantInst: 12,
		},
		{
			name:     "app id flag wins over APP_CLIENT_ID",
			args:     []string{"--app-id", "1001", "--owner", "octocat"},
			env:      map[string]string{"APP_CLIENT_ID": "Iv23liSomeOtherApp00", "APP_PRIVATE_KEY": key},
			wantInst: 12,
		},
		{
			name:     "key from another variable",
			args:     []string{"-client-id", runnertest.ClientID, "-owner", "octocat", "-private-key-env", "MY_KEY"},
			env:      map[string]string{"MY_KEY": key, "APP_PRIVATE_KEY": "not a key"},
			wantInst: 12,
		},
		{
			name:     "key from stdin",
			args:     []string{"-client-id", runnertest.ClientID, "-owner", "octocat", "-private-key-file", "-"},
			stdin:    key,
			wantInst: 12,
		},
		{
			name:     "key file wins over APP_PRIVATE_KEY",
			args:     []string{"-client-id", runnertest.ClientID, "-owner", "octocat", "-private-key-file", key},
			env:      map[string]string{"APP_PRIVATE_KEY": "not a key"},
			wantInst: 12,
		},
		{
			name:       "app id ignored",
			args:       []string{"-client-id", runnertest.ClientID, "-app-id", "999", "-private-key-file", key, "-owner", "octocat"},
			wantStderr: []string{"app-token: warning: --app-id is ignored because --client-id is set\n"},
			wantInst:   12,
		},
		{
			// config's warning names two inputs; both come out as flags.
			name:       "identity flag without a signing key",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "octocat", "-aws-role-arn", "arn:aws:iam::1:role/x"},
			wantStderr: []string{"app-token: warning: --aws-role-arn is ignored: --signing-key is not set\n"},
			wantInst:   12,
		},

		// Usage errors: exit status 2, no request.
		{
			name:         "no app",
			args:         []string{"-private-key-file", key, "-owner", "octocat"},
			wantCode:     2,
			wantStderr:   []string{"app-token: token: no app: --client-id and --app-id are not set and $APP_CLIENT_ID is empty\nhint: pass --client-id"},
			wantRequests: []string{},
		},
		{
			name:       "no key",
			args:       []string{"-client-id", runnertest.ClientID, "-owner", "octocat"},
			wantCode:   2,
			wantStderr: []string{"app-token: token: no private key: --private-key-file is not set and $APP_PRIVATE_KEY is empty\nhint: pass --private-key-file PATH"},
		},
		{
			name:       "no key in the chosen variable",
			args:       []string{"-client-id", runnertest.ClientID, "-owner", "octocat", "-private-key-env", "MY_KEY"},
			env:        map[string]string{"APP_PRIVATE_KEY": key},
			wantCode:   2,
			wantStderr: []string{"$MY_KEY is empty\nhint: pass --private-key-file PATH with the .pem file from the app's settings > Private keys, or export MY_KEY\n"},
		},
		{
			name:       "bad variable name",
			args:       []string{"-client-id", runnertest.ClientID, "-owner", "octocat", "-private-key-env", "A=B"},
			wantCode:   2,
			wantStderr: []string{"app-token: token: --private-key-env must name an environment variable\n"},
		},
		{
			name:       "two key sources",
			args:       []string{"-client-id", runnertest.ClientID, "-owner", "octocat", "-private-key-file", key, "-private-key-env", "MY_KEY"},
			wantCode:   2,
			wantStderr: []string{"--private-key-file and --private-key-env cannot be combined"},
		},
		{
			name:       "unknown flag",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key", "x"},
			wantCode:   2,
			wantStderr: []string{"app-token: token: flag provided but not defined: -private-key\nhint: run `app-token token -h` for its flags\n"},
		},
		{
			name:       "argument",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "octocat"},
			wantCode:   2,
			wantStderr: []string{"app-token: token: takes no arguments, got 1\n"},
		},
		{
			name:       "key as an argument",
			args:       []string{"-client-id", runnertest.ClientID, "@keytext"},
			wantCode:   2,
			wantStderr: []string{"app-token: token: an argument holds a private key (not shown)\nhint: pass the key with --private-key-file PATH"},
		},
		{
			name:       "key as a flag value",
			args:       []string{"-client-id", runnertest.ClientID, "-owner", "@keytext"},
			wantCode:   2,
			wantStderr: []string{"an argument holds a private key (not shown)"},
		},
		{
			name:       "key as the key file's path",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", "@keytext"},
			wantCode:   2,
			wantStderr: []string{"an argument holds a private key (not shown)"},
		},
		{
			name:       "permission without level",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-permission", "contents"},
			wantCode:   2,
			wantStderr: []string{`app-token: token: invalid value "contents" for flag -permission: want NAME=LEVEL, like contents=read` + "\n"},
		},
		{
			name:       "bad permission level",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "octo-org", "-permission", "issues=admin"},
			wantCode:   2,
			wantStderr: []string{"app-token: --permission issues=admin: must be read or write, got \"admin\"\nhint: set --permission issues=LEVEL to read or write, or remove it\n"},
		},
		{
			name:       "bad permission name",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "octo-org", "-permission", "is sues=read"},
			wantCode:   2,
			wantStderr: []string{"app-token: --permission: \"is sues\" is not a valid permission name\nhint: write --permission NAME=LEVEL, where NAME is a GitHub App permission"},
		},
		{
			name:       "permission twice",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "octo-org", "-permission", "pull_requests=read", "-permission", "pull-requests=write"},
			wantCode:   2,
			wantStderr: []string{`app-token: token: --permission pull_requests is set twice, to "read" and "write"` + "\n"},
		},
		{
			name:       "bad repositories",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "octo-org", "-repositories", "app infra"},
			wantCode:   2,
			wantStderr: []string{"app-token: --repositories: \"app infra\" is not a valid repository name\nhint: separate the entries of --repositories with commas or newlines\n"},
		},
		{
			name:       "repositories of two owners",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-repositories", "octo-org/app,octocat/blog"},
			wantCode:   2,
			wantStderr: []string{`app-token: --repositories: "octocat/blog" is not owned by "octo-org"` + "\n", "set --owner to the repositories' owner"},
		},
		{
			name:       "repeated repositories of two owners",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-repositories", "octo-org/app", "-repositories", "octocat/blog"},
			wantCode:   2,
			wantStderr: []string{`app-token: --repositories: "octocat/blog" is not owned by "octo-org"` + "\n"},
		},
		{
			name:       "bad repository id",
			args:       []string{"--client-id", runnertest.ClientID, "--private-key-file", key, "--owner", "octo-org", "--repository-ids", "101", "--repository-ids", "x"},
			wantCode:   2,
			wantStderr: []string{"app-token: --repository-ids: \"x\" is not a repository ID\nhint: set --repository-ids to positive integers"},
		},
		{
			name:       "installation id and owner",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "octocat", "-installation-id", "12"},
			wantCode:   2,
			wantStderr: []string{"app-token: --installation-id: cannot be combined with --owner\nhint: set --installation-id to choose the installation directly, or --owner to find it, not both\n"},
		},
		{
			name:       "signing key and private key file",
			args:       []string{"--client-id", runnertest.ClientID, "--private-key-file", key, "--owner", "octocat", "--signing-key", "awskms:///alias/github-app"},
			wantCode:   2,
			wantStderr: []string{"app-token: --signing-key: cannot be combined with --private-key-file or $APP_PRIVATE_KEY\n"},
		},
		{
			name:       "enterprise and others",
			args:       []string{"--client-id", runnertest.ClientID, "--private-key-file", key, "--enterprise", "octo-ent", "--owner", "octocat", "--repository-ids", "1", "--installation-id", "12"},
			wantCode:   2,
			wantStderr: []string{"app-token: --enterprise: cannot be combined with --owner, --repository-ids and --installation-id\n"},
		},
		{
			name:       "no installation chosen",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", key},
			wantCode:   2,
			wantStderr: []string{"app-token: --owner: is not set, and $GITHUB_REPOSITORY is empty\nhint: set --owner or --repositories when running outside a repository context\n"},
		},
		{
			name:       "bad repository",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-repository", "app"},
			wantCode:   2,
			wantStderr: []string{`app-token: token: --repository "app" is not owner/name` + "\n"},
		},
		{
			name:       "bad GITHUB_REPOSITORY",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", key},
			env:        map[string]string{"GITHUB_REPOSITORY": "app"},
			wantCode:   2,
			wantStderr: []string{`app-token: --owner: is not set, and $GITHUB_REPOSITORY "app" is not owner/name` + "\n"},
		},
		{
			name:       "unexpanded expression",
			args:       []string{"--client-id", runnertest.ClientID, "--private-key-file", key, "--owner", "${{ github.repository_owner }}"},
			wantCode:   2,
			wantStderr: []string{"app-token: --owner: contains an unexpanded ${{ }} expression\nhint: pass the value itself: --owner got the text of a workflow expression"},
		},
		{
			name:       "web URL as API URL",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "octocat", "-api-url", "https://github.com"},
			wantCode:   2,
			wantStderr: []string{"app-token: --api-url: \"https://github.com\" is github.com's web address, not its API\nhint: set --api-url to https://api.github.com, or leave it unset\n"},
		},
		{
			name:       "client id holds a key",
			args:       []string{"-client-id", "PRIVATE KEY", "-private-key-file", key, "-owner", "octocat"},
			wantCode:   2,
			wantStderr: []string{"app-token: --client-id: contains a private key\nhint: pass the private key to --private-key-file or $APP_PRIVATE_KEY only, and check which secret --client-id gets"},
		},

		// Failures: exit status 1.
		{
			name:         "not installed",
			args:         []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "nobody"},
			wantCode:     1,
			wantStderr:   []string{"app-token: find the app installation for nobody: GET /users/nobody/installation: 404", "\nhint: install the app \"test-app\" on nobody"},
			wantRequests: []string{"GET /users/nobody/installation 404", "GET /app 200"},
		},
		{
			name:         "key of another app",
			args:         []string{"-client-id", runnertest.ClientID, "-private-key-file", "@other", "-owner", "octocat"},
			wantCode:     1,
			wantStderr:   []string{": 401 ", "hint: the private key does not belong to the app \"" + runnertest.ClientID + "\"", "pass --client-id and --private-key-file or $APP_PRIVATE_KEY of the same app"},
			wantRequests: []string{"GET /users/octocat/installation 401"},
		},
		{
			name:         "key file holds no key",
			args:         []string{"-client-id", runnertest.ClientID, "-private-key-file", "@notkey", "-owner", "octocat"},
			files:        map[string]string{"notkey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG user@host\n"},
			wantCode:     1,
			wantStderr:   []string{"notkey: private key is an SSH public key\nhint: "},
			wantRequests: []string{},
		},
		{
			name:       "key file missing",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", "missing.pem", "-owner", "octocat"},
			wantCode:   1,
			wantStderr: []string{"app-token: read the private key: open missing.pem: no such file or directory\n"},
		},
		{
			name:       "key file empty",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", "@empty", "-owner", "octocat"},
			files:      map[string]string{"empty": "\n"},
			wantCode:   1,
			wantStderr: []string{"is empty\nhint: pass the .pem file"},
		},
		{
			name:       "suspended",
			args:       []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "frozen-org"},
			wantCode:   1,
			wantStderr: []string{"403", "hint: an owner of frozen-org must unsuspend the installation"},
		},
		{
			name:         "permission not granted",
			args:         []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "octocat", "-permission", "issues=write"},
			wantCode:     1,
			wantStderr:   []string{"installation 12 of test-app does not grant the requested permissions: issues: write (installation has none)", "hint: request no more than the installation grants in --permission NAME=LEVEL"},
			wantRequests: []string{"GET /users/octocat/installation 200"},
		},
		{
			name:         "unknown permission",
			args:         []string{"-client-id", runnertest.ClientID, "-private-key-file", key, "-owner", "octocat", "-permission", "teleport=read"},
			wantCode:     1,
			wantStderr:   []string{"app-token: warning: --permission teleport=read: \"teleport\" is not a known github.com permission", "does not grant"},
			wantRequests: []string{"GET /users/octocat/installation 200"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runnertest.World())
			pemText := h.srv.PrivateKeyPEM()
			paths := map[string]string{key: h.keyFile, "@other": h.writeFile("other.pem", runnertest.KeyInputs()["other"]), "@keytext": pemText}
			for name, content := range tt.files {
				paths["@"+name] = h.writeFile(name, content)
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
				h.env[k] = v
			}
			stdin := tt.stdin
			if stdin == key {
				stdin = pemText
			}

			r := h.run(stdin, args...)

			if r.code != tt.wantCode {
				t.Errorf("exit status = %d, want %d; stderr:\n%s", r.code, tt.wantCode, h.redact(r.stderr))
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr = %q, want it to contain %q", h.redact(r.stderr), want)
				}
			}
			if strings.Contains(r.stderr, "permission-") || strings.Contains(r.stderr, "github-api-url") || hintField.MatchString(r.stderr) {
				t.Errorf("stderr = %q, want flags, not the action's input names or hint fields", h.redact(r.stderr))
			}
			if tt.wantCode != 0 && r.stdout != "" {
				t.Errorf("stdout = %q, want nothing on failure", h.redact(r.stdout))
			}
			if tt.wantCode == 2 && len(h.srv.Requests()) != 0 {
				t.Errorf("a usage error made requests: %v", h.requests())
			}
			if tt.wantRequests != nil && !slices.Equal(h.requests(), tt.wantRequests) && !(len(tt.wantRequests) == 0 && len(h.requests()) == 0) {
				t.Errorf("requests = %q, want %q", h.requests(), tt.wantRequests)
			}
			tokens := h.srv.Tokens()
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
				t.Errorf("stdout is not the issued token and a newline (%d bytes)", len(h.redact(r.stdout)))
			}
			if tok.InstallationID != tt.wantInst {
				t.Errorf("token installation = %d, want %d", tok.InstallationID, tt.wantInst)
			}
			if tt.wantRepos != nil && !slices.Equal(tok.Repositories, tt.wantRepos) {
				t.Errorf("token repositories = %q, want %q", tok.Repositories, tt.wantRepos)
			}
			if tt.wantPerms != nil && !maps.Equal(tok.Permissions, tt.wantPerms) {
				t.Errorf("token permissions = %s, want %s", apptoken.FormatPermissions(tok.Permissions), apptoken.FormatPermissions(tt.wantPerms))
			}
			if tt.wantStderr == nil && r.stderr != "" {
				t.Errorf("stderr = %q, want nothing", h.redact(r.stderr))
			}
		})
	}
}

// TestTokenJSON checks that --json says what the token covers:
// repository_selection, and repositories only for selected ones.
func TestTokenJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		args          []string
		wantInst      float64
		wantFields    []string
		wantSelection string
		wantRepos     string // fmt of the repositories field
		wantPerms     string
	}{
		{
			name:          "selected repositories",
			args:          []string{"--owner", "octo-org", "--repositories", "app,infra", "--permission", "issues=write"},
			wantInst:      11,
			wantFields:    []string{"app_slug", "expires_at", "installation_id", "permissions", "repositories", "repository_selection", "token"},
			wantSelection: "selected",
			wantRepos:     "[app infra]",
			wantPerms:     "map[issues:write metadata:read]",
		},
		{
			name:          "all repositories",
			args:          []string{"--owner", "octocat"},
			wantInst:      12,
			wantFields:    []string{"app_slug", "expires_at", "installation_id", "permissions", "repository_selection", "token"},
			wantSelection: "all",
			wantRepos:     "<nil>",
			wantPerms:     "map[contents:read metadata:read]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runnertest.World())
			r := h.run("", append([]string{"token", "--client-id", runnertest.ClientID, "--private-key-file", h.keyFile, "--json"}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit status = %d; stderr:\n%s", r.code, h.redact(r.stderr))
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("stdout is not JSON: %v", err)
			}
			if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, tt.wantFields) {
				t.Errorf("JSON fields = %q, want %q", keys, tt.wantFields)
			}
			tok := h.srv.Tokens()[0]
			if got["token"] != tok.Value {
				t.Errorf("JSON token is not the issued token")
			}
			if got["installation_id"] != tt.wantInst || got["app_slug"] != runnertest.AppSlug {
				t.Errorf("JSON installation_id, app_slug = %v, %v, want %v, %s", got["installation_id"], got["app_slug"], tt.wantInst, runnertest.AppSlug)
			}
			if exp, err := time.Parse(time.RFC3339, fmt.Sprint(got["expires_at"])); err != nil || !exp.Equal(tok.ExpiresAt.Truncate(time.Second)) {
				t.Errorf("JSON expires_at = %v, want %s", got["expires_at"], tok.ExpiresAt.UTC().Format(time.RFC3339))
			}
			if got["repository_selection"] != tt.wantSelection {
				t.Errorf("JSON repository_selection = %v, want %s", got["repository_selection"], tt.wantSelection)
			}
			if fmt.Sprint(got["permissions"]) != tt.wantPerms || fmt.Sprint(got["repositories"]) != tt.wantRepos {
				t.Errorf("JSON permissions, repositories = %v, %v, want %s, %s", got["permissions"], got["repositories"], tt.wantPerms, tt.wantRepos)
			}
		})
	}
}

// TestTokenCancelled interrupts token while GitHub mints the token: the
// token that arrives is revoked, or, when that fails, a warning says until
// when it stays valid, without showing it.
func TestTokenCancelled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		revokeFails bool
		wantRevoked bool
		wantStderr  string
	}{
		{name: "revoked", wantRevoked: true, wantStderr: "(the token GitHub minted meanwhile was revoked)"},
		{name: "revocation fails", revokeFails: true, wantStderr: "app-token: warning: the token GitHub minted for installation 12 could not be revoked; it stays valid until "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runnertest.World())
			// The interrupt comes as the token request arrives, whatever
			// the machine's speed; GitHub answers it in the grace.
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			h.srv.InjectFault(githubapitest.Fault{Method: "POST", Path: "/app/installations/12/access_tokens", Delay: 300 * time.Millisecond, Arrived: cancel})
			if tt.revokeFails {
				h.srv.InjectFault(githubapitest.Fault{Method: "DELETE", Path: "/installation/token", Status: 500, Count: -1})
			}

			var stdout, stderr strings.Builder
			code := h.command("", &stdout, &stderr).Main(ctx, []string{"token", "--client-id", runnertest.ClientID, "--private-key-file", h.keyFile, "--owner", "octocat"})

			if code != 1 || stdout.Len() != 0 {
				t.Errorf("exit status %d, stdout %d bytes; want 1 and nothing", code, stdout.Len())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", h.redact(stderr.String()), tt.wantStderr)
			}
			if line, kind := runnertest.SecretsOf(h.srv).Find(stderr.String()); line > 0 {
				t.Errorf("stderr line %d shows %s", line, kind)
			}
			tokens := h.srv.Tokens()
			if len(tokens) != 1 || tokens[0].Revoked != tt.wantRevoked {
				t.Fatalf("%d tokens issued; want 1, revoked %t", len(tokens), tt.wantRevoked)
			}
			if tt.revokeFails && !strings.Contains(stderr.String(), tokens[0].ExpiresAt.UTC().Format(time.RFC3339)) {
				t.Errorf("stderr = %q, want the token's expiry %s", h.redact(stderr.String()), tokens[0].ExpiresAt.UTC().Format(time.RFC3339))
			}
		})
	}
}

// failingWriter fails every write, like a closed pipe.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// TestTokenRevokesUnprintedToken checks that app-token token revokes the
// token it could not print: nobody has it, so it must not stay valid; and
// that when the revocation fails too, a warning says until when it does.
func TestTokenRevokesUnprintedToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		revokeFails bool
		wantRevoked bool
		wantStderr  []string
	}{
		{name: "revoked", wantRevoked: true, wantStderr: []string{"app-token: print the token: broken pipe\n"}},
		{
			name: "revocation fails", revokeFails: true,
			wantStderr: []string{"app-token: warning: the token GitHub minted for installation 12 could not be revoked; it stays valid until ", "app-token: print the token: broken pipe\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, runnertest.World())
			if tt.revokeFails {
				h.srv.InjectFault(githubapitest.Fault{Method: "DELETE", Path: "/installation/token", Status: 500, Count: -1})
			}
			h.env["APP_PRIVATE_KEY"] = h.srv.PrivateKeyPEM()
			var stderr strings.Builder
			code := h.command("", failingWriter{}, &stderr).Main(t.Context(), []string{"token", "--client-id", runnertest.ClientID, "--owner", "octocat"})
			if code != 1 {
				t.Errorf("exit status = %d, want 1", code)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr = %q, want it to contain %q", h.redact(stderr.String()), want)
				}
			}
			if line, kind := runnertest.SecretsOf(h.srv).Find(stderr.String()); line > 0 {
				t.Errorf("stderr line %d shows %s", line, kind)
			}
			toks := h.srv.Tokens()
			if len(toks) != 1 || toks[0].Revoked != tt.wantRevoked {
				t.Errorf("%d tokens issued; want 1, revoked %t", len(toks), tt.wantRevoked)
			}
		})
	}
}

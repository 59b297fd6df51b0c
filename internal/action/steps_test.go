package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// TestOutputsFromGitHub changes GitHub's answer to the token request and
// checks that the outputs, the state and the job summary show what GitHub
// granted, not what the step asked for.
func TestOutputsFromGitHub(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testWorld(t))
	h.env["INPUT_PERMISSION-CONTENTS"] = "write"
	const expires = "2031-01-02T03:04:05Z"
	answer := realAnswer(t, h, "POST", mintPath)
	answer["expires_at"] = expires
	answer["permissions"] = map[string]any{"contents": "read", "metadata": "read"}
	body, err := json.Marshal(answer)
	if err != nil {
		t.Fatal(err)
	}
	h.srv.InjectFault(githubapitest.Fault{Method: "POST", Path: mintPath, Status: 201, Body: string(body)})

	r := h.run(false)

	if r.err != nil {
		t.Fatalf("main step error = %v", redactSecrets(h, r.err.Error()))
	}
	token := fmt.Sprint(answer["token"])
	wantOutputs := map[string]string{
		"token":           token,
		"installation-id": "11",
		"app-slug":        testAppSlug,
		"expires-at":      expires,
		"permissions":     `{"contents":"read","metadata":"read"}`,
	}
	if !maps.Equal(r.outputs, wantOutputs) {
		t.Errorf("outputs = %v, want %v", redactSecrets(h, fmt.Sprint(r.outputs)), redactSecrets(h, fmt.Sprint(wantOutputs)))
	}
	if wantState := map[string]string{"main": "started", "token": token, "expires-at": expires}; !maps.Equal(r.state, wantState) {
		t.Errorf("state = %v, want %v", redactSecrets(h, fmt.Sprint(r.state)), redactSecrets(h, fmt.Sprint(wantState)))
	}
	summary := readSummary(t, h)
	for _, row := range []string{"| Permissions | contents: read, metadata: read |", "| Expires | " + expires + " |"} {
		if !strings.Contains(summary, row+"\n") {
			t.Errorf("summary:\n%s\nwant the row %q", summary, row)
		}
	}
}

// TestSummary checks the job summary: a table of the app, the account, the
// installation, the repositories, the permissions and the expiry of the
// token GitHub issued, and when it is revoked; none with summary: false or
// where the runner gives no summary file.
func TestSummary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		// The rows after App; "" for no summary.
		account, installation, repositories, permissions, revocation string
	}{
		{
			name:    "current repository",
			account: "octo-org (Organization)", installation: "11", repositories: "app",
			permissions: "contents: write, issues: write, metadata: read, pull_requests: write",
			revocation:  "at the end of the job",
		},
		{
			name:    "repositories and permissions",
			env:     map[string]string{"INPUT_REPOSITORIES": "infra,docs", "INPUT_PERMISSION-ISSUES": "write"},
			account: "octo-org (Organization)", installation: "11", repositories: "infra, docs",
			permissions: "issues: write, metadata: read", // GitHub adds metadata
			revocation:  "at the end of the job",
		},
		{
			name:    "owner with all repositories",
			env:     map[string]string{"INPUT_OWNER": "octocat"},
			account: "octocat (User)", installation: "12", repositories: "all repositories of the installation",
			permissions: "contents: read, metadata: read",
			revocation:  "at the end of the job",
		},
		{
			name:    "enterprise with selected repositories",
			env:     map[string]string{"INPUT_ENTERPRISE": "octo-ent"},
			account: "octo-ent (Enterprise)", installation: "14", repositories: "the installation's selected repositories",
			permissions: "enterprise_custom_properties_for_organizations: write",
			revocation:  "at the end of the job",
		},
		{
			name:    "skip-token-revoke",
			env:     map[string]string{"INPUT_SKIP-TOKEN-REVOKE": "true"},
			account: "octo-org (Organization)", installation: "11", repositories: "app",
			permissions: "contents: write, issues: write, metadata: read, pull_requests: write",
			revocation:  "skipped (skip-token-revoke)",
		},
		{name: "summary false", env: map[string]string{"INPUT_SUMMARY": "false"}},
		{name: "no summary file", env: map[string]string{"GITHUB_STEP_SUMMARY": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, testWorld(t))
			maps.Copy(h.env, tt.env)
			r := h.run(false)
			if r.err != nil {
				t.Fatalf("main step error = %v", redactSecrets(h, r.err.Error()))
			}
			got := readSummary(t, h)
			if tt.account == "" {
				if got != "" {
					t.Errorf("summary:\n%s\nwant none", got)
				}
				return
			}
			tokens := h.srv.Tokens()
			if len(tokens) != 1 {
				t.Fatalf("%d tokens issued, want 1", len(tokens))
			}
			want := "### GitHub App token\n\n| | |\n|---|---|\n" +
				"| App | " + testAppSlug + " |\n" +
				"| Account | " + tt.account + " |\n" +
				"| Installation | " + tt.installation + " |\n" +
				"| Repositories | " + tt.repositories + " |\n" +
				"| Permissions | " + tt.permissions + " |\n" +
				"| Expires | " + tokens[0].ExpiresAt.UTC().Format(time.RFC3339) + " |\n" +
				"| Revocation | " + tt.revocation + " |\n" +
				"\n" // the runner's separator from the next step's summary
			if got != want {
				t.Errorf("summary:\n%s\nwant:\n%s", redactSecrets(h, got), want)
			}
		})
	}
}

// readSummary returns the job summary the steps wrote, or "".
func readSummary(t *testing.T, h *harness) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.dir, "summary"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

// TestPostStep checks when the post step revokes the token the main step
// saved: not when skip-token-revoke is true, nor when the token expires
// within a minute, since revoking it could race its expiry.
func TestPostStep(t *testing.T) {
	t.Parallel()
	in := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339) }
	tests := []struct {
		name        string
		edit        func(env map[string]string) // changes to the post step's environment
		wantLog     string
		wantRevoked bool
	}{
		{name: "saved state", wantLog: "Token revoked", wantRevoked: true},
		{name: "expires in 90 s", edit: func(env map[string]string) { env["STATE_expires-at"] = in(90 * time.Second) },
			wantLog: "Token revoked", wantRevoked: true},
		{name: "expires in 50 s", edit: func(env map[string]string) { env["STATE_expires-at"] = in(50 * time.Second) },
			wantLog: "Token revocation skipped: the token expired or expires within a minute"},
		{name: "expired", edit: func(env map[string]string) { env["STATE_expires-at"] = in(-time.Hour) },
			wantLog: "Token revocation skipped: the token expired or expires within a minute"},
		{name: "no expiry saved", edit: func(env map[string]string) { delete(env, "STATE_expires-at") },
			wantLog: "Token revoked", wantRevoked: true},
		{name: "unreadable expiry", edit: func(env map[string]string) { env["STATE_expires-at"] = "soon" },
			wantLog: "Token revoked", wantRevoked: true},
		{name: "skip-token-revoke with a token saved", edit: func(env map[string]string) { env["INPUT_SKIP-TOKEN-REVOKE"] = "True" },
			wantLog: "Token revocation skipped: skip-token-revoke is true"},
		{name: "no token saved", edit: func(env map[string]string) { delete(env, "STATE_token") },
			wantLog: "No token to revoke: the main step did not create one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, testWorld(t))
			if r := h.run(false); r.err != nil {
				t.Fatalf("main step error = %v", redactSecrets(h, r.err.Error()))
			}
			h.loadState()
			if tt.edit != nil {
				tt.edit(h.env)
			}

			r := h.run(true)

			if r.err != nil || !strings.Contains(r.log, tt.wantLog) || strings.Contains(r.log, "::") {
				t.Errorf("post step: error = %v, log:\n%s\nwant no error, no workflow command, and %q", r.err, redactSecrets(h, r.log), tt.wantLog)
			}
			wantRequests := 0
			if tt.wantRevoked {
				wantRequests = 1
			}
			if n := h.srv.Count("DELETE", revokePath); n != wantRequests {
				t.Errorf("%d revoke requests, want %d", n, wantRequests)
			}
			if got := h.srv.Tokens()[0].Revoked; got != tt.wantRevoked {
				t.Errorf("token revoked = %t, want %t", got, tt.wantRevoked)
			}
		})
	}
}

// TestStepDeadline checks that each step has a deadline of its own, so
// that a hung GitHub ends the step before the retries run out, and the job
// is not held up: the main step fails, the post step warns.
func TestStepDeadline(t *testing.T) {
	t.Parallel()
	// Each attempt times out after 200 ms, so without the deadline a hung
	// server gets 4 attempts; with it, at most 2, however slow the
	// machine: an attempt lasts at least its 200 ms.
	const attempt, deadline = 200 * time.Millisecond, 300 * time.Millisecond
	hung := func(method, path string) githubapitest.Fault {
		return githubapitest.Fault{Method: method, Path: path, Delay: time.Minute, Count: -1}
	}
	t.Run("main", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, testWorld(t))
		h.deadline, h.requestTimeout = deadline, attempt
		h.srv.InjectFault(hung("GET", lookupPath))
		r := h.run(false)
		if r.err == nil || !errors.Is(r.err, context.DeadlineExceeded) {
			t.Errorf("main step error = %v, want the step's deadline exceeded", r.err)
		}
		if n := h.srv.Count("GET", lookupPath); n > 2 {
			t.Errorf("%d attempts, want the deadline to stop the step after 2", n)
		}
		if n := strings.Count(r.log, "::error::"); n != 1 {
			t.Errorf("log has %d ::error:: lines, want 1:\n%s", n, redactSecrets(h, r.log))
		}
	})
	t.Run("post", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, testWorld(t))
		if r := h.run(false); r.err != nil {
			t.Fatalf("main step error = %v", redactSecrets(h, r.err.Error()))
		}
		h.loadState()
		h.deadline, h.requestTimeout = deadline, attempt
		h.srv.InjectFault(hung("DELETE", revokePath))
		r := h.run(true)
		if r.err != nil || !strings.Contains(r.log, "::warning::Could not revoke the installation token") {
			t.Errorf("post step: error = %v, log:\n%s\nwant a warning", r.err, redactSecrets(h, r.log))
		}
		if n := h.srv.Count("DELETE", revokePath); n > 2 {
			t.Errorf("%d attempts, want the deadline to stop the step after 2", n)
		}
	})
}

// TestGitUser checks the git-user outputs: the bot user's name, and an
// email with the bot user's ID as GitHub gives it; a failed look-up fails
// the step and revokes the token, which no output shows.
func TestGitUser(t *testing.T) {
	t.Parallel()
	t.Run("outputs", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, testWorld(t))
		h.env["INPUT_GIT-USER"] = "true"
		r := h.run(false)
		if r.err != nil {
			t.Fatalf("main step error = %v", redactSecrets(h, r.err.Error()))
		}
		bot := h.srv.BotUser()
		if got, want := r.outputs["git-user-name"], "test-app[bot]"; got != want {
			t.Errorf("git-user-name = %q, want %q", got, want)
		}
		if got, want := r.outputs["git-user-email"], fmt.Sprintf("%d+test-app[bot]@users.noreply.github.com", bot.ID); got != want {
			t.Errorf("git-user-email = %q, want %q", got, want)
		}
	})
	t.Run("look-up fails", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, testWorld(t))
		h.env["INPUT_GIT-USER"] = "true"
		h.srv.InjectFault(githubapitest.Fault{Method: "GET", Path: botPath, Status: 404, Body: `{"message":"Not Found"}`})
		r := h.run(false)
		if r.err == nil || !strings.Contains(r.err.Error(), "look up the app's bot user for git-user: GET /users/test-app%5Bbot%5D: 404 Not Found") {
			t.Errorf("main step error = %v, want the bot user's 404", r.err)
		}
		if len(r.outputs) != 0 || len(tokenState(r.state)) != 0 {
			t.Errorf("a failed step wrote outputs %v or state %v", keysOf(r.outputs), keysOf(tokenState(r.state)))
		}
		if !strings.Contains(r.log, "Revoked the new token because the step failed") || !h.srv.Tokens()[0].Revoked {
			t.Errorf("log:\n%s\nwant the new token revoked", redactSecrets(h, r.log))
		}
	})
	t.Run("look-up fails, and so does revoking the token", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, testWorld(t))
		h.env["INPUT_GIT-USER"] = "true"
		h.srv.InjectFault(githubapitest.Fault{Method: "GET", Path: botPath, Status: 404, Body: `{"message":"Not Found"}`})
		h.srv.InjectFault(githubapitest.Fault{Method: "DELETE", Path: revokePath, Status: 500, Count: -1})
		tr := h.runTracked(false)
		if tr.err == nil {
			t.Fatal("main step succeeded, want the bot user's 404")
		}
		// The token stays valid for an hour: the step says so, and until
		// when, as the post step does.
		expires := h.srv.Tokens()[0].ExpiresAt.UTC().Format(time.RFC3339)
		if !strings.Contains(tr.log, "::warning::Could not revoke the new token") || !strings.Contains(tr.log, "stays valid until it expires at "+expires) {
			t.Errorf("log:\n%s\nwant a warning that the token stays valid until %s", redactSecrets(h, tr.log), expires)
		}
		checkNoLeaks(t, h, tr)
	})
}

// TestUnknownPermission checks that a permission input action.yml does not
// declare, such as one only GHES knows, is sent to GitHub with a warning.
func TestUnknownPermission(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testWorld(t))
	h.env["INPUT_PERMISSION-TELEPORTATION"] = "read"
	// The emulator knows github.com's permissions only: answer as GHES
	// would, for an installation that grants it.
	for _, ep := range []struct{ method, path string }{{"GET", lookupPath}, {"POST", mintPath}} {
		answer := realAnswer(t, h, ep.method, ep.path)
		answer["permissions"].(map[string]any)["teleportation"] = "read"
		if ep.method == "POST" {
			answer["permissions"] = map[string]any{"teleportation": "read", "metadata": "read"}
		}
		body, err := json.Marshal(answer)
		if err != nil {
			t.Fatal(err)
		}
		h.srv.InjectFault(githubapitest.Fault{Method: ep.method, Path: ep.path, Status: map[string]int{"GET": 200, "POST": 201}[ep.method], Body: string(body)})
	}

	r := h.run(false)

	if r.err != nil {
		t.Fatalf("main step error = %v", redactSecrets(h, r.err.Error()))
	}
	if !strings.Contains(r.log, `::warning::permission-teleportation: "teleportation" is not a known github.com permission`) {
		t.Errorf("log:\n%s\nwant a warning about permission-teleportation", redactSecrets(h, r.log))
	}
	reqs := h.srv.Requests()
	last := reqs[len(reqs)-1]
	if last.Method != "POST" || !strings.Contains(string(last.Body), `"permissions":{"teleportation":"read"}`) {
		t.Errorf("last request %s %s %s, want the token request with teleportation: read", last.Method, last.Path, last.Body)
	}
	if got, want := r.outputs["permissions"], `{"metadata":"read","teleportation":"read"}`; got != want {
		t.Errorf("permissions output = %s, want %s", got, want)
	}
}

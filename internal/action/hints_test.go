package action

import (
	"maps"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// TestTokenErrorHints checks that GitHub's refusals of the token request
// come through in GitHub's words, with the next step to take.
func TestTokenErrorHints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		env       map[string]string
		fault     *githubapitest.Fault
		wantError string
		wantHint  string
		noMint    bool // fails before the token request
	}{
		{
			name: "permissions not granted",
			fault: &githubapitest.Fault{Method: "POST", Path: mintPath, Status: 422,
				Body: `{"message":"The permissions requested are not granted to this installation.","documentation_url":"https://docs.github.com/rest"}`},
			wantError: "422 The permissions requested are not granted to this installation.",
			wantHint:  "request only permissions the installation grants",
		},
		{
			name:      "repository not accessible",
			env:       map[string]string{"INPUT_REPOSITORIES": "app,secret"},
			wantError: "422 There is at least one repository that does not exist or is not accessible to the parent installation.",
			wantHint:  "every repository in repositories must exist under octo-org",
		},
		{
			name:      "suspended installation",
			env:       map[string]string{"INPUT_OWNER": "frozen-org"},
			wantError: "403 This installation has been suspended",
			wantHint:  "an owner of frozen-org must unsuspend the installation",
		},
		{
			name:      "permission pre-check",
			env:       map[string]string{"INPUT_PERMISSION-ADMINISTRATION": "read"},
			wantError: "does not grant the requested permissions: administration: read (installation has none)",
			wantHint:  "request no more than the installation grants",
			noMint:    true,
		},
		{
			name:      "permission pre-check of the level",
			env:       map[string]string{"INPUT_OWNER": "octocat", "INPUT_PERMISSION-CONTENTS": "write", "INPUT_PERMISSION-METADATA": "read"},
			wantError: "installation 12 of test-app does not grant the requested permissions: contents: write (installation has read); it grants contents: read, metadata: read",
			wantHint:  "have an owner of octocat accept it on the installation",
			noMint:    true,
		},
		{
			name:      "permission pre-check of installation-id",
			env:       map[string]string{"INPUT_INSTALLATION-ID": "12", "INPUT_PERMISSION-ISSUES": "write"},
			wantError: "installation 12 of test-app does not grant the requested permissions: issues: write (installation has none)",
			wantHint:  "request no more than the installation grants",
			noMint:    true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, testWorld(t))
			maps.Copy(h.env, tt.env)
			if tt.fault != nil {
				h.srv.InjectFault(*tt.fault)
			}
			r := h.run(false)
			if r.err == nil {
				t.Fatalf("main step succeeded, want %q", tt.wantError)
			}
			if !strings.Contains(r.err.Error(), tt.wantError) {
				t.Errorf("error = %q, want it to contain %q", r.err, tt.wantError)
			}
			if got := renderedHint(r.err); !strings.Contains(got, tt.wantHint) {
				t.Errorf("hint = %q, want it to contain %q", got, tt.wantHint)
			}
			if n := h.srv.Count("POST", mintPath); tt.noMint && n != 0 {
				t.Errorf("%d token requests, want none: the failure is certain", n)
			}
			if n := strings.Count(r.log, "::error::"); n != 1 {
				t.Errorf("log has %d ::error:: lines, want 1", n)
			}
			if len(r.outputs) != 0 || len(tokenState(r.state)) != 0 {
				t.Errorf("a failed step wrote outputs %v or state %v", keysOf(r.outputs), keysOf(tokenState(r.state)))
			}
		})
	}
}

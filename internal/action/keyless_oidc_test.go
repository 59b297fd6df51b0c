package action

import (
	"net/http"
	"slices"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/kms/awskms/awskmstest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// TestKeylessOIDCRetried runs the main step with the app's key in AWS KMS
// and a role to assume while the runner's token service fails: it is
// retried as the toolkit's core.getIDToken retries it (up to ten
// attempts), so a few failures cost nothing but waits, and ten fail the
// step with advice to re-run (issue 17, defect 6). A token service that
// refuses connections is retried by the same policy as GitHub and the
// KMS, and fails in their words: a refused connection after ten attempts,
// with advice naming the runner's token service.
func TestKeylessOIDCRetried(t *testing.T) {
	t.Parallel()
	const role = "arn:aws:iam::111122223333:role/app-token"
	tests := []struct {
		name      string
		fail      int
		status    int
		refused   bool // the token service's address accepts no connection
		ok        bool
		wantTries int
		wantOps   []string
		wantErr   []string
		wantHint  []string
	}{
		{name: "three 503s", fail: 3, status: http.StatusServiceUnavailable, ok: true, wantTries: 4,
			wantOps: []string{"sts:AssumeRoleWithWebIdentity", "kms:Sign"}},
		{name: "a 429", fail: 1, status: http.StatusTooManyRequests, ok: true, wantTries: 2,
			wantOps: []string{"sts:AssumeRoleWithWebIdentity", "kms:Sign"}},
		{name: "ten 500s", fail: 10, status: http.StatusInternalServerError, wantTries: 10,
			wantErr: []string{"answered 500 (10 attempts)"}, wantHint: []string{"re-run the job"}},
		{name: "refused", refused: true,
			wantErr:  []string{"the runner's token service request: connection to 127.0.0.1:1 refused after 10 attempts"},
			wantHint: []string{"re-run the job; the runner's token service at 127.0.0.1:1 failed or could not be reached"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			world := testWorld(t)
			h := newHarness(t, world)
			job := runnertest.StartOIDC(t)
			aws := awskmstest.Start(t, awskmstest.Config{Key: world.App.Key, Aliases: []string{"alias/github-app"},
				Roles: map[string]string{role: "repo:octo-org/app:*"}, Signers: []string{role}})
			h.runner.SignWith("awskms:///alias/github-app", aws.Env(), job.Env())
			h.runner.Set("aws-role-arn", role)
			job.FailWith(tt.fail, tt.status)
			if tt.refused {
				h.env["ACTIONS_ID_TOKEN_REQUEST_URL"] = "http://127.0.0.1:1/token?api-version=2.0"
			}
			h.moreSecrets = func() []string { return append(job.Secrets(), aws.Secrets()...) }

			main := runKeylessMain(t, h, tt.ok, tt.wantErr, tt.wantHint)
			if got := len(job.Queries()); got != tt.wantTries {
				t.Errorf("token service requests = %d, want %d", got, tt.wantTries)
			}
			var ops []string
			for _, q := range aws.Requests() {
				ops = append(ops, q.Op)
			}
			if !slices.Equal(ops, tt.wantOps) {
				t.Errorf("AWS requests = %v, want %v", ops, tt.wantOps)
			}
			runKeylessPost(t, h, tt.ok, append(job.Secrets()[1:], aws.Secrets()...), main)
		})
	}
}

// TestKeylessOIDCNoEmptyAudience runs a Vault login in a job whose
// repository the step cannot name (no GITHUB_REPOSITORY_OWNER or
// GITHUB_REPOSITORY; the owner input names the installation) and no
// vault-audience: the token is asked for without
// an audience parameter, as the toolkit does, never with an empty one
// (issue 17, defect 6).
func TestKeylessOIDCNoEmptyAudience(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testWorld(t))
	v := runnertest.StartVault(t, nil)
	job := runnertest.StartOIDC(t)
	h.runner.SignWith("hashivault://github-app", job.Env())
	h.runner.Set("vault-role", runnertest.VaultRole)
	h.runner.Set("vault-address", v.URL())
	h.runner.Set("owner", "octo-org")
	delete(h.env, "GITHUB_REPOSITORY_OWNER")
	delete(h.env, "GITHUB_REPOSITORY")
	h.moreSecrets = func() []string { return append(job.Secrets(), v.Secrets()...) }
	main := h.runTracked(false)
	q := job.Queries()
	if len(q) != 1 {
		t.Fatalf("token service requests = %d, want 1 (step error: %v)", len(q), redactSecrets(h, errorText(main.err)))
	}
	if _, sent := q[0]["audience"]; sent {
		t.Errorf("token request query = %v, want no audience parameter", q[0])
	}
	checkKeylessLeaks(t, h, nil, main)
}

package action

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/kms/awskms/awskmstest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// TestKeylessAWS runs the main step with signing-key naming the app's key
// in AWS KMS (played by awskmstest): with aws-role-arn, the job's OIDC
// token is exchanged with STS; without, the AWS_* credentials
// configure-aws-credentials would export are used. The private-key input
// is empty, the token comes from the GitHub emulator, and no log, error or
// runner file shows an AWS credential or an OIDC token.
func TestKeylessAWS(t *testing.T) {
	t.Parallel()
	const role = "arn:aws:iam::111122223333:role/app-token"
	tests := []struct {
		name     string
		role     bool
		trust    string // the role's sub pattern
		signers  []string
		wantOK   bool
		wantErr  string
		wantHint string
		wantOps  []string
	}{
		{name: "OIDC", role: true, trust: "repo:octo-org/app:*", signers: []string{role}, wantOK: true,
			wantOps: []string{"sts:AssumeRoleWithWebIdentity", "kms:Sign"}},
		{name: "ambient credentials", signers: []string{"arn:aws:iam::111122223333:user/ci"}, wantOK: true,
			wantOps: []string{"kms:Sign"}},
		{name: "trust policy refuses", role: true, trust: "repo:octo-org/other:*", signers: []string{role},
			wantErr: "403 AccessDenied", wantHint: "token.actions.githubusercontent.com:sub",
			wantOps: []string{"sts:AssumeRoleWithWebIdentity"}},
		{name: "no kms:Sign", role: true, trust: "repo:octo-org/*",
			wantErr: "AccessDeniedException", wantHint: "kms:Sign",
			wantOps: []string{"sts:AssumeRoleWithWebIdentity", "kms:Sign"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			world := testWorld(t)
			h := newHarness(t, world)
			job := runnertest.StartOIDC(t)
			aws := awskmstest.Start(t, awskmstest.Config{Key: world.App.Key, Aliases: []string{"alias/github-app"},
				Roles: map[string]string{role: tt.trust}, Signers: tt.signers})
			h.runner.SignWith("awskms:///alias/github-app", aws.Env())
			if tt.role {
				h.runner.Set("aws-role-arn", role)
				maps.Copy(h.env, job.Env())
			} else {
				for k, v := range aws.User("ci").Env() {
					h.env[k] = v
				}
			}
			r := h.runTracked(false)
			if tt.wantOK {
				if r.err != nil || r.outputs["token"] == "" {
					t.Fatalf("main step error = %v, want a token\nlog:\n%s", redactSecrets(h, errorText(r.err)), redactSecrets(h, r.log))
				}
			} else {
				if r.err == nil || !strings.Contains(r.err.Error(), tt.wantErr) {
					t.Errorf("main step error = %q, want it to contain %q", redactSecrets(h, errorText(r.err)), tt.wantErr)
				}
				if fix := renderedHint(r.err); !strings.Contains(fix, tt.wantHint) {
					t.Errorf("main step hint = %q, want it to contain %q", redactSecrets(h, fix), tt.wantHint)
				}
			}
			var ops []string
			for _, q := range aws.Requests() {
				ops = append(ops, q.Op)
			}
			if !slices.Equal(ops, tt.wantOps) {
				t.Errorf("AWS requests = %v, want %v", ops, tt.wantOps)
			}
			h.moreSecrets = func() []string { return append(job.Secrets(), aws.Secrets()...) }
			checkKeylessLeaks(t, h, append(job.Secrets()[1:], aws.Secrets()...), r)
		})
	}
}

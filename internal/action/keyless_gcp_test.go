package action

import (
	"slices"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/gcpkms/gcpkmstest"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

const (
	gcpProvider = "projects/123456789/locations/global/workloadIdentityPools/github/providers/github-actions"
	gcpPool     = "projects/123456789/locations/global/workloadIdentityPools/github"
	gcpSA       = "app-signer@app-project.iam.gserviceaccount.com"
)

// TestKeylessGCP runs the main step with the app's key in Cloud KMS
// (gcpkmstest), the job's OIDC token from oidctest, and GitHub from
// githubapitest, which verifies the JWT with the app's public key. No log,
// error or file may show a credential of either emulator.
func TestKeylessGCP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		job       oidctest.Job
		cfg       func(*gcpkmstest.Config)
		inputs    func(g *gcpkmstest.Server) map[string]string
		env       func(g *gcpkmstest.Server) map[string]string
		wantCalls []string // the GCP APIs called, in order
		wantHint  string   // "" for success
	}{{
		name: "workload identity and a service account",
		inputs: func(*gcpkmstest.Server) map[string]string {
			return map[string]string{"gcp-workload-identity-provider": gcpProvider, "gcp-service-account": gcpSA}
		},
		wantCalls: []string{"sts", "iamcredentials", "cloudkms", "cloudkms"},
	}, {
		name: "workload identity alone",
		inputs: func(*gcpkmstest.Server) map[string]string {
			return map[string]string{"gcp-workload-identity-provider": gcpProvider}
		},
		wantCalls: []string{"sts", "cloudkms", "cloudkms"},
	}, {
		name: "access token input",
		inputs: func(g *gcpkmstest.Server) map[string]string {
			return map[string]string{"gcp-access-token": g.IssueToken("serviceAccount:" + gcpSA)}
		},
		wantCalls: []string{"cloudkms", "cloudkms"},
	}, {
		name: "GOOGLE_OAUTH_ACCESS_TOKEN",
		env: func(g *gcpkmstest.Server) map[string]string {
			return map[string]string{"GOOGLE_OAUTH_ACCESS_TOKEN": g.IssueToken("serviceAccount:" + gcpSA)}
		},
		wantCalls: []string{"cloudkms", "cloudkms"},
	}, {
		name: "attribute condition refuses the repository",
		job:  oidctest.Job{Repository: "evil-org/app", Ref: "refs/heads/main"},
		inputs: func(*gcpkmstest.Server) map[string]string {
			return map[string]string{"gcp-workload-identity-provider": gcpProvider, "gcp-service-account": gcpSA}
		},
		wantCalls: []string{"sts"},
		wantHint:  "attribute condition",
	}, {
		name: "service account may not sign",
		cfg:  func(c *gcpkmstest.Config) { c.Signers = nil },
		inputs: func(*gcpkmstest.Server) map[string]string {
			return map[string]string{"gcp-workload-identity-provider": gcpProvider, "gcp-service-account": gcpSA}
		},
		wantCalls: []string{"sts", "iamcredentials", "cloudkms", "cloudkms"},
		wantHint:  "roles/cloudkms.signer",
	}, {
		name:      "no credentials",
		wantHint:  "gcp-workload-identity-provider",
		wantCalls: nil,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			world := testWorld(t)
			h := newHarness(t, world)
			job := tt.job
			if job.Repository == "" {
				job = runnertest.OIDCJob
			}
			o := oidctest.Start(t, job)
			cfg := gcpkmstest.Config{
				Key:       world.App.Key,
				Providers: []gcpkmstest.Provider{{Name: gcpProvider, Subject: "repo:octo-org/*"}},
				ServiceAccounts: []gcpkmstest.ServiceAccount{{Email: gcpSA,
					Users: []string{"principal://iam.googleapis.com/" + gcpPool + "/subject/repo:octo-org/*"}}},
				Signers: []string{"serviceAccount:" + gcpSA, "principal://iam.googleapis.com/" + gcpPool + "/subject/repo:octo-org/app:*"},
				// roles/cloudkms.signerVerifier: the key version's algorithm is read first.
				PublicKeyViewers: []string{"serviceAccount:" + gcpSA, "principal://iam.googleapis.com/" + gcpPool + "/subject/repo:octo-org/app:*"},
			}
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			g := gcpkmstest.Start(t, cfg)
			h.moreSecrets = func() []string { return append(o.Secrets(), g.Secrets()...) }
			h.runner.SignWith("gcpkms://"+g.KeyName(), o.Env(), g.Env())
			if tt.inputs != nil {
				for k, v := range tt.inputs(g) {
					h.runner.Set(k, v)
				}
			}
			if tt.env != nil {
				for k, v := range tt.env(g) {
					h.env[k] = v
				}
			}

			main := h.runTracked(false)
			if tt.wantHint == "" {
				if main.err != nil {
					t.Fatalf("main step error = %v (hint: %s)", redactSecrets(h, main.err.Error()), hint.Next(main.err))
				}
				if main.outputs["token"] == "" {
					t.Error("main step set no token output")
				}
			} else {
				if main.err == nil {
					t.Fatal("main step error = nil, want one")
				}
				if got := hint.Next(main.err); !strings.Contains(got, tt.wantHint) {
					t.Errorf("main step hint = %q, want one containing %q", redactSecrets(h, got), tt.wantHint)
				}
			}
			var calls []string
			for _, r := range g.Requests() {
				calls = append(calls, r.API)
			}
			if !slices.Equal(calls, tt.wantCalls) {
				t.Errorf("GCP requests = %q, want %q", calls, tt.wantCalls)
			}
			h.moreSecrets = func() []string { return append(o.Secrets(), g.Secrets()...) }
			checkKeylessLeaks(t, h, append(o.Secrets()[1:], g.Secrets()...), main)
		})
	}
}

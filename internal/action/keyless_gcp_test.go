package action

import (
	"slices"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms"
	"github.com/ghapptoken/app-token-action/internal/kms/gcpkms/gcpkmstest"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
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
	if _, err := kms.New(kms.Config{SigningKey: "gcpkms://" + gcpkmstest.DefaultKey}, kms.Env{}); err != nil && strings.Contains(err.Error(), "not supported") {
		t.Skip(`kms.New does not dispatch gcpkms:// keys yet (case "gcpkms": gcpkms.New)`)
	}
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
		wantCalls: []string{"sts", "iamcredentials", "cloudkms"},
	}, {
		name: "workload identity alone",
		inputs: func(*gcpkmstest.Server) map[string]string {
			return map[string]string{"gcp-workload-identity-provider": gcpProvider}
		},
		wantCalls: []string{"sts", "cloudkms"},
	}, {
		name: "access token input",
		inputs: func(g *gcpkmstest.Server) map[string]string {
			return map[string]string{"gcp-access-token": g.IssueToken("serviceAccount:" + gcpSA)}
		},
		wantCalls: []string{"cloudkms"},
	}, {
		name: "GOOGLE_OAUTH_ACCESS_TOKEN",
		env: func(g *gcpkmstest.Server) map[string]string {
			return map[string]string{"GOOGLE_OAUTH_ACCESS_TOKEN": g.IssueToken("serviceAccount:" + gcpSA)}
		},
		wantCalls: []string{"cloudkms"},
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
		wantCalls: []string{"sts", "iamcredentials", "cloudkms"},
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
				job = oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"}
			}
			o := oidctest.Start(t, job)
			cfg := gcpkmstest.Config{
				Key:       world.App.Key,
				Providers: []gcpkmstest.Provider{{Name: gcpProvider, Subject: "repo:octo-org/*"}},
				ServiceAccounts: []gcpkmstest.ServiceAccount{{Email: gcpSA,
					Users: []string{"principal://iam.googleapis.com/" + gcpPool + "/subject/repo:octo-org/*"}}},
				Signers: []string{"serviceAccount:" + gcpSA, "principal://iam.googleapis.com/" + gcpPool + "/subject/repo:octo-org/app:*"},
			}
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			g := gcpkmstest.Start(t, cfg)
			h.moreSecrets = func() []string { return append(o.Secrets(), g.Secrets()...) }
			h.runner.Set("private-key", "")
			h.runner.Set("signing-key", "gcpkms://"+g.KeyName())
			for _, m := range []map[string]string{o.Env(), g.Env()} {
				for k, v := range m {
					h.env[k] = v
				}
			}
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
			checkKeylessLeaks(t, h, main, append(o.Secrets()[1:], g.Secrets()...))
		})
	}
}

// checkKeylessLeaks does what checkNoLeaks does, and checks that each
// credential in masked (the OIDC tokens and the GCP access tokens) has its
// ::add-mask:: line. Those lines are taken out of the log first: the
// ordering rule of CheckLog would count them as output shown before the
// GitHub token's own mask line.
func checkKeylessLeaks(t *testing.T, h *harness, run trackedRun, masked []string) {
	t.Helper()
	s := harnessSecrets(h)
	lines := strings.Split(run.log, "\n")
	for _, sec := range masked {
		if !slices.Contains(lines, "::add-mask::"+sec) {
			t.Errorf("main step log has no ::add-mask:: line for a credential (%d chars)", len(sec))
		}
	}
	lines = slices.DeleteFunc(lines, func(l string) bool {
		sec, ok := strings.CutPrefix(l, "::add-mask::")
		return ok && slices.Contains(masked, sec)
	})
	for _, p := range s.CheckLog(strings.Join(lines, "\n"), run.issued) {
		t.Errorf("main step %s", p)
	}
	if line, kind := s.Find(errorText(run.err) + "\n" + hint.Next(run.err)); line > 0 {
		t.Errorf("main step error line %d shows %s", line, kind)
	}
	for _, p := range s.CheckFiles(h.dir) {
		t.Errorf("%s", p)
	}
}

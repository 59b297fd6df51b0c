package action

import (
	"slices"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
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
// githubapitest, which verifies the JWT with the app's public key. The
// signers hold roles/cloudkms.signer alone, the least role: a run that
// succeeds makes one request to Cloud KMS, and none that is refused (each
// would be a denial in the project's audit logs). No log, error or file
// may show a credential of either emulator.
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
				job = runnertest.OIDCJob
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
				if got := g.Refused(); len(got) != 0 {
					t.Errorf("GCP refused %d requests of a run that succeeded, want none: %v", len(got), got)
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

// TestKeylessGCPKeyAlgorithm runs the main step with a Cloud KMS key
// version whose algorithm makes signatures GitHub refuses (RSASSA-PSS, of
// the same length as RS256's). The step signs without reading the key
// version first, so roles/cloudkms.signer suffices when all is well; after
// GitHub's 401 it reads the algorithm where the role allows and names it,
// or else says which algorithms work and which role would let it check.
// It never blames a private key that was not given (issue 17, defect 2;
// issue 23).
func TestKeylessGCPKeyAlgorithm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		algorithm string
		role      func(c *gcpkmstest.Config) // what the service account may do
		wantHint  []string
	}{{
		name: "PSS, roles/cloudkms.signer: the algorithm cannot be read", algorithm: "RSA_SIGN_PSS_2048_SHA256",
		role: func(*gcpkmstest.Config) {},
		wantHint: []string{"must be RSA_SIGN_PKCS1_*_SHA256", "RSA_SIGN_PKCS1_2048_SHA256", "RSA_SIGN_PSS_*",
			"roles/cloudkms.signerVerifier", "cloudkms.cryptoKeyVersions.viewPublicKey", "serviceAccount:" + gcpSA, "client-id"},
	}, {
		name: "PSS, read with getPublicKey (roles/cloudkms.signerVerifier)", algorithm: "RSA_SIGN_PSS_2048_SHA256",
		role: func(c *gcpkmstest.Config) { c.Signers, c.SignerVerifiers = nil, []string{"serviceAccount:" + gcpSA} },
		wantHint: []string{"has algorithm RSA_SIGN_PSS_2048_SHA256", "does not make RS256 signatures",
			"RSA_SIGN_PKCS1_2048_SHA256", "RSA_SIGN_PKCS1_3072_SHA256", "RSA_SIGN_PKCS1_4096_SHA256", "signing-key"},
	}, {
		name: "PSS 4096, read with get (roles/cloudkms.viewer)", algorithm: "RSA_SIGN_PSS_4096_SHA256",
		role:     func(c *gcpkmstest.Config) { c.Viewers = []string{"serviceAccount:" + gcpSA} },
		wantHint: []string{"has algorithm RSA_SIGN_PSS_4096_SHA256", "RSA_SIGN_PKCS1_4096_SHA256"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, g, _ := gcpHarness(t, func(_ githubapitest.Config, c *gcpkmstest.Config) {
				c.Algorithm = tt.algorithm
				tt.role(c)
			})
			h.runner.Set("signing-key", "gcpkms://"+g.KeyName())
			h.runner.Set("gcp-workload-identity-provider", gcpProvider)
			h.runner.Set("gcp-service-account", gcpSA)
			main := runKeylessMain(t, h, false, []string{"401 A JSON web token could not be decoded"}, tt.wantHint)
			if got := renderedHint(main.err); strings.Contains(got, "private key") && strings.Contains(got, "belong") {
				t.Errorf("main step hint = %q, want no word of a private key that does not belong to the app", got)
			}
			if n := len(h.srv.Requests()); n != 1 {
				t.Errorf("GitHub received %d requests, want 1: the one that refused the JWT", n)
			}
			// Nothing is read, and nothing refused, before GitHub refuses
			// the JWT: the signature comes first.
			calls := gcpCalls(g)
			sign := slices.IndexFunc(calls, func(c string) bool { return strings.Contains(c, ":asymmetricSign") })
			if sign < 0 || slices.ContainsFunc(calls[:sign], func(c string) bool { return strings.HasPrefix(c, "cloudkms") }) {
				t.Errorf("GCP requests = %q, want the signature first of Cloud KMS's", calls)
			}
			runKeylessPost(t, h, false, nil, main)
		})
	}
}

package gcpkms_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/gcpkms"
	"github.com/ghapptoken/app-token-action/internal/kms/gcpkms/gcpkmstest"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/oidc"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
)

const (
	provider = "projects/123456789/locations/global/workloadIdentityPools/github/providers/github-actions"
	pool     = "projects/123456789/locations/global/workloadIdentityPools/github"
	sa       = "app-signer@app-project.iam.gserviceaccount.com"
	// mainSub is the sub of the default job's tokens.
	mainSub = "repo:octo-org/app:ref:refs/heads/main"
)

var appKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

var mainJob = oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"}

// project returns the emulated project: a provider that admits octo-org's
// repositories, a service account they may impersonate, and a key that
// the service account and the main branch's federated identity may sign
// with, and nothing else (roles/cloudkms.signer, the least role).
func project() gcpkmstest.Config {
	return gcpkmstest.Config{
		Key:       appKey(),
		Providers: []gcpkmstest.Provider{{Name: provider, Subject: "repo:octo-org/*"}},
		ServiceAccounts: []gcpkmstest.ServiceAccount{{
			Email: sa,
			Users: []string{"principal://iam.googleapis.com/" + pool + "/subject/repo:octo-org/app:*"},
		}},
		Signers: []string{"serviceAccount:" + sa, "principal://iam.googleapis.com/" + pool + "/subject/" + mainSub},
	}
}

// world is one test's job, its OIDC service and the emulated project.
type world struct {
	oidc   *oidctest.Server
	gcp    *gcpkmstest.Server
	env    map[string]string
	mu     sync.Mutex
	masked []string
}

func newWorld(tb testing.TB, job oidctest.Job, cfg gcpkmstest.Config) *world {
	tb.Helper()
	w := &world{oidc: oidctest.Start(tb, job), gcp: gcpkmstest.Start(tb, cfg), env: map[string]string{}}
	for k, v := range w.oidc.Env() {
		w.env[k] = v
	}
	for k, v := range w.gcp.Env() {
		w.env[k] = v
	}
	return w
}

// options completes o as the action would: its environment, the OIDC
// fetcher, a mask that records, and no waiting between retries.
func (w *world) options(o gcpkms.Options) gcpkms.Options {
	if o.Key == "" {
		o.Key = "gcpkms://" + w.gcp.KeyName()
	}
	getenv := func(k string) string { return w.env[k] }
	o.Getenv = getenv
	o.Mask = func(s string) {
		w.mu.Lock()
		w.masked = append(w.masked, s)
		w.mu.Unlock()
	}
	o.OIDC = oidc.Fetcher{Getenv: getenv}.Fetch
	o.Sleep = func(context.Context, time.Duration) error { return nil }
	return o
}

// secrets returns every credential either service issued.
func (w *world) secrets() []string { return append(w.oidc.Secrets(), w.gcp.Secrets()...) }

// checkNoSecret fails if err or its hint holds a secret.
func (w *world) checkNoSecret(t *testing.T, err error) {
	t.Helper()
	text := err.Error() + "\n" + hint.Next(err)
	for _, s := range w.secrets() {
		if strings.Contains(text, s) {
			t.Errorf("the error holds a secret (%d chars) issued by an emulator", len(s))
		}
	}
}

// calls returns the requests to the emulated project as "API METHOD PATH STATUS".
func (w *world) calls() []string {
	var out []string
	for _, r := range w.gcp.Requests() {
		out = append(out, fmt.Sprintf("%s %s %s %d", r.API, r.Method, r.Path, r.Status))
	}
	return out
}

func digestOf(msg string) []byte {
	d := sha256.Sum256([]byte(msg))
	return d[:]
}

var (
	stsOK  = "sts POST /v1/token 200"
	iamOK  = "iamcredentials POST /v1/projects/-/serviceAccounts/" + sa + ":generateAccessToken 200"
	signOK = "cloudkms POST /v1/" + gcpkmstest.DefaultKey + ":asymmetricSign 200"
)

func TestSignDigest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      func(w *world) gcpkms.Options
		wantCalls []string // the first signature's requests
		wantOIDC  int
	}{{
		name: "federated identity impersonates a service account",
		opts: func(*world) gcpkms.Options {
			return gcpkms.Options{WorkloadIdentityProvider: provider, ServiceAccount: sa}
		},
		wantCalls: []string{stsOK, iamOK, signOK},
		wantOIDC:  1,
	}, {
		name:      "federated identity signs directly",
		opts:      func(*world) gcpkms.Options { return gcpkms.Options{WorkloadIdentityProvider: provider} },
		wantCalls: []string{stsOK, signOK},
		wantOIDC:  1,
	}, {
		name: "provider's full name and a key without gcpkms://",
		opts: func(w *world) gcpkms.Options {
			return gcpkms.Options{Key: w.gcp.KeyName(), WorkloadIdentityProvider: "//iam.googleapis.com/" + provider, ServiceAccount: sa}
		},
		wantCalls: []string{stsOK, iamOK, signOK},
		wantOIDC:  1,
	}, {
		name: "access token input",
		opts: func(w *world) gcpkms.Options {
			return gcpkms.Options{AccessToken: w.gcp.IssueToken("serviceAccount:" + sa)}
		},
		wantCalls: []string{signOK},
	}, {
		name: "access token in GOOGLE_OAUTH_ACCESS_TOKEN",
		opts: func(w *world) gcpkms.Options {
			w.env["GOOGLE_OAUTH_ACCESS_TOKEN"] = w.gcp.IssueToken("serviceAccount:" + sa)
			return gcpkms.Options{}
		},
		wantCalls: []string{signOK},
	}, {
		name: "endpoint overrides ending in /v1/",
		opts: func(w *world) gcpkms.Options {
			for k, v := range w.gcp.Env() {
				w.env[k] = v + "v1/"
			}
			return gcpkms.Options{WorkloadIdentityProvider: provider, ServiceAccount: sa}
		},
		wantCalls: []string{stsOK, iamOK, signOK},
		wantOIDC:  1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, mainJob, project())
			s, err := gcpkms.New(w.options(tt.opts(w)))
			if err != nil {
				t.Fatalf("New() error = %v", err)
			}
			for i, msg := range []string{"first", "second"} {
				sig, err := s.SignDigest(t.Context(), digestOf(msg))
				if err != nil {
					t.Fatalf("SignDigest() error = %v (hint: %s)", err, hint.Next(err))
				}
				if err := rsa.VerifyPKCS1v15(&appKey().PublicKey, crypto.SHA256, digestOf(msg), sig); err != nil {
					t.Errorf("SignDigest() signature does not verify with the app's public key: %v", err)
				}
				want := tt.wantCalls
				if i == 1 {
					want = append(slices.Clone(want), signOK) // credentials are kept
				}
				if got := w.calls(); !slices.Equal(got, want) {
					t.Errorf("requests after signature %d = %q, want %q", i+1, got, want)
				}
			}
			// roles/cloudkms.signer suffices: no request is refused.
			if got := w.gcp.Refused(); len(got) != 0 {
				t.Errorf("refused requests = %v, want none", got)
			}
			if got := w.oidc.Issued(); got != tt.wantOIDC {
				t.Errorf("OIDC tokens issued = %d, want %d", got, tt.wantOIDC)
			}
			// Every credential used was masked first.
			for _, sec := range w.secrets()[1:] { // [0] is the runner's request token
				if !slices.Contains(w.masked, sec) {
					t.Errorf("a credential (%d chars) was not masked", len(sec))
				}
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	const key = "gcpkms://" + gcpkmstest.DefaultKey
	tests := []struct {
		name     string
		opts     gcpkms.Options
		env      map[string]string
		wantErr  string
		wantHint string
	}{
		{name: "version of another kind", opts: gcpkms.Options{Key: "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k/keyVersions/1"},
			wantErr: "is not the resource name of a key or a key version", wantHint: "{signing-key}"},
		{name: "empty key", opts: gcpkms.Options{}, wantErr: "no key given", wantHint: "{signing-key}"},
		{name: "not a key name", opts: gcpkms.Options{Key: "gcpkms://projects/p/keyRings/r"},
			wantErr: "is not the resource name of a key or a key version", wantHint: "{signing-key}"},
		{name: "version not a number", opts: gcpkms.Options{Key: "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/latest"},
			wantErr: "is not a number", wantHint: "/cryptoKeyVersions/N"},
		{name: "provider with a project ID", opts: gcpkms.Options{Key: key, WorkloadIdentityProvider: "projects/my-project/locations/global/workloadIdentityPools/github/providers/gh"},
			wantErr: "not a project number", wantHint: "{gcp-workload-identity-provider}"},
		{name: "provider of the wrong shape", opts: gcpkms.Options{Key: key, WorkloadIdentityProvider: "github-actions"},
			wantErr: "not the name of a workload identity provider", wantHint: "{gcp-workload-identity-provider}"},
		{name: "service account without provider", opts: gcpkms.Options{Key: key, ServiceAccount: sa},
			wantErr: "without a workload identity provider", wantHint: "{gcp-workload-identity-provider}"},
		{name: "service account not an email", opts: gcpkms.Options{Key: key, WorkloadIdentityProvider: provider, ServiceAccount: "app signer"},
			wantErr: "not a service account", wantHint: "{gcp-service-account}"},
		{name: "endpoint override not a URL", opts: gcpkms.Options{Key: key},
			env:     map[string]string{"CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS": "cloudkms.internal"},
			wantErr: "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS is not an http(s) URL", wantHint: "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := tt.opts
			o.Getenv = func(k string) string { return tt.env[k] }
			_, err := gcpkms.New(o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New() error = %v, want one containing %q", err, tt.wantErr)
			}
			if got := hint.Next(err); !strings.Contains(got, tt.wantHint) {
				t.Errorf("New() hint = %q, want one containing %q", got, tt.wantHint)
			}
		})
	}
}

func TestSignDigestErrors(t *testing.T) {
	t.Parallel()
	wif := func(*world) gcpkms.Options {
		return gcpkms.Options{WorkloadIdentityProvider: provider, ServiceAccount: sa}
	}
	direct := func(*world) gcpkms.Options { return gcpkms.Options{WorkloadIdentityProvider: provider} }
	tests := []struct {
		name     string
		job      oidctest.Job
		cfg      func(*gcpkmstest.Config)
		opts     func(*world) gcpkms.Options
		setup    func(*world)
		wantErr  []string
		wantHint []string
		// transient: a failing service, left to the core to explain
		transient bool
	}{{
		name:     "no credentials at all",
		opts:     func(*world) gcpkms.Options { return gcpkms.Options{} },
		wantErr:  []string{"no credentials"},
		wantHint: []string{"{gcp-workload-identity-provider}", "{gcp-access-token}", "GOOGLE_OAUTH_ACCESS_TOKEN", "id-token: write"},
	}, {
		name: "job without id-token: write",
		opts: wif,
		setup: func(w *world) {
			delete(w.env, "ACTIONS_ID_TOKEN_REQUEST_URL")
			delete(w.env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
		},
		wantErr:  []string{"OIDC token is not available"},
		wantHint: []string{"id-token: write"},
	}, {
		name: "no OIDC fetcher",
		opts: func(w *world) gcpkms.Options {
			o := w.options(gcpkms.Options{WorkloadIdentityProvider: provider})
			o.OIDC = nil
			return o
		},
		wantErr:  []string{"OIDC token is not available"},
		wantHint: []string{"id-token: write"},
	}, {
		name:     "attribute condition refuses the repository",
		job:      oidctest.Job{Repository: "evil-org/app", Ref: "refs/heads/main"},
		opts:     wif,
		wantErr:  []string{"GCP STS exchange the OIDC token: 400 unauthorized_client", "rejected by the attribute condition", "sub repo:evil-org/app:ref:refs/heads/main, aud https://iam.googleapis.com/" + provider},
		wantHint: []string{"attribute condition", "accept this repository", "{gcp-workload-identity-provider}"},
	}, {
		name:     "provider's audiences refuse the default audience",
		cfg:      func(c *gcpkmstest.Config) { c.Providers[0].AllowedAudiences = []string{"https://github.com/octo-org"} },
		opts:     wif,
		wantErr:  []string{"400 invalid_grant", "does not match the expected audience", "aud https://iam.googleapis.com/" + provider},
		wantHint: []string{"allowed audiences", "https://iam.googleapis.com/PROVIDER"},
	}, {
		name:     "no such provider",
		cfg:      func(c *gcpkmstest.Config) { c.Providers[0].Name += "-old" },
		opts:     wif,
		wantErr:  []string{"400 invalid_target"},
		wantHint: []string{"does not exist or is disabled", "{gcp-workload-identity-provider}"},
	}, {
		name:     "repository may not impersonate the service account",
		cfg:      func(c *gcpkmstest.Config) { c.ServiceAccounts[0].Users = nil },
		opts:     wif,
		wantErr:  []string{"GCP IAM Credentials generate an access token for " + sa + ": 403 PERMISSION_DENIED", "iam.serviceAccounts.getAccessToken", "sub " + mainSub},
		wantHint: []string{"roles/iam.workloadIdentityUser", "{gcp-service-account}", "principal://iam.googleapis.com/" + pool + "/subject/" + mainSub},
	}, {
		name:     "service account may not sign",
		cfg:      func(c *gcpkmstest.Config) { c.Signers = nil },
		opts:     wif,
		wantErr:  []string{"GCP KMS sign: 403 PERMISSION_DENIED", "cloudkms.cryptoKeyVersions.useToSign"},
		wantHint: []string{"roles/cloudkms.signer", "cloudkms.cryptoKeyVersions.useToSign", "serviceAccount:" + sa, "{signing-key}"},
	}, {
		name:     "federated identity may not sign",
		job:      oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/feature"},
		opts:     direct,
		wantErr:  []string{"403 PERMISSION_DENIED", "cloudkms.cryptoKeyVersions.useToSign"},
		wantHint: []string{"roles/cloudkms.signer", "principal://iam.googleapis.com/" + pool + "/subject/repo:octo-org/app:ref:refs/heads/feature"},
	}, {
		name: "no such key",
		opts: func(w *world) gcpkms.Options {
			return gcpkms.Options{Key: strings.Replace(w.gcp.KeyName(), "app-key", "app-kee", 1), WorkloadIdentityProvider: provider, ServiceAccount: sa}
		},
		wantErr:  []string{"403 PERMISSION_DENIED", "(or it may not exist)"},
		wantHint: []string{"check that {signing-key} exists"},
	}, {
		name:     "key for encryption",
		cfg:      func(c *gcpkmstest.Config) { c.Algorithm = "GOOGLE_SYMMETRIC_ENCRYPTION" },
		opts:     wif,
		wantErr:  []string{"400 FAILED_PRECONDITION"},
		wantHint: []string{"RSA_SIGN_PKCS1_2048_SHA256", "ASYMMETRIC_SIGN"},
	}, {
		name:     "EC key, read after the signature (roles/cloudkms.signerVerifier)",
		cfg:      func(c *gcpkmstest.Config) { c.Algorithm, c.SignerVerifiers = "EC_SIGN_P256_SHA256", c.Signers },
		opts:     wif,
		wantErr:  []string{"has algorithm EC_SIGN_P256_SHA256", "not one of an RSA key"},
		wantHint: []string{"RSA_SIGN_PKCS1_2048_SHA256"},
	}, {
		name:     "EC key, signer role only",
		cfg:      func(c *gcpkmstest.Config) { c.Algorithm = "EC_SIGN_P256_SHA256" },
		opts:     wif,
		wantErr:  []string{"not one of an RSA key of 2048, 3072 or 4096 bits"},
		wantHint: []string{"RSA_SIGN_PKCS1_2048_SHA256"},
	}, {
		name: "no version, and no permission to list",
		opts: func(w *world) gcpkms.Options {
			return gcpkms.Options{Key: strings.TrimSuffix(w.gcp.KeyName(), "/cryptoKeyVersions/1"), WorkloadIdentityProvider: provider, ServiceAccount: sa}
		},
		wantErr:  []string{"403 PERMISSION_DENIED", "cloudkms.cryptoKeyVersions.list"},
		wantHint: []string{"name the key version in {signing-key}", "roles/cloudkms.viewer", "serviceAccount:" + sa},
	}, {
		name: "no version, and none that signs RS256",
		cfg: func(c *gcpkmstest.Config) {
			c.Algorithm, c.Viewers = "RSA_SIGN_PSS_2048_SHA256", c.Signers
			c.Versions = []gcpkmstest.Version{{ID: "2", Algorithm: "RSA_SIGN_PKCS1_2048_SHA256", State: "DISABLED"}}
		},
		opts: func(w *world) gcpkms.Options {
			return gcpkms.Options{Key: strings.TrimSuffix(w.gcp.KeyName(), "/cryptoKeyVersions/1"), WorkloadIdentityProvider: provider, ServiceAccount: sa}
		},
		wantErr:  []string{"has no ENABLED version with algorithm RSA_SIGN_PKCS1_*_SHA256", "1 RSA_SIGN_PSS_2048_SHA256 ENABLED, 2 RSA_SIGN_PKCS1_2048_SHA256 DISABLED"},
		wantHint: []string{"RSA_SIGN_PKCS1_2048_SHA256"},
	}, {
		name:     "disabled key version",
		cfg:      func(c *gcpkmstest.Config) { c.Disabled = true },
		opts:     wif,
		wantErr:  []string{"400 FAILED_PRECONDITION", "DISABLED"},
		wantHint: []string{"enable the key version", "{signing-key}"},
	}, {
		name: "expired access token",
		opts: func(w *world) gcpkms.Options {
			return gcpkms.Options{AccessToken: "ya29.expired-or-forged"}
		},
		wantErr:  []string{"401 UNAUTHENTICATED"},
		wantHint: []string{"{gcp-access-token}"},
	}, {
		name: "Cloud KMS keeps failing",
		opts: func(w *world) gcpkms.Options {
			return gcpkms.Options{AccessToken: w.gcp.IssueToken("serviceAccount:" + sa)}
		},
		setup:     func(w *world) { w.gcp.Fail(10, http.StatusServiceUnavailable) },
		wantErr:   []string{"GCP KMS sign: 503 UNAVAILABLE"},
		transient: true,
	}, {
		name:      "STS keeps failing",
		opts:      wif,
		setup:     func(w *world) { w.gcp.Fail(10, http.StatusServiceUnavailable) },
		wantErr:   []string{"GCP STS exchange the OIDC token: 503 UNAVAILABLE"},
		transient: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			job := tt.job
			if job.Repository == "" {
				job = mainJob
			}
			cfg := project()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			w := newWorld(t, job, cfg)
			if tt.setup != nil {
				tt.setup(w)
			}
			o := tt.opts(w)
			if o.Getenv == nil {
				o = w.options(o)
			}
			s, err := gcpkms.New(o)
			if err != nil {
				t.Fatalf("New() error = %v", err)
			}
			// As the registry builds it, with the checks of every signature.
			_, err = gcpkms.Provider.Checked(s).SignDigest(t.Context(), digestOf("message"))
			if err == nil {
				t.Fatal("SignDigest() error = nil, want one")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("SignDigest() error = %q, want one containing %q", err, want)
				}
			}
			if tt.transient {
				checkTransient(t, err)
			}
			for _, want := range tt.wantHint {
				if got := hint.Next(err); !strings.Contains(got, want) {
					t.Errorf("SignDigest() hint = %q, want one containing %q", got, want)
				}
			}
			w.checkNoSecret(t, err)
			t.Logf("error: %v\nhint: %s", err, hint.Next(err))
		})
	}
}

// TestExplainRefusal signs with key versions GitHub would refuse or
// accept, then asks the signer why GitHub refused the JWT: the signature
// needs roles/cloudkms.signer alone, and the key version is read only
// then, to name its algorithm when a role allows (getPublicKey, else get),
// or else to say which algorithms work and which role would let the
// action check.
func TestExplainRefusal(t *testing.T) {
	t.Parallel()
	const key = "projects/app-project/locations/global/keyRings/github/cryptoKeys/app-key"
	var (
		version   = gcpkmstest.DefaultKey
		publicKey = func(status int) string { return fmt.Sprintf("cloudkms GET /v1/%s/publicKey %d", version, status) }
		get       = func(status int) string { return fmt.Sprintf("cloudkms GET /v1/%s %d", version, status) }
		list      = "cloudkms GET /v1/" + key + "/cryptoKeyVersions 200"
		me        = "serviceAccount:" + sa
	)
	tests := []struct {
		name      string
		uri       string // "": the key version
		cfg       func(*gcpkmstest.Config)
		want      []string
		notWant   []string
		wantCalls []string // after the signature
	}{{
		name: "PSS, roles/cloudkms.signer alone",
		cfg:  func(c *gcpkmstest.Config) { c.Algorithm = "RSA_SIGN_PSS_2048_SHA256" },
		want: []string{"key version " + version, "must be RSA_SIGN_PKCS1_*_SHA256", "RSA_SIGN_PKCS1_2048_SHA256", "RSA_SIGN_PSS_*",
			"roles/cloudkms.signerVerifier", "cloudkms.cryptoKeyVersions.viewPublicKey", "to the account of the access token", "{client-id}"},
		notWant:   []string{"has algorithm"},
		wantCalls: []string{publicKey(403), get(403)},
	}, {
		name: "PSS, roles/cloudkms.signerVerifier",
		cfg: func(c *gcpkmstest.Config) {
			c.Algorithm, c.Signers, c.SignerVerifiers = "RSA_SIGN_PSS_2048_SHA256", nil, []string{me}
		},
		want:      []string{"has algorithm RSA_SIGN_PSS_2048_SHA256", "does not make RS256 signatures", "RSA_SIGN_PKCS1_2048_SHA256", "{signing-key}"},
		notWant:   []string{"roles/"},
		wantCalls: []string{publicKey(200)},
	}, {
		name:      "PSS 3072, roles/cloudkms.signer and roles/cloudkms.viewer",
		cfg:       func(c *gcpkmstest.Config) { c.Algorithm, c.Viewers = "RSA_SIGN_PSS_3072_SHA256", []string{me} },
		want:      []string{"has algorithm RSA_SIGN_PSS_3072_SHA256", "RSA_SIGN_PKCS1_3072_SHA256"},
		wantCalls: []string{publicKey(403), get(200)},
	}, {
		name:      "RS256, roles/cloudkms.signerVerifier: the key is not the app's",
		cfg:       func(c *gcpkmstest.Config) { c.Signers, c.SignerVerifiers = nil, []string{me} },
		want:      []string{"has algorithm RSA_SIGN_PKCS1_2048_SHA256, which makes RS256 signatures", "not the app's", "{client-id}", "{signing-key}"},
		notWant:   []string{"does not make"},
		wantCalls: []string{publicKey(200)},
	}, {
		name:      "a version chosen from the list is not read again",
		uri:       "gcpkms://" + key,
		cfg:       func(c *gcpkmstest.Config) { c.Viewers = []string{me} },
		want:      []string{"has algorithm RSA_SIGN_PKCS1_2048_SHA256, which makes RS256 signatures"},
		wantCalls: nil,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := project()
			tt.cfg(&cfg)
			w := newWorld(t, mainJob, cfg)
			s, err := gcpkms.New(w.options(gcpkms.Options{Key: tt.uri, AccessToken: w.gcp.IssueToken(me)}))
			if err != nil {
				t.Fatalf("New() error = %v", err)
			}
			if got := s.ExplainRefusal(t.Context()); got != "" {
				t.Errorf("ExplainRefusal() before a signature = %q, want \"\"", got)
			}
			if _, err := s.SignDigest(t.Context(), digestOf("message")); err != nil {
				t.Fatalf("SignDigest() error = %v (hint: %s)", err, hint.Next(err))
			}
			if got := w.gcp.Refused(); len(got) != 0 {
				t.Errorf("refused requests before GitHub's refusal = %v, want none", got)
			}
			before := len(w.calls())
			got := s.ExplainRefusal(t.Context())
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Errorf("ExplainRefusal() = %q, want it to hold %q", got, want)
				}
			}
			for _, bad := range tt.notWant {
				if strings.Contains(got, bad) {
					t.Errorf("ExplainRefusal() = %q, want no %q", got, bad)
				}
			}
			if calls := w.calls()[before:]; !slices.Equal(calls, tt.wantCalls) {
				t.Errorf("requests to explain = %q, want %q", calls, tt.wantCalls)
			}
			if tt.uri != "" && !slices.Contains(w.calls(), list) {
				t.Errorf("requests = %q, want the list that chose the version", w.calls())
			}
		})
	}
}

func TestSignDigestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		n      int
		want   []string
	}{
		{name: "503 twice", status: http.StatusServiceUnavailable, n: 2,
			want: []string{"sts POST /v1/token 503", "sts POST /v1/token 503", stsOK, iamOK, signOK}},
		{name: "429 once", status: http.StatusTooManyRequests, n: 1,
			want: []string{"sts POST /v1/token 429", stsOK, iamOK, signOK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, mainJob, project())
			w.gcp.Fail(tt.n, tt.status)
			s, err := gcpkms.New(w.options(gcpkms.Options{WorkloadIdentityProvider: provider, ServiceAccount: sa}))
			if err != nil {
				t.Fatalf("New() error = %v", err)
			}
			if _, err := s.SignDigest(t.Context(), digestOf("message")); err != nil {
				t.Fatalf("SignDigest() error = %v", err)
			}
			if got := w.calls(); !slices.Equal(got, tt.want) {
				t.Errorf("requests = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestJWTVerifies signs an app JWT as the action does and verifies it with
// the app's public key, as GitHub would.
func TestJWTVerifies(t *testing.T) {
	t.Parallel()
	w := newWorld(t, mainJob, project())
	s, err := gcpkms.New(w.options(gcpkms.Options{WorkloadIdentityProvider: provider, ServiceAccount: sa}))
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	token, err := appjwt.SignWith(t.Context(), "12345", s, time.Now())
	if err != nil {
		t.Fatalf("SignWith() error = %v", err)
	}
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return &appKey().PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer("12345"))
	if err != nil {
		t.Errorf("the app JWT does not verify with the app's public key: %v", err)
	}
}

// TestSignDigestConcurrent checks that concurrent first signatures obtain
// credentials once.
func TestSignDigestConcurrent(t *testing.T) {
	t.Parallel()
	w := newWorld(t, mainJob, project())
	s, err := gcpkms.New(w.options(gcpkms.Options{WorkloadIdentityProvider: provider, ServiceAccount: sa}))
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			if _, err := s.SignDigest(t.Context(), digestOf(fmt.Sprint(i))); err != nil {
				t.Errorf("SignDigest() error = %v", err)
			}
		})
	}
	wg.Wait()
	if got := w.oidc.Issued(); got != 1 {
		t.Errorf("OIDC tokens issued = %d, want 1", got)
	}
	if got := len(w.calls()); got != 2+4 {
		t.Errorf("requests = %d, want 6 (exchange, impersonate, four signatures)", got)
	}
}

// TestKeyVersionForms signs with the forms of sigstore's gcpkms URIs: a
// version as cryptoKeyVersions/N or versions/N, and none, when the newest
// ENABLED RSA_SIGN_PKCS1_*_SHA256 version is chosen from the listing
// (read page by page).
func TestKeyVersionForms(t *testing.T) {
	t.Parallel()
	const key = "projects/app-project/locations/global/keyRings/github/cryptoKeys/app-key"
	const holder = key + "/cryptoKeyVersions/3" // holds the app's key
	list := "cloudkms GET /v1/" + key + "/cryptoKeyVersions 200"
	tests := []struct {
		name string
		uri  string
		want []string
	}{
		{name: "cryptoKeyVersions/N", uri: "gcpkms://" + holder,
			want: []string{"cloudkms POST /v1/" + holder + ":asymmetricSign 200"}},
		{name: "versions/N", uri: "gcpkms://" + key + "/versions/3",
			want: []string{"cloudkms POST /v1/" + holder + ":asymmetricSign 200"}},
		{name: "no version", uri: "gcpkms://" + key,
			want: []string{list, list, list, "cloudkms POST /v1/" + holder + ":asymmetricSign 200"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := project()
			cfg.KeyName = holder
			cfg.Viewers = []string{"serviceAccount:" + sa}
			cfg.Versions = []gcpkmstest.Version{
				{ID: "1", Algorithm: "RSA_SIGN_PKCS1_2048_SHA256"},
				{ID: "2", Algorithm: "RSA_SIGN_PKCS1_2048_SHA256", State: "DESTROYED"},
				{ID: "4", Algorithm: "RSA_SIGN_PSS_2048_SHA256"},
				{ID: "5", Algorithm: "RSA_SIGN_PKCS1_4096_SHA256", State: "DISABLED"},
			}
			w := newWorld(t, mainJob, cfg)
			s, err := gcpkms.New(w.options(gcpkms.Options{Key: tt.uri, AccessToken: w.gcp.IssueToken("serviceAccount:" + sa)}))
			if err != nil {
				t.Fatalf("New() error = %v", err)
			}
			digest := digestOf("message")
			sig, err := s.SignDigest(t.Context(), digest)
			if err != nil {
				t.Fatalf("SignDigest() error = %v (hint: %s)", err, hint.Next(err))
			}
			if err := rsa.VerifyPKCS1v15(&appKey().PublicKey, crypto.SHA256, digest, sig); err != nil {
				t.Errorf("the signature is not the app key's: %v", err)
			}
			if got := w.calls(); !slices.Equal(got, tt.want) {
				t.Errorf("requests = %q, want %q", got, tt.want)
			}
			// roles/cloudkms.signer and roles/cloudkms.viewer: nothing is refused.
			if got := w.gcp.Refused(); len(got) != 0 {
				t.Errorf("refused requests = %v, want none", got)
			}
		})
	}
}

func TestParseURI(t *testing.T) {
	t.Parallel()
	const key = "projects/p/locations/global/keyRings/r/cryptoKeys/k"
	tests := []struct {
		uri, want, wantErr string
	}{
		{uri: "gcpkms://" + key + "/cryptoKeyVersions/2", want: key + "/cryptoKeyVersions/2"},
		{uri: "gcpkms://" + key + "/versions/2", want: key + "/cryptoKeyVersions/2"},
		{uri: "gcpkms://" + key, want: key},
		{uri: key, wantErr: "does not start with gcpkms://"},
		{uri: "gcpkms://" + key + "/versions/latest", wantErr: "is not a number"},
		{uri: "gcpkms://projects/p/locations/global/keyRings/r", wantErr: "not the resource name of a key or a key version"},
	}
	for _, tt := range tests {
		got, err := gcpkms.ParseURI(tt.uri)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseURI(%q) error = %v, want %q", tt.uri, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseURI(%q) = %q, %v, want %q", tt.uri, got, err, tt.want)
		}
	}
}

// TestCredentialsFile signs with the external_account file that
// google-github-actions/auth writes by default, named by
// GOOGLE_APPLICATION_CREDENTIALS (or gcloud's variables), when no input
// and no GOOGLE_OAUTH_ACCESS_TOKEN give credentials.
func TestCredentialsFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		sa        string
		env       string // the variable that names the file
		file      func(w *world, path string) []byte
		setup     func(w *world)
		wantCalls []string
		wantErr   string
		wantHint  string
	}{
		{name: "impersonating a service account", sa: sa, env: "GOOGLE_APPLICATION_CREDENTIALS",
			wantCalls: []string{stsOK, iamOK, signOK}},
		{name: "the federated identity signs", env: "GOOGLE_APPLICATION_CREDENTIALS",
			wantCalls: []string{stsOK, signOK}},
		{name: "named by GOOGLE_GHA_CREDS_PATH", sa: sa, env: "GOOGLE_GHA_CREDS_PATH",
			wantCalls: []string{stsOK, iamOK, signOK}},
		{name: "the token service fails twice", sa: sa, env: "GOOGLE_APPLICATION_CREDENTIALS",
			setup:     func(w *world) { w.oidc.FailWith(2, http.StatusServiceUnavailable) },
			wantCalls: []string{stsOK, iamOK, signOK}},
		{name: "GOOGLE_OAUTH_ACCESS_TOKEN wins", sa: sa, env: "GOOGLE_APPLICATION_CREDENTIALS",
			setup:     func(w *world) { w.env["GOOGLE_OAUTH_ACCESS_TOKEN"] = w.gcp.IssueToken("serviceAccount:" + sa) },
			wantCalls: []string{signOK}},
		{name: "subject token from a file", env: "GOOGLE_APPLICATION_CREDENTIALS",
			file: func(w *world, path string) []byte {
				tok, err := oidc.Fetcher{Getenv: func(k string) string { return w.env[k] }}.Fetch(t.Context(), "https://iam.googleapis.com/"+provider)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path+".jwt", []byte(tok+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				return []byte(`{"type":"external_account","audience":"//iam.googleapis.com/` + provider + `",` +
					`"subject_token_type":"urn:ietf:params:oauth:token-type:jwt","token_url":"` + w.gcp.URL() + `/sts/v1/token",` +
					`"credential_source":{"file":"` + path + `.jwt"}}`)
			},
			wantCalls: []string{stsOK, signOK}},
		{name: "the file's provider does not exist", env: "GOOGLE_APPLICATION_CREDENTIALS",
			file: func(w *world, _ string) []byte {
				return w.gcp.ExternalAccountFile("projects/123456789/locations/global/workloadIdentityPools/gone/providers/gone", "", w.oidc.Env())
			},
			wantErr: "invalid_target", wantHint: "the workload identity provider of the credentials file (google-github-actions/auth's workload_identity_provider)"},
		{name: "the file is missing", env: "GOOGLE_APPLICATION_CREDENTIALS",
			file:    func(*world, string) []byte { return nil },
			wantErr: "does not exist", wantHint: "after actions/checkout"},
		{name: "a service account key file", env: "GOOGLE_APPLICATION_CREDENTIALS",
			file: func(*world, string) []byte {
				return []byte(`{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\nMIIE\n"}`)
			},
			wantErr: `of type "service_account"`, wantHint: "workload_identity_provider"},
		{name: "a token_url in clear text", env: "GOOGLE_APPLICATION_CREDENTIALS",
			file: func(w *world, _ string) []byte {
				return []byte(`{"type":"external_account","audience":"//iam.googleapis.com/` + provider + `","token_url":"http://sts.example/v1/token","credential_source":{"file":"x"}}`)
			},
			wantErr: "http://sts.example is not https"},
		{name: "no file", wantErr: "no credentials", wantHint: "google-github-actions/auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, mainJob, project())
			path := filepath.Join(t.TempDir(), "gha-creds-0123456789abcdef.json")
			var b []byte
			if tt.file != nil {
				b = tt.file(w, path)
			} else {
				b = w.gcp.ExternalAccountFile(provider, tt.sa, w.oidc.Env())
			}
			if b != nil {
				if err := os.WriteFile(path, b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tt.env != "" {
				w.env[tt.env] = path
			}
			if tt.setup != nil {
				tt.setup(w)
			}
			s, err := gcpkms.New(w.options(gcpkms.Options{}))
			if err != nil {
				t.Fatalf("New() error = %v", err)
			}
			_, err = s.SignDigest(t.Context(), digestOf("message"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(hint.Next(err), tt.wantHint) {
					t.Fatalf("SignDigest() error = %v (hint %q), want %q (hint %q)", err, hint.Next(err), tt.wantErr, tt.wantHint)
				}
				w.checkNoSecret(t, err)
				return
			}
			if err != nil {
				t.Fatalf("SignDigest() error = %v (hint: %s)", err, hint.Next(err))
			}
			if got := w.calls(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("requests = %q, want %q", got, tt.wantCalls)
			}
			for _, sec := range w.secrets() {
				if strings.HasPrefix(sec, "ya29.a0-ambient-") || sec == w.oidc.Env()["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] && (tt.file != nil || !slices.Contains(tt.wantCalls, stsOK)) {
					continue // issued by the test itself, or unused (the runner masks it)
				}
				if !slices.Contains(w.masked, sec) {
					t.Errorf("a credential (%d chars) was not masked", len(sec))
				}
			}
		})
	}
}

// TestCredentialsFileFromJobContainer reads the file that auth, run in a
// container job, named by its path in that container (/__w/REPO/REPO/…),
// which the runner does not translate: the file is in the workspace.
func TestCredentialsFileFromJobContainer(t *testing.T) {
	t.Parallel()
	w := newWorld(t, mainJob, project())
	file := w.gcp.ExternalAccountFile(provider, sa, w.oidc.Env())
	w.env["GITHUB_WORKSPACE"] = "/github/workspace"
	w.env["GOOGLE_APPLICATION_CREDENTIALS"] = "/__w/app/app/gha-creds-0123456789abcdef.json"
	var read []string
	o := w.options(gcpkms.Options{})
	o.ReadFile = func(name string) ([]byte, error) {
		read = append(read, name)
		if name == "/github/workspace/gha-creds-0123456789abcdef.json" {
			return file, nil
		}
		return nil, os.ErrNotExist
	}
	s, err := gcpkms.New(o)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	if _, err := s.SignDigest(t.Context(), digestOf("message")); err != nil {
		t.Fatalf("SignDigest() error = %v (hint: %s)", err, hint.Next(err))
	}
	if want := []string{"/__w/app/app/gha-creds-0123456789abcdef.json", "/github/workspace/gha-creds-0123456789abcdef.json"}; !slices.Equal(read, want) {
		t.Errorf("files read = %q, want %q", read, want)
	}
}

// checkTransient fails t unless err is a provider's transient answer
// (429, 5xx, a throttling code) that the provider leaves unexplained: the
// core classifies those, once for every provider (apptoken's explainSign).
func checkTransient(t *testing.T, err error) {
	t.Helper()
	e, ok := errors.AsType[*kmshttp.Error](err)
	if !ok || !e.Transient() || kmshttp.Answered(err) != nil || hint.Next(err) != "" {
		t.Errorf("error = %v (hint %q), want a transient *kmshttp.Error with no hint of the provider's", err, hint.Next(err))
	}
}

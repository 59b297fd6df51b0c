package hashivault_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/hashivault"
	"github.com/ghapptoken/app-token-action/internal/kms/hashivault/hashivaulttest"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/oidc"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// appKey is the app's key of the tests' world (runnertest.Keys).
func appKey() *rsa.PrivateKey {
	k, _ := runnertest.Keys()
	return k
}

var job = oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"}

// vaultConfig is a Vault set up as the package documentation tells: a role
// bound to the repository with GitHub's default audience, and a policy
// with update on the key's sign path.
func vaultConfig() hashivaulttest.Config {
	return hashivaulttest.Config{
		Key:  appKey(),
		Keys: map[string]string{"github-app": "rsa-2048", "aes": "aes256-gcm96", "ec": "ecdsa-p256"},
		Roles: map[string]hashivaulttest.Role{
			"app-token": {
				BoundAudiences: []string{"https://github.com/octo-org"},
				BoundClaims:    map[string]string{"sub": "repo:octo-org/app:*"},
				TokenPolicies:  []string{"sign"},
			},
			"other-audience": {BoundAudiences: []string{"sigstore"}, TokenPolicies: []string{"sign"}},
			"other-repo": {
				BoundAudiences: []string{"https://github.com/octo-org"},
				BoundClaims:    map[string]string{"sub": "repo:octo-org/other:*"},
				TokenPolicies:  []string{"sign"},
			},
			"other-subject": {
				BoundAudiences: []string{"https://github.com/octo-org"},
				BoundSubject:   "repo:octo-org/app:environment:prod",
				TokenPolicies:  []string{"sign"},
			},
			"no-sign": {BoundAudiences: []string{"https://github.com/octo-org"}, TokenPolicies: []string{"read"}},
		},
		Policies: map[string][]string{
			"sign": {"transit/sign/github-app", "transit/sign/aes", "transit/sign/ec", "transit/sign/missing", "secret/sign/*"},
			"read": {"transit/keys/*"},
		},
	}
}

// env is a step's environment.
type env map[string]string

func (e env) get(k string) string { return e[k] }

func merge(ms ...map[string]string) env {
	out := env{"GITHUB_REPOSITORY": "octo-org/app", "GITHUB_REPOSITORY_OWNER": "octo-org"}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// options returns Options for a job whose OIDC service is gh (nil: no
// id-token: write), with the step environment e.
func options(gh *oidctest.Server, e env, masked *[]string) hashivault.Options {
	var mu sync.Mutex
	o := hashivault.Options{
		Mount: "transit",
		Key:   "github-app",
		Env: kmshttp.Env{
			Getenv: e.get,
			Sleep:  func(context.Context, time.Duration) error { return nil },
			Mask: func(s string) {
				mu.Lock()
				*masked = append(*masked, s)
				mu.Unlock()
			},
		},
	}
	if gh != nil {
		f := oidc.Fetcher{Getenv: merge(gh.Env()).get}
		o.OIDC = f.Fetch
	}
	return o
}

func digest(msg string) []byte {
	d := sha256.Sum256([]byte(msg))
	return d[:]
}

func TestSignDigest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       func(*hashivaulttest.Config)
		opts      func(o *hashivault.Options, v *hashivaulttest.Server, e env)
		fail      int // status of two injected faults
		wantVault []string
		wantOIDC  int
	}{
		{
			name:      "oidc login then two signatures",
			opts:      func(o *hashivault.Options, _ *hashivaulttest.Server, _ env) { o.Role = "app-token" },
			wantVault: []string{"POST /v1/auth/jwt/login 200", "POST /v1/transit/sign/github-app 200", "POST /v1/transit/sign/github-app 200"},
			wantOIDC:  1,
		},
		{
			name:      "ambient VAULT_TOKEN",
			opts:      func(_ *hashivault.Options, v *hashivaulttest.Server, e env) { e["VAULT_TOKEN"] = v.Token("sign") },
			wantVault: []string{"POST /v1/transit/sign/github-app 200", "POST /v1/transit/sign/github-app 200"},
		},
		{
			name: "namespace from VAULT_NAMESPACE, audience and auth path set",
			cfg: func(c *hashivaulttest.Config) {
				c.Namespace, c.AuthPath, c.Mount = "admin/team", "github", "keys/transit"
				c.Roles["app-token"] = hashivaulttest.Role{BoundAudiences: []string{"vault"}, BoundSubject: "repo:octo-org/app:ref:refs/heads/main", TokenPolicies: []string{"sign"}}
				c.Policies["sign"] = []string{"keys/transit/sign/github-*"}
			},
			opts: func(o *hashivault.Options, _ *hashivaulttest.Server, _ env) {
				o.Role, o.AuthPath, o.Audience, o.Mount = "app-token", "github", "vault", "keys/transit"
			},
			wantVault: []string{"POST /v1/auth/github/login 200", "POST /v1/keys/transit/sign/github-app 200", "POST /v1/keys/transit/sign/github-app 200"},
			wantOIDC:  1,
		},
		{
			name:      "sealed vault is retried",
			opts:      func(o *hashivault.Options, _ *hashivaulttest.Server, _ env) { o.Role = "app-token" },
			fail:      http.StatusServiceUnavailable,
			wantVault: []string{"POST /v1/auth/jwt/login 503", "POST /v1/auth/jwt/login 503", "POST /v1/auth/jwt/login 200", "POST /v1/transit/sign/github-app 200", "POST /v1/transit/sign/github-app 200"},
			wantOIDC:  1,
		},
		{
			name:      "rate limit is retried",
			opts:      func(_ *hashivault.Options, v *hashivaulttest.Server, e env) { e["VAULT_TOKEN"] = v.Token("sign") },
			fail:      http.StatusTooManyRequests,
			wantVault: []string{"POST /v1/transit/sign/github-app 429", "POST /v1/transit/sign/github-app 429", "POST /v1/transit/sign/github-app 200", "POST /v1/transit/sign/github-app 200"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := vaultConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			v := hashivaulttest.Start(t, cfg)
			gh := oidctest.Start(t, job)
			e := merge(v.Env())
			var masked []string
			o := options(gh, e, &masked)
			tt.opts(&o, v, e)
			s, err := hashivault.New(o)
			if err != nil {
				t.Fatalf("New() error = %v", err)
			}
			if tt.fail != 0 {
				v.Fail(2, tt.fail)
			}
			for _, msg := range []string{"header.claims", "header.claims2"} {
				sig, err := s.SignDigest(t.Context(), digest(msg))
				if err != nil {
					t.Fatalf("SignDigest() error = %v (hint: %s)", err, hint.Next(err))
				}
				if err := rsa.VerifyPKCS1v15(&appKey().PublicKey, crypto.SHA256, digest(msg), sig); err != nil {
					t.Errorf("SignDigest() signature does not verify with the app's public key: %v", err)
				}
			}
			var got []string
			for _, r := range v.Requests() {
				got = append(got, r.Method+" "+r.Path+" "+strconv.Itoa(r.Status))
			}
			if !slices.Equal(got, tt.wantVault) {
				t.Errorf("Vault requests = %q, want %q", got, tt.wantVault)
			}
			if n := gh.Issued(); n != tt.wantOIDC {
				t.Errorf("OIDC tokens issued = %d, want %d", n, tt.wantOIDC)
			}
			for _, secret := range append(gh.Secrets()[1:], v.Secrets()...) {
				if !slices.Contains(masked, secret) {
					t.Errorf("a credential (%d chars) was not masked", len(secret))
				}
			}
		})
	}
}

func TestSignDigestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		cfg      func(*hashivaulttest.Config)
		opts     func(o *hashivault.Options, v *hashivaulttest.Server, e env)
		noOIDC   bool // the job has no id-token: write
		noEnv    bool // the OIDC function is a Fetcher without the runner's variables
		fail     int  // inject this many 503s
		wantErr  []string
		wantHint []string
	}{
		{
			name:     "neither role nor VAULT_TOKEN",
			opts:     func(*hashivault.Options, *hashivaulttest.Server, env) {},
			wantErr:  []string{"vault-role is empty and VAULT_TOKEN is not set"},
			wantHint: []string{"{vault-role}", "id-token: write", "exportToken: true"},
		},
		{
			name:     "role without id-token: write",
			opts:     func(o *hashivault.Options, _ *hashivaulttest.Server, _ env) { o.Role = "app-token" },
			noOIDC:   true,
			wantErr:  []string{"OIDC token is not available"},
			wantHint: []string{"id-token: write", "{vault-role}"},
		},
		{
			name:     "oidc fetcher's own hint is kept",
			opts:     func(o *hashivault.Options, _ *hashivaulttest.Server, _ env) { o.Role = "app-token" },
			noEnv:    true,
			wantErr:  []string{"Vault: get the job's OIDC token"},
			wantHint: []string{"give the job permissions: id-token: write"},
		},
		{
			name:     "audience not bound",
			opts:     func(o *hashivault.Options, _ *hashivaulttest.Server, _ env) { o.Role = "other-audience" },
			wantErr:  []string{"400: error validating token: invalid audience (aud) claim: audience claim does not match any expected audience", "sub repo:octo-org/app:ref:refs/heads/main, aud https://github.com/octo-org"},
			wantHint: []string{"bound_audiences", "{vault-audience}"},
		},
		{
			name:     "bound claims refuse the repository",
			opts:     func(o *hashivault.Options, _ *hashivaulttest.Server, _ env) { o.Role = "other-repo" },
			wantErr:  []string{`error validating claims: claim "sub" does not match any associated bound claim values`, "sub repo:octo-org/app:ref:refs/heads/main"},
			wantHint: []string{"bound_claims", "{vault-role}"},
		},
		{
			name:     "bound subject refuses the ref",
			opts:     func(o *hashivault.Options, _ *hashivaulttest.Server, _ env) { o.Role = "other-subject" },
			wantErr:  []string{"error validating token: invalid subject (sub) claim", "sub repo:octo-org/app:ref:refs/heads/main"},
			wantHint: []string{"bound_subject"},
		},
		{
			name:     "role not found",
			opts:     func(o *hashivault.Options, _ *hashivaulttest.Server, _ env) { o.Role = "nope" },
			wantErr:  []string{`role "nope" could not be found`},
			wantHint: []string{"set {vault-role}", "auth/jwt"},
		},
		{
			name: "no auth method at the path",
			opts: func(o *hashivault.Options, _ *hashivaulttest.Server, _ env) {
				o.Role, o.AuthPath = "app-token", "github"
			},
			wantErr:  []string{"Vault log in at auth/github/login as role app-token: 403: permission denied"},
			wantHint: []string{"{vault-auth-path}", "VAULT_NAMESPACE"},
		},
		{
			name: "namespace not set",
			cfg:  func(c *hashivaulttest.Config) { c.Namespace = "team" },
			opts: func(o *hashivault.Options, _ *hashivaulttest.Server, e env) {
				o.Role = "app-token"
				delete(e, "VAULT_NAMESPACE")
			},
			wantErr:  []string{"403: permission denied"},
			wantHint: []string{"VAULT_NAMESPACE"},
		},
		{
			name:     "role's policy cannot sign",
			opts:     func(o *hashivault.Options, _ *hashivaulttest.Server, _ env) { o.Role = "no-sign" },
			wantErr:  []string{"Vault sign with transit/sign/github-app: 403: permission denied"},
			wantHint: []string{`capabilities ["update"] on path "transit/sign/github-app"`, "{vault-role}"},
		},
		{
			name:     "ambient token's policy cannot sign",
			opts:     func(_ *hashivault.Options, v *hashivaulttest.Server, e env) { e["VAULT_TOKEN"] = v.Token("read") },
			wantErr:  []string{"403: permission denied"},
			wantHint: []string{"VAULT_TOKEN", `"update"`},
		},
		{
			name: "unknown ambient token",
			opts: func(_ *hashivault.Options, _ *hashivaulttest.Server, e env) {
				e["VAULT_TOKEN"] = "hvs.not-issued-by-vault"
			},
			wantErr:  []string{"403: permission denied"},
			wantHint: []string{"update"},
		},
		{
			name: "aes key cannot sign",
			opts: func(o *hashivault.Options, v *hashivaulttest.Server, e env) {
				o.Key = "aes"
				e["VAULT_TOKEN"] = v.Token("sign")
			},
			wantErr:  []string{"400: key type aes256-gcm96 does not support signing"},
			wantHint: []string{"rsa-2048", "import", "{signing-key}"},
		},
		{
			name: "ecdsa key signs, but not as RSA",
			opts: func(o *hashivault.Options, v *hashivaulttest.Server, e env) {
				o.Key = "ec"
				e["VAULT_TOKEN"] = v.Token("sign")
			},
			wantErr:  []string{"not one of an RSA key of 2048, 3072 or 4096 bits"},
			wantHint: []string{"rsa-2048", "{signing-key}"},
		},
		{
			name: "key not found",
			opts: func(o *hashivault.Options, v *hashivaulttest.Server, e env) {
				o.Key = "missing"
				e["VAULT_TOKEN"] = v.Token("sign")
			},
			wantErr:  []string{"400: encryption key not found"},
			wantHint: []string{"{signing-key}", "hashivault://MOUNT/KEY"},
		},
		{
			name: "mount not found",
			opts: func(o *hashivault.Options, v *hashivaulttest.Server, e env) {
				o.Mount = "secret"
				e["VAULT_TOKEN"] = v.Token("sign")
			},
			wantErr:  []string{"404: no handler for route"},
			wantHint: []string{"no Transit mount at secret"},
		},
		{
			name:    "sealed vault beyond the retries",
			opts:    func(_ *hashivault.Options, v *hashivaulttest.Server, e env) { e["VAULT_TOKEN"] = v.Token("sign") },
			fail:    4,
			wantErr: []string{"Vault sign with transit/sign/github-app: 503: Vault is sealed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := vaultConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			v := hashivaulttest.Start(t, cfg)
			gh := oidctest.Start(t, job)
			e := merge(v.Env())
			var masked []string
			o := options(gh, e, &masked)
			switch {
			case tt.noOIDC:
				o.OIDC = nil
			case tt.noEnv:
				o.OIDC = oidc.Fetcher{Getenv: e.get}.Fetch
			}
			tt.opts(&o, v, e)
			s, err := hashivault.New(o)
			if err != nil {
				t.Fatalf("New() error = %v", err)
			}
			v.Fail(tt.fail, http.StatusServiceUnavailable)
			// As the registry builds it, with the checks of every signature.
			_, err = hashivault.Provider.Checked(s).SignDigest(t.Context(), digest("header.claims"))
			if err == nil {
				t.Fatal("SignDigest() error = nil, want one")
			}
			next := hint.Next(err)
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("SignDigest() error = %q, want it to hold %q", err, want)
				}
			}
			for _, want := range tt.wantHint {
				if !strings.Contains(next, want) {
					t.Errorf("SignDigest() hint = %q, want it to hold %q", next, want)
				}
			}
			if tt.fail == 0 && len(tt.wantHint) > 0 && next == "" {
				t.Errorf("SignDigest() error %q has no hint", err)
			}
			for _, secret := range append(gh.Secrets(), v.Secrets()...) {
				if strings.Contains(err.Error(), secret) || strings.Contains(next, secret) {
					t.Errorf("SignDigest() error or hint holds a secret (%d chars)", len(secret))
				}
			}
			t.Logf("error: %v\nhint: %s", err, next)
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     hashivault.Options
		env      env
		wantErr  string
		wantHint string
	}{
		{name: "address from VAULT_ADDR", opts: hashivault.Options{Mount: "transit", Key: "k"}, env: env{"VAULT_ADDR": "https://vault.example.com:8200/"}},
		{name: "address input wins", opts: hashivault.Options{Mount: "transit", Key: "k", Address: "https://vault.example.com"}},
		{name: "no address", opts: hashivault.Options{Mount: "transit", Key: "k"}, wantErr: "vault-address is empty and VAULT_ADDR is not set", wantHint: "{vault-address}"},
		{name: "address not a URL", opts: hashivault.Options{Mount: "transit", Key: "k", Address: "vault.example.com"}, wantErr: "not an http(s) URL", wantHint: "{vault-address}"},
		{name: "no key", opts: hashivault.Options{Mount: "transit", Address: "https://v"}, wantErr: "not a Vault Transit key name", wantHint: "{signing-key}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.Getenv = tt.env.get
			_, err := hashivault.New(tt.opts)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New() error = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New() error = %v, want %q", err, tt.wantErr)
			}
			if next := hint.Next(err); !strings.Contains(next, tt.wantHint) {
				t.Errorf("New() hint = %q, want it to hold %q", next, tt.wantHint)
			}
		})
	}
}

func TestParseURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, mountEnv, mount, key string
		wantErr                  bool
	}{
		{in: "hashivault://github-app", mount: "transit", key: "github-app"},
		{in: "hashivault://transit-prod/github-app", mount: "transit-prod", key: "github-app"},
		{in: "hashivault://teams/platform/transit/github-app", mount: "teams/platform/transit", key: "github-app"},
		{in: "hashivault:///github-app/", mount: "transit", key: "github-app"},
		// cosign's mount variable, for the URI that names only the key.
		{in: "hashivault://github-app", mountEnv: "signing", mount: "signing", key: "github-app"},
		{in: "hashivault://github-app", mountEnv: "/teams/signing/", mount: "teams/signing", key: "github-app"},
		{in: "hashivault://github-app", mountEnv: " ", mount: "transit", key: "github-app"},
		// A mount in the URI wins.
		{in: "hashivault://transit-prod/github-app", mountEnv: "signing", mount: "transit-prod", key: "github-app"},
		{in: "hashivault://", wantErr: true},
		{in: "github-app", wantErr: true},
		{in: "azurekms://v/github-app", wantErr: true},
	}
	for _, tt := range tests {
		getenv := func(k string) string {
			if k == hashivault.TransitPathEnv {
				return tt.mountEnv
			}
			return ""
		}
		mount, key, err := hashivault.ParseURI(tt.in, getenv)
		if (err != nil) != tt.wantErr || mount != tt.mount || key != tt.key {
			t.Errorf("ParseURI(%q) with %s=%q = %q, %q, %v; want %q, %q, error %v", tt.in, hashivault.TransitPathEnv, tt.mountEnv, mount, key, err, tt.mount, tt.key, tt.wantErr)
		}
	}
	if mount, _, _ := hashivault.ParseURI("hashivault://k", nil); mount != "transit" {
		t.Errorf("ParseURI() with a nil getenv: mount %q, want transit", mount)
	}
}

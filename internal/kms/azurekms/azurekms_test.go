package azurekms_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/azurekms"
	"github.com/ghapptoken/app-token-action/internal/kms/azurekms/azurekmstest"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/oidc"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
)

const (
	clientID = "5f6e1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
	mainSub  = "repo:octo-org/app:ref:refs/heads/main"
)

var mainJob = oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"}

func rsaKey(bits int) func() *rsa.PrivateKey {
	return sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			panic(err)
		}
		return k
	})
}

var (
	appKey   = rsaKey(2048)
	otherKey = rsaKey(2048)
	smallKey = rsaKey(1024)
)

// defaultConfig is a tenant where clientID trusts mainJob's branch and may
// sign with the app's key.
func defaultConfig() azurekmstest.Config {
	return azurekmstest.Config{
		Key: appKey(),
		Apps: []azurekmstest.App{{
			ClientID:    clientID,
			Credentials: []azurekmstest.FederatedCredential{{Subject: mainSub}},
			Sign:        []string{azurekmstest.DefaultKeyName},
		}},
	}
}

// setup starts the job's OIDC service and the Azure emulator, and returns
// options that sign in as clientID.
func setup(t *testing.T, cfg azurekmstest.Config, job oidctest.Job) (*oidctest.Server, *azurekmstest.Server, azurekms.Options) {
	t.Helper()
	o := oidctest.Start(t, job)
	az := azurekmstest.Start(t, cfg)
	env := map[string]string{}
	for k, v := range o.Env() {
		env[k] = v
	}
	for k, v := range az.Env() {
		env[k] = v
	}
	getenv := func(k string) string { return env[k] }
	return o, az, azurekms.Options{
		Vault:    az.Vault(),
		Key:      azurekmstest.DefaultKeyName,
		ClientID: clientID,
		TenantID: az.Tenant(),
		Env: kmshttp.Env{
			HTTP:   az.Client(),
			Getenv: getenv,
			Sleep:  func(context.Context, time.Duration) error { return nil },
			OIDC: func(ctx context.Context, audience string) (string, error) {
				return oidc.Fetcher{Getenv: getenv}.Fetch(ctx, audience)
			},
		},
	}
}

func digestOf(msg string) []byte {
	d := sha256.Sum256([]byte(msg))
	return d[:]
}

func signOnce(t *testing.T, o azurekms.Options) ([]byte, error) {
	t.Helper()
	s, err := azurekms.New(o)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	// As the registry builds it, with the checks of every signature.
	return azurekms.Provider.Checked(s).SignDigest(t.Context(), digestOf("header.claims"))
}

func verify(t *testing.T, pub *rsa.PublicKey, msg string, sig []byte) {
	t.Helper()
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digestOf(msg), sig); err != nil {
		t.Errorf("rsa.VerifyPKCS1v15() = %v, want the signature of the key", err)
	}
}

func requestLog(az *azurekmstest.Server) string {
	var b strings.Builder
	for _, r := range az.Requests() {
		b.WriteString(r.Method + " " + r.Path + " " + strconv.Itoa(r.Status) + "\n")
	}
	return b.String()
}

func TestSignOIDC(t *testing.T) {
	t.Parallel()
	o, az, opts := setup(t, defaultConfig(), mainJob)
	var masked []string
	opts.Mask = func(s string) { masked = append(masked, s) }
	s, err := azurekms.New(opts)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	sig, err := s.SignDigest(t.Context(), digestOf("first"))
	if err != nil {
		t.Fatalf("SignDigest() error = %v", err)
	}
	verify(t, &appKey().PublicKey, "first", sig)
	sig, err = s.SignDigest(t.Context(), digestOf("second"))
	if err != nil {
		t.Fatalf("second SignDigest() error = %v", err)
	}
	verify(t, &appKey().PublicKey, "second", sig)

	// One OIDC token and one exchange, then one request per signature.
	if got := o.Issued(); got != 1 {
		t.Errorf("OIDC tokens issued = %d, want 1", got)
	}
	want := "POST /" + az.Tenant() + "/oauth2/v2.0/token 200\n" +
		"POST /keys/app-key//sign 200\n" +
		"POST /keys/app-key//sign 200\n"
	if got := requestLog(az); got != want {
		t.Errorf("requests:\n%s\nwant:\n%s", got, want)
	}
	for _, secret := range append(az.Secrets(), o.Secrets()[1:]...) {
		if !containsString(masked, secret) {
			t.Errorf("a token was not masked (masked %d values)", len(masked))
		}
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestAppJWT signs a whole app JWT and checks it as GitHub would.
func TestAppJWT(t *testing.T) {
	t.Parallel()
	_, _, opts := setup(t, defaultConfig(), mainJob)
	s, err := azurekms.New(opts)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	token, err := appjwt.SignWith(t.Context(), "Iv1.abc", s, time.Now())
	if err != nil {
		t.Fatalf("SignWith() error = %v", err)
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return &appKey().PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"})); err != nil {
		t.Fatalf("the app JWT does not verify with the app's public key: %v", err)
	}
	if claims["iss"] != "Iv1.abc" {
		t.Errorf("JWT iss = %v, want Iv1.abc", claims["iss"])
	}
}

func TestSignAmbient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     func(*azurekms.Options, *azurekmstest.Server)
		wantLog  func(az *azurekmstest.Server) string
		wantOIDC int
	}{
		{
			name: "access token input",
			opts: func(o *azurekms.Options, az *azurekmstest.Server) {
				o.ClientID, o.TenantID = "", ""
				o.AccessToken = az.IssueToken(clientID, "https://vault.azure.net")
			},
			wantLog: func(*azurekmstest.Server) string { return "POST /keys/app-key//sign 200\n" },
		},
		{
			name: "access token input wins over the environment",
			opts: func(o *azurekms.Options, az *azurekmstest.Server) {
				o.ClientID, o.TenantID = "", ""
				o.AccessToken = az.IssueToken(clientID, "https://vault.azure.net")
				g := o.Getenv
				o.Getenv = func(k string) string {
					if k == "AZURE_CLIENT_ID" {
						return "00000000-0000-0000-0000-000000000000"
					}
					return g(k)
				}
			},
			wantLog: func(*azurekmstest.Server) string { return "POST /keys/app-key//sign 200\n" },
		},
		{
			name: "AZURE_CLIENT_ID and AZURE_TENANT_ID",
			opts: func(o *azurekms.Options, az *azurekmstest.Server) {
				o.ClientID, o.TenantID = "", ""
				g := o.Getenv
				o.Getenv = func(k string) string {
					switch k {
					case "AZURE_CLIENT_ID":
						return clientID
					case "AZURE_TENANT_ID":
						return az.Tenant()
					}
					return g(k)
				}
			},
			wantLog: func(az *azurekmstest.Server) string {
				return "POST /" + az.Tenant() + "/oauth2/v2.0/token 200\nPOST /keys/app-key//sign 200\n"
			},
			wantOIDC: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, az, opts := setup(t, defaultConfig(), mainJob)
			tt.opts(&opts, az)
			var masked []string
			opts.Mask = func(s string) { masked = append(masked, s) }
			sig, err := signOnce(t, opts)
			if err != nil {
				t.Fatalf("SignDigest() error = %v", err)
			}
			verify(t, &appKey().PublicKey, "header.claims", sig)
			if got, want := requestLog(az), tt.wantLog(az); got != want {
				t.Errorf("requests:\n%s\nwant:\n%s", got, want)
			}
			if got := o.Issued(); got != tt.wantOIDC {
				t.Errorf("OIDC tokens issued = %d, want %d", got, tt.wantOIDC)
			}
			if opts.AccessToken != "" && !containsString(masked, opts.AccessToken) {
				t.Error("the access token input was not masked")
			}
		})
	}
}

func TestSignVersion(t *testing.T) {
	t.Parallel()
	_, az, opts := setup(t, defaultConfig(), mainJob)
	first := az.Version(azurekmstest.DefaultKeyName)
	second := az.AddKey(azurekmstest.DefaultKeyName, otherKey())

	sig, err := signOnce(t, opts)
	if err != nil {
		t.Fatalf("SignDigest() current version error = %v", err)
	}
	verify(t, &otherKey().PublicKey, "header.claims", sig)

	opts.Version = first
	sig, err = signOnce(t, opts)
	if err != nil {
		t.Fatalf("SignDigest() version %s error = %v", first, err)
	}
	verify(t, &appKey().PublicKey, "header.claims", sig)
	if reqs := az.Requests(); reqs[len(reqs)-1].Path != "/keys/app-key/"+first+"/sign" {
		t.Errorf("last request path = %s, want the pinned version's", reqs[len(reqs)-1].Path)
	}
	if first == second {
		t.Errorf("versions are equal: %s", first)
	}
}

// TestTokenRenewal checks that a token is used until it nearly expires,
// then replaced.
func TestTokenRenewal(t *testing.T) {
	t.Parallel()
	o, _, opts := setup(t, defaultConfig(), mainJob)
	now := time.Now()
	opts.Now = func() time.Time { return now }
	s, err := azurekms.New(opts)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	for _, step := range []time.Duration{0, 50 * time.Minute, 10 * time.Minute} {
		now = now.Add(step)
		if _, err := s.SignDigest(t.Context(), digestOf("x")); err != nil {
			t.Fatalf("SignDigest() after %v error = %v", step, err)
		}
	}
	// expires_in is 3599 s: the token of the first call serves at 50 min
	// and is replaced at 60 min.
	if got := o.Issued(); got != 2 {
		t.Errorf("OIDC tokens issued = %d, want 2", got)
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		n      int
		status int
	}{
		{"unavailable twice", 2, 503},
		{"throttled once", 1, 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, az, opts := setup(t, defaultConfig(), mainJob)
			opts.ClientID, opts.TenantID = "", ""
			opts.AccessToken = az.IssueToken(clientID, "https://vault.azure.net")
			az.Fail(tt.n, tt.status)
			sig, err := signOnce(t, opts)
			if err != nil {
				t.Fatalf("SignDigest() error = %v", err)
			}
			verify(t, &appKey().PublicKey, "header.claims", sig)
			if got := len(az.Requests()); got != tt.n+1 {
				t.Errorf("requests = %d, want %d", got, tt.n+1)
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	t.Parallel()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ambient := func(o *azurekms.Options, az *azurekmstest.Server) {
		o.ClientID, o.TenantID = "", ""
		o.AccessToken = az.IssueToken(clientID, "https://vault.azure.net")
	}
	tests := []struct {
		name     string
		cfg      func(*azurekmstest.Config)
		job      *oidctest.Job
		opts     func(*azurekms.Options, *azurekmstest.Server)
		wantErr  []string
		wantHint []string
		// transient: a failing service, left to the core to explain
		transient bool
	}{
		{
			name:     "job without id-token permission",
			opts:     func(o *azurekms.Options, _ *azurekmstest.Server) { o.OIDC = nil },
			wantErr:  []string{"Azure Key Vault", "get the job's OIDC token", "not available"},
			wantHint: []string{"id-token: write", "{azure-client-id}"},
		},
		{
			name: "runner gives no OIDC token",
			opts: func(o *azurekms.Options, _ *azurekmstest.Server) {
				o.OIDC = oidc.Fetcher{}.Fetch
			},
			wantErr:  []string{"Azure Key Vault", "ACTIONS_ID_TOKEN_REQUEST_URL"},
			wantHint: []string{"id-token: write"},
		},
		{
			name:     "federated credential for another branch",
			job:      &oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/dev"},
			wantErr:  []string{"Microsoft Entra ID exchange the job's OIDC token: 401 invalid_client", "AADSTS700213", "sub repo:octo-org/app:ref:refs/heads/dev, aud api://AzureADTokenExchange"},
			wantHint: []string{"federated credential", "{azure-client-id}", "api://AzureADTokenExchange", "case-sensitive"},
		},
		{
			name:     "federated credential for a branch, job in an environment",
			job:      &oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main", Environment: "prod"},
			wantErr:  []string{"AADSTS700213", "sub repo:octo-org/app:environment:prod"},
			wantHint: []string{"federated credential", "environment"},
		},
		{
			name: "federated credential with another audience",
			cfg: func(c *azurekmstest.Config) {
				c.Apps[0].Credentials[0].Audience = "api://other"
			},
			wantErr:  []string{"AADSTS700212", "aud api://AzureADTokenExchange"},
			wantHint: []string{"federated credential"},
		},
		{
			name:     "client ID not in the tenant",
			opts:     func(o *azurekms.Options, _ *azurekmstest.Server) { o.ClientID = "00000000-1111-2222-3333-444444444444" },
			wantErr:  []string{"400 unauthorized_client", "AADSTS700016"},
			wantHint: []string{"{azure-client-id}", "{azure-tenant-id}", "00000000-1111-2222-3333-444444444444"},
		},
		{
			name:     "no such tenant",
			opts:     func(o *azurekms.Options, _ *azurekmstest.Server) { o.TenantID = "00000000-0000-0000-0000-000000000001" },
			wantErr:  []string{"AADSTS90002"},
			wantHint: []string{"{azure-tenant-id}"},
		},
		{
			name:     "no role assignment (Azure RBAC)",
			cfg:      func(c *azurekmstest.Config) { c.RBAC, c.Apps[0].Sign = true, nil },
			wantErr:  []string{"Azure Key Vault sign with key app-key: 403 Forbidden", "ForbiddenByRbac", "Microsoft.KeyVault/vaults/keys/sign/action"},
			wantHint: []string{"Key Vault Crypto User", "{azure-client-id}"},
		},
		{
			name:     "no access policy",
			cfg:      func(c *azurekmstest.Config) { c.Apps[0].Sign = nil },
			wantErr:  []string{"403 Forbidden", "does not have keys sign permission", "AccessDenied"},
			wantHint: []string{"access policies", "Sign", "{azure-client-id}"},
		},
		{
			name:     "no access policy for a token's identity",
			cfg:      func(c *azurekmstest.Config) { c.Apps[0].Sign = nil },
			opts:     ambient,
			wantErr:  []string{"403 Forbidden"},
			wantHint: []string{"{azure-access-token}"},
		},
		{
			name: "no such key",
			cfg:  func(c *azurekmstest.Config) { c.Apps[0].Sign = []string{"*"} },
			opts: func(o *azurekms.Options, _ *azurekmstest.Server) {
				o.Key = "other-key"
			},
			wantErr:  []string{"404 KeyNotFound", "other-key"},
			wantHint: []string{"{signing-key}", "other-key"},
		},
		{
			name: "no such version",
			opts: func(o *azurekms.Options, _ *azurekmstest.Server) {
				o.Version = "0123456789abcdef0123456789abcdef"
			},
			wantErr:  []string{"404 KeyNotFound"},
			wantHint: []string{"{signing-key}"},
		},
		{
			name: "EC key",
			cfg:  func(c *azurekmstest.Config) { c.Apps[0].Sign = []string{"*"} },
			opts: func(o *azurekms.Options, az *azurekmstest.Server) {
				az.AddKey("ec-key", ecKey)
				o.Key = "ec-key"
			},
			wantErr:  []string{"400 BadParameter", "incompatible"},
			wantHint: []string{"RSA", "az keyvault key import"},
		},
		{
			name: "key without the sign operation",
			cfg:  func(c *azurekmstest.Config) { c.Apps[0].Sign = []string{"*"} },
			opts: func(o *azurekms.Options, az *azurekmstest.Server) {
				az.AddKey("wrap-key", otherKey(), "wrapKey", "unwrapKey")
				o.Key = "wrap-key"
			},
			wantErr:  []string{"403 Forbidden", "KeyOperationForbidden"},
			wantHint: []string{"--ops sign"},
		},
		{
			name: "RSA key under 2048 bits",
			cfg:  func(c *azurekmstest.Config) { c.Apps[0].Sign = []string{"*"} },
			opts: func(o *azurekms.Options, az *azurekmstest.Server) {
				az.AddKey("small-key", smallKey())
				o.Key = "small-key"
			},
			wantErr:  []string{"128-byte signature"},
			wantHint: []string{"RSA", "2048"},
		},
		{
			name: "access token for another resource",
			opts: func(o *azurekms.Options, az *azurekmstest.Server) {
				o.ClientID, o.TenantID = "", ""
				o.AccessToken = az.IssueToken(clientID, "https://management.azure.com")
			},
			wantErr:  []string{"401 Unauthorized", "AKV10022"},
			wantHint: []string{"{azure-access-token}", "az account get-access-token --resource https://vault.azure.net"},
		},
		{
			name: "expired access token",
			opts: func(o *azurekms.Options, az *azurekmstest.Server) {
				ambient(o, az)
				az.ExpireTokens()
			},
			wantErr:  []string{"401 Unauthorized", "TokenExpired"},
			wantHint: []string{"{azure-access-token}", "unexpired"},
		},
		{
			name:     "no credentials",
			opts:     func(o *azurekms.Options, _ *azurekmstest.Server) { o.ClientID, o.TenantID = "", "" },
			wantErr:  []string{"Azure Key Vault: no credentials"},
			wantHint: []string{"{azure-client-id}", "{azure-tenant-id}", "{azure-access-token}", "id-token: write"},
		},
		{
			name: "Key Vault keeps failing",
			opts: func(o *azurekms.Options, az *azurekmstest.Server) {
				ambient(o, az)
				az.Fail(10, 503)
			},
			wantErr:   []string{"Azure Key Vault sign with key app-key: 503 ServiceUnavailable"},
			transient: true,
		},
		{
			name:      "Entra ID keeps throttling",
			opts:      func(_ *azurekms.Options, az *azurekmstest.Server) { az.Fail(10, 429) },
			wantErr:   []string{"Microsoft Entra ID exchange the job's OIDC token: 429"},
			transient: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := defaultConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			job := mainJob
			if tt.job != nil {
				job = *tt.job
			}
			o, az, opts := setup(t, cfg, job)
			if tt.opts != nil {
				tt.opts(&opts, az)
			}
			_, err := signOnce(t, opts)
			if err == nil {
				t.Fatal("SignDigest() succeeded, want an error")
			}
			msg, next := err.Error(), hint.Next(err)
			if tt.transient {
				checkTransient(t, err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(msg, w) {
					t.Errorf("SignDigest() error = %q, want it to contain %q", msg, w)
				}
			}
			for _, w := range tt.wantHint {
				if !strings.Contains(next, w) {
					t.Errorf("hint = %q, want it to contain %q", next, w)
				}
			}
			secrets := append(append(az.Secrets(), o.Secrets()...), opts.AccessToken)
			for _, s := range secrets {
				if s != "" && (strings.Contains(msg, s) || strings.Contains(next, s)) {
					t.Error("a token appears in the error or its hint")
				}
			}
			if next != "" && (strings.ToLower(next[:1]) != next[:1] || strings.HasSuffix(next, ".")) {
				t.Errorf("hint %q does not start in lower case or ends with a period", next)
			}
		})
	}
}

func TestDigestSize(t *testing.T) {
	t.Parallel()
	_, az, opts := setup(t, defaultConfig(), mainJob)
	s, err := azurekms.New(opts)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	if _, err := azurekms.Provider.Checked(s).SignDigest(t.Context(), []byte("short")); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("SignDigest(5 bytes) error = %v, want one about SHA-256", err)
	}
	if n := len(az.Requests()); n != 0 {
		t.Errorf("requests = %d, want 0", n)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	base := azurekms.Options{Vault: "myvault.vault.azure.net", Key: "app-key"}
	tests := []struct {
		name     string
		opts     func(*azurekms.Options)
		wantHint string // "" for no error
	}{
		{"public vault", func(*azurekms.Options) {}, ""},
		{"vault URI pasted", func(o *azurekms.Options) { o.Vault = "https://myvault.vault.azure.net/" }, ""},
		{"China vault", func(o *azurekms.Options) { o.Vault = "myvault.vault.azure.cn" }, ""},
		{"US Government vault", func(o *azurekms.Options) { o.Vault = "myvault.vault.usgovcloudapi.net" }, ""},
		{"managed HSM", func(o *azurekms.Options) { o.Vault = "myhsm.managedhsm.azure.net" }, ""},
		{"host and port", func(o *azurekms.Options) { o.Vault = "127.0.0.1:8443" }, ""},
		{"version", func(o *azurekms.Options) { o.Version = "9885aa558e8d448789683188f8c194b0" }, ""},
		{"identity", func(o *azurekms.Options) { o.ClientID, o.TenantID = clientID, "contoso.onmicrosoft.com" }, ""},
		{"no vault", func(o *azurekms.Options) { o.Vault = "" }, "{signing-key}"},
		{"vault with a path", func(o *azurekms.Options) { o.Vault = "myvault.vault.azure.net/keys" }, "{signing-key}"},
		{"no key", func(o *azurekms.Options) { o.Key = "" }, "{signing-key}"},
		{"key name with a slash", func(o *azurekms.Options) { o.Key = "app/key" }, "{signing-key}"},
		{"bad version", func(o *azurekms.Options) { o.Version = "v1.0" }, "{signing-key}"},
		{"client ID without tenant", func(o *azurekms.Options) { o.ClientID = clientID }, "{azure-tenant-id}"},
		{"tenant without client ID", func(o *azurekms.Options) { o.TenantID = azurekmstest.DefaultTenant }, "{azure-client-id}"},
		{"tenant with a slash", func(o *azurekms.Options) { o.ClientID, o.TenantID = clientID, "a/b" }, "{azure-tenant-id}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := base
			tt.opts(&o)
			_, err := azurekms.New(o)
			if tt.wantHint == "" {
				if err != nil {
					t.Errorf("New() error = %v, want none", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New() succeeded, want an error with a hint naming %s", tt.wantHint)
			}
			if next := hint.Next(err); !strings.Contains(next, tt.wantHint) {
				t.Errorf("New() hint = %q, want it to name %s", next, tt.wantHint)
			}
		})
	}
}

func TestParseURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		uri                 string
		vault, key, version string
		wantErr             bool
	}{
		{uri: "azurekms://myvault.vault.azure.net/app-key", vault: "myvault.vault.azure.net", key: "app-key"},
		{uri: "azurekms://myvault.vault.azure.net/app-key/", vault: "myvault.vault.azure.net", key: "app-key"},
		{uri: "azurekms://myvault.vault.azure.net/app-key/9885aa558e8d448789683188f8c194b0", vault: "myvault.vault.azure.net", key: "app-key", version: "9885aa558e8d448789683188f8c194b0"},
		{uri: "azurekms://myvault.vault.azure.net/keys/app-key/9885aa558e8d448789683188f8c194b0", vault: "myvault.vault.azure.net", key: "app-key", version: "9885aa558e8d448789683188f8c194b0"},
		{uri: "azurekms://127.0.0.1:8443/app-key", vault: "127.0.0.1:8443", key: "app-key"},
		{uri: "azurekms://myvault.vault.azure.net", wantErr: true},
		{uri: "azurekms:///app-key", wantErr: true},
		{uri: "awskms:///alias/app", wantErr: true},
		{uri: "azurekms://v/a/b/c", wantErr: true},
	}
	for _, tt := range tests {
		vault, key, version, err := azurekms.ParseURI(tt.uri)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseURI(%q) error = %v, want error %t", tt.uri, err, tt.wantErr)
			continue
		}
		if err == nil && (vault != tt.vault || key != tt.key || version != tt.version) {
			t.Errorf("ParseURI(%q) = %q, %q, %q, want %q, %q, %q", tt.uri, vault, key, version, tt.vault, tt.key, tt.version)
		}
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

package awskms_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/awskms"
	"github.com/ghapptoken/app-token-action/internal/kms/awskms/awskmstest"
	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/oidc"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
)

const roleARN = "arn:aws:iam::111122223333:role/app-token"

var (
	appKey   = sync.OnceValue(func() *rsa.PrivateKey { return genKey(2048) })
	smallKey = sync.OnceValue(func() *rsa.PrivateKey { return genKey(1024) })
)

func genKey(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

// world is one job and one AWS account.
type world struct {
	oidc   *oidctest.Server
	aws    *awskmstest.Server
	env    map[string]string
	masked []string
	mu     sync.Mutex
	sleeps int
}

// setup starts the job's token service and the AWS emulator, with the
// endpoint overrides and the OIDC variables in the step's environment.
func setup(tb testing.TB, cfg awskmstest.Config) *world {
	tb.Helper()
	if cfg.Key == nil {
		cfg.Key = appKey()
	}
	w := &world{
		oidc: oidctest.Start(tb, oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"}),
		aws:  awskmstest.Start(tb, cfg),
		env:  map[string]string{"GITHUB_RUN_ID": "4242"},
	}
	for k, v := range w.oidc.Env() {
		w.env[k] = v
	}
	for k, v := range w.aws.Env() {
		w.env[k] = v
	}
	return w
}

// options returns the Options of the action's step in w.
func (w *world) options(key, role string) awskms.Options {
	getenv := func(k string) string { return w.env[k] }
	f := oidc.Fetcher{Getenv: getenv}
	return awskms.Options{Key: key, RoleARN: role, Env: kmshttp.Env{
		Getenv: getenv, OIDC: f.Fetch,
		Sleep: func(context.Context, time.Duration) error { w.mu.Lock(); w.sleeps++; w.mu.Unlock(); return nil },
		Mask:  func(s string) { w.mu.Lock(); w.masked = append(w.masked, s); w.mu.Unlock() },
	}}
}

// secrets returns every secret either service issued.
func (w *world) secrets() []string { return append(w.oidc.Secrets(), w.aws.Secrets()...) }

// checkNoLeak fails if text holds a secret.
func (w *world) checkNoLeak(tb testing.TB, what, text string) {
	tb.Helper()
	for _, s := range w.secrets() {
		if s != "" && strings.Contains(text, s) {
			tb.Errorf("%s holds a secret issued by an emulator", what)
		}
	}
}

func ops(reqs []awskmstest.Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Op)
	}
	return out
}

func digestOf(msg string) []byte {
	d := sha256.Sum256([]byte(msg))
	return d[:]
}

func TestSignDigest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     awskmstest.Config
		key     string
		role    string
		ambient bool // the step's env has an IAM user's access key
		unset   []string
		wantOps []string // for two signatures
	}{
		{
			name: "OIDC, key ARN", role: roleARN,
			cfg:     awskmstest.Config{Roles: map[string]string{roleARN: "repo:octo-org/app:*"}, Signers: []string{roleARN}},
			wantOps: []string{"sts:AssumeRoleWithWebIdentity", "kms:Sign", "kms:Sign"},
		},
		{
			name: "OIDC, alias name and AWS_DEFAULT_REGION", role: roleARN, key: "alias/github-app", unset: []string{"AWS_REGION"},
			cfg: awskmstest.Config{Aliases: []string{"alias/github-app"}, Roles: map[string]string{roleARN: "repo:octo-org/app:ref:refs/heads/main"},
				Signers: []string{roleARN}},
			wantOps: []string{"sts:AssumeRoleWithWebIdentity", "kms:Sign", "kms:Sign"},
		},
		{
			name: "ambient credentials, key ID", key: awskmstest.DefaultKeyID, ambient: true,
			cfg:     awskmstest.Config{Signers: []string{"arn:aws:iam::111122223333:user/ci"}},
			wantOps: []string{"kms:Sign", "kms:Sign"},
		},
		{
			name: "ambient credentials, alias ARN, AWS_ENDPOINT_URL for both services", ambient: true,
			key:   "arn:aws:kms:us-east-1:111122223333:alias/github-app",
			unset: []string{"AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL_STS", "AWS_REGION"},
			cfg: awskmstest.Config{Aliases: []string{"alias/github-app"},
				Signers: []string{"arn:aws:iam::111122223333:user/ci"}},
			wantOps: []string{"kms:Sign", "kms:Sign"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := setup(t, tt.cfg)
			if tt.key == "" {
				tt.key = w.aws.KeyARN()
			}
			if slices.Contains(tt.unset, "AWS_ENDPOINT_URL_KMS") {
				w.env["AWS_ENDPOINT_URL"] = w.aws.URL()
			}
			if slices.Contains(tt.unset, "AWS_REGION") {
				w.env["AWS_DEFAULT_REGION"] = "us-east-1"
			}
			for _, k := range tt.unset {
				delete(w.env, k)
			}
			if tt.ambient {
				for k, v := range w.aws.User("ci").Env() {
					w.env[k] = v
				}
			}
			s, err := awskms.New(w.options(tt.key, tt.role))
			if err != nil {
				t.Fatalf("New() error = %v", err)
			}
			for _, msg := range []string{"header.claims", "another header.claims"} {
				sig, err := s.SignDigest(t.Context(), digestOf(msg))
				if err != nil {
					t.Fatalf("SignDigest() error = %v (hint: %s)", err, hint.Next(err))
				}
				if err := rsa.VerifyPKCS1v15(&appKey().PublicKey, crypto.SHA256, digestOf(msg), sig); err != nil {
					t.Errorf("SignDigest() signature does not verify with the app's public key: %v", err)
				}
			}
			if got := ops(w.aws.Requests()); !slices.Equal(got, tt.wantOps) {
				t.Errorf("AWS requests = %v, want %v", got, tt.wantOps)
			}
			wantOIDC := 0
			if tt.role != "" {
				wantOIDC = 1
			}
			if got := w.oidc.Issued(); got != wantOIDC {
				t.Errorf("OIDC tokens issued = %d, want %d", got, wantOIDC)
			}
			// Every credential is masked: the OIDC token, and what STS issued
			// or the step's env held.
			for _, sec := range w.secrets()[1:] { // [0] is the runner's request token, not awskms's to mask
				if !slices.Contains(w.masked, sec) {
					t.Errorf("a secret was not passed to Mask")
				}
			}
		})
	}
}

// TestSignWith signs a whole app JWT through appjwt, as the action does.
func TestSignWith(t *testing.T) {
	t.Parallel()
	w := setup(t, awskmstest.Config{Roles: map[string]string{roleARN: "repo:octo-org/*"}, Signers: []string{roleARN}})
	s, err := awskms.New(w.options(w.aws.KeyARN(), roleARN))
	if err != nil {
		t.Fatal(err)
	}
	jwt, err := appjwt.SignWith(t.Context(), "Iv1.abc", s, time.Now())
	if err != nil {
		t.Fatalf("SignWith() error = %v", err)
	}
	input, sig64, _ := strings.Cut(jwt[strings.Index(jwt, ".")+1:], ".")
	input = jwt[:strings.Index(jwt, ".")+1] + input
	sig, err := base64URL(sig64)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(&appKey().PublicKey, crypto.SHA256, digestOf(input), sig); err != nil {
		t.Errorf("SignWith() JWT does not verify: %v", err)
	}
}

func TestSignDigestErrors(t *testing.T) {
	t.Parallel()
	trusted := map[string]string{roleARN: "repo:octo-org/app:*"}
	signers := []string{roleARN}
	tests := []struct {
		name     string
		cfg      awskmstest.Config
		role     string
		key      string // "": the key's ARN
		prepare  func(w *world, o *awskms.Options)
		wantErr  []string
		wantHint []string
		// transient: a failing service, left to the core to explain
		transient bool
		wantOps   []string // nil: not checked
	}{
		{
			name: "no OIDC token: the job lacks id-token: write", role: roleARN,
			prepare:  func(w *world, o *awskms.Options) { o.OIDC = nil },
			wantErr:  []string{"AWS KMS", "OIDC token"},
			wantHint: []string{"id-token: write", "{aws-role-arn}"},
			wantOps:  []string{},
		},
		{
			name: "no OIDC variables: oidc's own hint is kept", role: roleARN,
			prepare:  func(w *world, o *awskms.Options) { delete(w.env, "ACTIONS_ID_TOKEN_REQUEST_URL") },
			wantErr:  []string{"AWS KMS: get the job's OIDC token"},
			wantHint: []string{"id-token: write"},
			wantOps:  []string{},
		},
		{
			name: "the trust policy refuses this repository", role: roleARN,
			cfg:      awskmstest.Config{Roles: map[string]string{roleARN: "repo:octo-org/other:*"}, Signers: signers},
			wantErr:  []string{"AWS STS assume role with web identity: 403 AccessDenied", "sub repo:octo-org/app:ref:refs/heads/main, aud sts.amazonaws.com"},
			wantHint: []string{"trust policy", "{aws-role-arn}", "token.actions.githubusercontent.com:sub", "repo:octo-org/app:*", "sts.amazonaws.com"},
			wantOps:  []string{"sts:AssumeRoleWithWebIdentity"},
		},
		{
			name: "the role does not exist", role: "arn:aws:iam::111122223333:role/missing",
			cfg:      awskmstest.Config{Roles: trusted, Signers: signers},
			wantErr:  []string{"403 AccessDenied", "sub repo:octo-org/app:"},
			wantHint: []string{"trust policy"},
		},
		{
			name: "the account has no GitHub identity provider", role: roleARN,
			cfg:      awskmstest.Config{Roles: trusted, Signers: signers, NoProvider: true},
			wantErr:  []string{"400 InvalidIdentityToken", "aud sts.amazonaws.com"},
			wantHint: []string{"identity provider", "token.actions.githubusercontent.com"},
		},
		{
			name:     "no credentials at all",
			wantErr:  []string{"no credentials", "{aws-role-arn} is empty", "AWS_ACCESS_KEY_ID"},
			wantHint: []string{"{aws-role-arn}", "configure-aws-credentials", "id-token: write"},
			wantOps:  []string{},
		},
		{
			name: "a wrong secret access key",
			cfg:  awskmstest.Config{Signers: []string{"arn:aws:iam::111122223333:user/ci"}},
			prepare: func(w *world, o *awskms.Options) {
				c := w.aws.User("ci")
				w.env["AWS_ACCESS_KEY_ID"], w.env["AWS_SECRET_ACCESS_KEY"] = c.AccessKeyID, "wrong"+c.SecretAccessKey[5:]
			},
			wantErr:  []string{"AWS KMS sign: 400 InvalidSignatureException"},
			wantHint: []string{"AWS_SECRET_ACCESS_KEY", "configure-aws-credentials"},
			wantOps:  []string{"kms:Sign"},
		},
		{
			name: "an unknown access key",
			prepare: func(w *world, o *awskms.Options) {
				w.env["AWS_ACCESS_KEY_ID"], w.env["AWS_SECRET_ACCESS_KEY"] = "AKIAUNKNOWN000000000", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
			},
			wantErr:  []string{"400 UnrecognizedClientException"},
			wantHint: []string{"configure-aws-credentials"},
		},
		{
			name: "the role may not sign with the key", role: roleARN,
			cfg:      awskmstest.Config{Roles: trusted},
			wantErr:  []string{"AWS KMS sign: 400 AccessDeniedException", "assumed-role/app-token/app-token-4242", "kms:Sign"},
			wantHint: []string{"kms:Sign", "key policy", "{signing-key}"},
			wantOps:  []string{"sts:AssumeRoleWithWebIdentity", "kms:Sign"},
		},
		{
			name: "the key is for encryption", role: roleARN,
			cfg:      awskmstest.Config{Roles: trusted, Signers: signers, KeyUsage: "ENCRYPT_DECRYPT"},
			wantErr:  []string{"InvalidKeyUsageException", "ENCRYPT_DECRYPT"},
			wantHint: []string{"RSA_2048", "SIGN_VERIFY"},
		},
		{
			name: "the key is not RSA", role: roleARN,
			cfg:      awskmstest.Config{Roles: trusted, Signers: signers, KeySpec: "ECC_NIST_P256"},
			wantErr:  []string{"InvalidKeyUsageException", "ECC_NIST_P256"},
			wantHint: []string{"RSA_2048", "SIGN_VERIFY"},
		},
		{
			name: "the key is RSA of 1024 bits", role: roleARN,
			cfg:      awskmstest.Config{Key: smallKey(), Roles: trusted, Signers: signers},
			wantErr:  []string{"AWS KMS sign", "128-byte signature"},
			wantHint: []string{"RSA_2048"},
		},
		{
			name: "no such alias", role: roleARN, key: "alias/nope",
			cfg:      awskmstest.Config{Roles: trusted, Signers: signers},
			wantErr:  []string{"400 NotFoundException", "alias/nope"},
			wantHint: []string{"{signing-key}", "us-east-1"},
		},
		{
			name: "the key is disabled", role: roleARN,
			cfg:      awskmstest.Config{Roles: trusted, Signers: signers, KeyState: "Disabled"},
			wantErr:  []string{"DisabledException"},
			wantHint: []string{"enable the key"},
		},
		{
			name: "the key is pending deletion", role: roleARN,
			cfg:      awskmstest.Config{Roles: trusted, Signers: signers, KeyState: "PendingDeletion"},
			wantErr:  []string{"KMSInvalidStateException", "pending deletion"},
			wantHint: []string{"enable the key"},
		},
		{
			name: "STS fails on every attempt", role: roleARN,
			cfg:       awskmstest.Config{Roles: trusted, Signers: signers},
			prepare:   func(w *world, o *awskms.Options) { w.aws.Fail(1+4, 500) }, // the first goes to STS
			wantErr:   []string{"AWS STS assume role with web identity: 500 InternalFailure"},
			transient: true,
			wantOps:   []string{"sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithWebIdentity"},
		},
		{
			name: "KMS fails on every attempt",
			cfg:  awskmstest.Config{Signers: []string{"arn:aws:iam::111122223333:user/ci"}},
			prepare: func(w *world, o *awskms.Options) {
				for k, v := range w.aws.User("ci").Env() {
					w.env[k] = v
				}
				w.aws.Fail(4, 503)
			},
			wantErr:   []string{"AWS KMS sign: 503 KMSInternalException"},
			transient: true,
			wantOps:   []string{"kms:Sign", "kms:Sign", "kms:Sign", "kms:Sign"},
		},
		{
			name: "the runner's clock is off by an hour", role: roleARN,
			cfg:      awskmstest.Config{Roles: trusted, Signers: signers},
			prepare:  func(w *world, o *awskms.Options) { o.Now = func() time.Time { return time.Now().Add(-time.Hour) } },
			wantErr:  []string{"InvalidSignatureException", "Signature expired"},
			wantHint: []string{"clock"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := setup(t, tt.cfg)
			key := tt.key
			if key == "" {
				key = w.aws.KeyARN()
			}
			o := w.options(key, tt.role)
			if tt.prepare != nil {
				tt.prepare(w, &o)
			}
			s, err := awskms.New(o)
			if err != nil {
				t.Fatalf("New() error = %v", err)
			}
			// As the registry builds it, with the checks of every signature.
			_, err = awskms.Provider.Checked(s).SignDigest(t.Context(), digestOf("header.claims"))
			if err == nil {
				t.Fatal("SignDigest() error = nil")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("SignDigest() error = %q, want it to contain %q", err, want)
				}
			}
			next := hint.Next(err)
			if tt.transient {
				checkTransient(t, err)
				return
			}
			for _, want := range tt.wantHint {
				if !strings.Contains(next, want) {
					t.Errorf("SignDigest() hint = %q, want it to contain %q", next, want)
				}
			}
			if next == "" || next != strings.TrimSuffix(next, ".") || next[:1] != strings.ToLower(next[:1]) {
				t.Errorf("SignDigest() hint = %q, want one in lower case without a final period", next)
			}
			w.checkNoLeak(t, "SignDigest() error", err.Error())
			w.checkNoLeak(t, "SignDigest() hint", next)
			if tt.wantOps != nil {
				if got := ops(w.aws.Requests()); !slices.Equal(got, tt.wantOps) && !(len(got) == 0 && len(tt.wantOps) == 0) {
					t.Errorf("AWS requests = %v, want %v", got, tt.wantOps)
				}
			}
		})
	}
}

// TestSignDigestRetries checks that transient answers of either service
// are retried: the job still gets its signature.
func TestSignDigestRetries(t *testing.T) {
	t.Parallel()
	for _, status := range []int{500, 503, 429} {
		t.Run(strconvItoa(status), func(t *testing.T) {
			t.Parallel()
			w := setup(t, awskmstest.Config{Roles: map[string]string{roleARN: "repo:octo-org/app:*"}, Signers: []string{roleARN}})
			s, err := awskms.New(w.options(w.aws.KeyARN(), roleARN))
			if err != nil {
				t.Fatal(err)
			}
			w.aws.Fail(1, status) // STS
			if _, err := s.SignDigest(t.Context(), digestOf("a")); err != nil {
				t.Fatalf("SignDigest() error = %v", err)
			}
			w.aws.Fail(2, status) // KMS, twice
			if _, err := s.SignDigest(t.Context(), digestOf("b")); err != nil {
				t.Fatalf("SignDigest() error = %v", err)
			}
			var statuses []int
			for _, r := range w.aws.Requests() {
				statuses = append(statuses, r.Status)
			}
			want := []int{status, 200, 200, status, status, 200}
			if !slices.Equal(statuses, want) {
				t.Errorf("AWS answers = %v, want %v", statuses, want)
			}
			if w.sleeps != 3 {
				t.Errorf("sleeps = %d, want 3", w.sleeps)
			}
		})
	}
}

// TestSignDigestConcurrent checks that concurrent first signatures share
// one role session.
func TestSignDigestConcurrent(t *testing.T) {
	t.Parallel()
	w := setup(t, awskmstest.Config{Roles: map[string]string{roleARN: "repo:octo-org/app:*"}, Signers: []string{roleARN}})
	s, err := awskms.New(w.options(w.aws.KeyARN(), roleARN))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := s.SignDigest(t.Context(), digestOf("x")); err != nil {
				t.Errorf("SignDigest() error = %v", err)
			}
		})
	}
	wg.Wait()
	if got := w.oidc.Issued(); got != 1 {
		t.Errorf("OIDC tokens issued = %d, want 1", got)
	}
}

// TestSignDigestRenews checks that expired role credentials are renewed.
func TestSignDigestRenews(t *testing.T) {
	t.Parallel()
	now := time.Now()
	clock := func() time.Time { return now }
	w := setup(t, awskmstest.Config{Roles: map[string]string{roleARN: "repo:octo-org/app:*"}, Signers: []string{roleARN},
		Now: func() time.Time { return clock() }})
	o := w.options(w.aws.KeyARN(), roleARN)
	o.Now = func() time.Time { return clock() }
	s, err := awskms.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignDigest(t.Context(), digestOf("a")); err != nil {
		t.Fatal(err)
	}
	now = now.Add(20 * time.Minute) // the session lasts 15
	if _, err := s.SignDigest(t.Context(), digestOf("b")); err != nil {
		t.Fatalf("SignDigest() after expiry error = %v", err)
	}
	want := []string{"sts:AssumeRoleWithWebIdentity", "kms:Sign", "sts:AssumeRoleWithWebIdentity", "kms:Sign"}
	if got := ops(w.aws.Requests()); !slices.Equal(got, want) {
		t.Errorf("AWS requests = %v, want %v", got, want)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		key      string
		role     string
		env      map[string]string
		wantErr  string // "": no error
		wantHint string
	}{
		{name: "key ARN gives the region", key: "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		{name: "China region", key: "arn:aws-cn:kms:cn-north-1:111122223333:key/k"},
		{name: "key ID with AWS_REGION", key: "1234abcd", env: map[string]string{"AWS_REGION": "us-east-2"}},
		{name: "alias with AWS_DEFAULT_REGION", key: "alias/app", env: map[string]string{"AWS_DEFAULT_REGION": "us-east-2"}},
		{name: "no key", key: "", wantErr: "no key", wantHint: "{signing-key}"},
		{name: "not a KMS ARN", key: "arn:aws:s3:::bucket/key", wantErr: "not the ARN of a KMS key", wantHint: "{signing-key}"},
		{name: "no region", key: "alias/app", wantErr: "no region", wantHint: "AWS_REGION"},
		{name: "no region hint names the key input", key: "1234abcd", wantErr: "no region", wantHint: "{signing-key}"},
		{name: "bad region", key: "alias/app", env: map[string]string{"AWS_REGION": "Mars"}, wantErr: "not an AWS region", wantHint: "AWS_REGION"},
		{name: "not a role ARN", key: "alias/app", role: "app-token", env: map[string]string{"AWS_REGION": "us-east-1"},
			wantErr: "not the ARN of an IAM role", wantHint: "{aws-role-arn}"},
		{name: "bad endpoint override", key: "alias/app", env: map[string]string{"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_KMS": "kms.local"},
			wantErr: "AWS_ENDPOINT_URL_KMS is not an http(s) URL", wantHint: "AWS_ENDPOINT_URL_KMS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := awskms.New(awskms.Options{Key: tt.key, RoleARN: tt.role, Env: kmshttp.Env{Getenv: func(k string) string { return tt.env[k] }}})
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
				t.Errorf("New() hint = %q, want it to contain %q", next, tt.wantHint)
			}
		})
	}
}

// TestSignDigestCanceled checks that a canceled context stops the
// signature without a retry loop.
func TestSignDigestCanceled(t *testing.T) {
	t.Parallel()
	w := setup(t, awskmstest.Config{Signers: []string{"arn:aws:iam::111122223333:user/ci"}})
	for k, v := range w.aws.User("ci").Env() {
		w.env[k] = v
	}
	s, err := awskms.New(w.options(w.aws.KeyARN(), ""))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.SignDigest(ctx, digestOf("a")); !errors.Is(err, context.Canceled) {
		t.Errorf("SignDigest() error = %v, want context.Canceled", err)
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

func TestParseURI(t *testing.T) {
	t.Parallel()
	const arn = "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	tests := []struct {
		uri, endpoint, key, wantErr string
	}{
		// sigstore's forms (pkg/signature/kms/aws/client.go).
		{uri: "awskms:///1234abcd-12ab-34cd-56ef-1234567890ab", key: "1234abcd-12ab-34cd-56ef-1234567890ab"},
		{uri: "awskms://localhost:4566/1234abcd-12ab-34cd-56ef-1234567890ab", endpoint: "localhost:4566", key: "1234abcd-12ab-34cd-56ef-1234567890ab"},
		{uri: "awskms:///" + arn, key: arn},
		{uri: "awskms://localhost:4566/" + arn, endpoint: "localhost:4566", key: arn},
		{uri: "awskms:///alias/ExampleAlias", key: "alias/ExampleAlias"},
		{uri: "awskms://kms.internal.example/alias/ExampleAlias", endpoint: "kms.internal.example", key: "alias/ExampleAlias"},
		{uri: "awskms:///arn:aws:kms:us-east-2:111122223333:alias/ExampleAlias", key: "arn:aws:kms:us-east-2:111122223333:alias/ExampleAlias"},
		{uri: "awskms://[::1]:4566/alias/a", endpoint: "[::1]:4566", key: "alias/a"},
		{uri: "awskms://alias/ExampleAlias", wantErr: `reads as the endpoint "alias"`},
		{uri: "awskms://" + arn, wantErr: "reads as the endpoint"},
		{uri: "awskms://localhost:4566/", wantErr: "names no key"},
		{uri: "awskms://", wantErr: "names no key"},
		{uri: "awskms://user@host/alias/a", wantErr: "not a host"},
		{uri: "gcpkms://x", wantErr: "does not start with awskms://"},
	}
	for _, tt := range tests {
		endpoint, key, err := awskms.ParseURI(tt.uri)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(hint.Next(err), "three slashes") {
				t.Errorf("ParseURI(%q) error = %v (hint %q), want %q", tt.uri, err, hint.Next(err), tt.wantErr)
			}
			continue
		}
		if err != nil || endpoint != tt.endpoint || key != tt.key {
			t.Errorf("ParseURI(%q) = %q, %q, %v; want %q, %q", tt.uri, endpoint, key, err, tt.endpoint, tt.key)
		}
	}
}

// TestSignDigestEndpointInURI signs through the endpoint that
// awskms://HOST/KEY names, over HTTPS as sigstore reaches it; the URI wins
// over AWS_ENDPOINT_URL_KMS, and STS keeps its own endpoint.
func TestSignDigestEndpointInURI(t *testing.T) {
	t.Parallel()
	const role = "arn:aws:iam::111122223333:role/app-token"
	kms := awskmstest.Start(t, awskmstest.Config{Key: appKey(), TLS: true, Aliases: []string{"alias/github-app"},
		Roles: map[string]string{role: "repo:octo-org/*"}, Signers: []string{role}})
	w := setup(t, awskmstest.Config{Roles: map[string]string{role: "repo:octo-org/*"}})
	w.env["AWS_ENDPOINT_URL_KMS"] = "https://kms.invalid" // the URI wins
	w.env["AWS_ENDPOINT_URL_STS"] = kms.URL()
	endpoint, key, err := awskms.ParseURI("awskms://" + kms.Host() + "/alias/github-app")
	if err != nil {
		t.Fatal(err)
	}
	o := w.options(key, role)
	o.Endpoint, o.HTTP = endpoint, kms.Client()
	s, err := awskms.New(o)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	digest := digestOf("message")
	sig, err := s.SignDigest(t.Context(), digest)
	if err != nil {
		t.Fatalf("SignDigest() error = %v (hint: %s)", err, hint.Next(err))
	}
	if err := rsa.VerifyPKCS1v15(&appKey().PublicKey, crypto.SHA256, digest, sig); err != nil {
		t.Errorf("the signature does not verify: %v", err)
	}
	if got, want := ops(kms.Requests()), []string{"sts:AssumeRoleWithWebIdentity", "kms:Sign"}; !slices.Equal(got, want) {
		t.Errorf("requests = %v, want %v", got, want)
	}
}

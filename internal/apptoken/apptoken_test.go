package apptoken_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms/hashivault/hashivaulttest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// world is GitHub's emulator and a Vault whose Transit key holds the
// app's key, with options that never wait.
type world struct {
	gh    *githubapitest.Server
	vault *hashivaulttest.Server
	env   map[string]string
	opts  apptoken.Options

	mu     sync.Mutex
	masked []string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{gh: githubapitest.Start(t, runnertest.World()), env: map[string]string{}}
	key, err := appjwt.ParseKey(w.gh.PrivateKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	w.vault = hashivaulttest.Start(t, hashivaulttest.Config{Key: key, Policies: map[string][]string{"sign": {"transit/sign/github-app"}}})
	w.opts = apptoken.Options{
		// The production per-attempt timeout: no test here waits for
		// it, and a shorter one would fail on a loaded machine.
		Sleep:  func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
		Getenv: func(k string) string { return w.env[k] },
		Mask: func(s string) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.masked = append(w.masked, s)
		},
	}
	return w
}

// request returns a request for the current repository, octo-org/app,
// signed with key.
func (w *world) request(key apptoken.Key) apptoken.Request {
	return apptoken.Request{Issuer: runnertest.ClientID, Key: key, APIURL: w.gh.URL(), CurrentRepository: "octo-org/app"}
}

// TestMintKeyChoice checks that the core chooses the signer from the
// request's key: the private key, or the key a signing-key URI names (in
// Vault here), and that a key that cannot be used fails before any
// request to GitHub.
func TestMintKeyChoice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		key       func(w *world) apptoken.Key
		wantVault int    // requests to Vault
		wantErr   string // "" for a token
		wantField string // the *FieldError's field, if any
	}{
		{
			name: "private key",
			key:  func(w *world) apptoken.Key { return apptoken.Key{PEM: w.gh.PrivateKeyPEM()} },
		},
		{
			name: "private key with pasted-key damage",
			key: func(w *world) apptoken.Key {
				return apptoken.Key{PEM: strings.ReplaceAll(w.gh.PrivateKeyPEM(), "\n", `\n`)}
			},
		},
		{
			name: "key in Vault",
			key: func(w *world) apptoken.Key {
				w.env["VAULT_TOKEN"] = w.vault.Token("sign")
				return apptoken.Key{URI: "hashivault://github-app", Inputs: map[string]string{"vault-address": w.vault.URL()}}
			},
			wantVault: 1,
		},
		{
			name: "a signing-key URI wins over a private key",
			key: func(w *world) apptoken.Key {
				w.env["VAULT_TOKEN"] = w.vault.Token("sign")
				return apptoken.Key{PEM: "not a key", URI: "hashivault://github-app", Inputs: map[string]string{"vault-address": w.vault.URL()}}
			},
			wantVault: 1,
		},
		{
			name: "private key that does not parse",
			key: func(*world) apptoken.Key {
				return apptoken.Key{PEM: "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"}
			},
			wantErr:   "private-key: ",
			wantField: "private-key",
		},
		{
			name:    "unknown scheme",
			key:     func(*world) apptoken.Key { return apptoken.Key{URI: "pkcs11://slot/1"} },
			wantErr: `"pkcs11" is not a KMS key scheme`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			res, err := apptoken.Mint(t.Context(), w.opts, w.request(tt.key(w)))
			if n := len(w.vault.Requests()); n != tt.wantVault {
				t.Errorf("Mint() sent %d requests to Vault, want %d", n, tt.wantVault)
			}
			if tt.wantErr == "" {
				if err != nil || res.Token.Value == "" || res.Installation.ID != 11 {
					t.Fatalf("Mint() = installation %d, error %v; want a token of installation 11", res.Installation.ID, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || hint.Next(err) == "" {
				t.Fatalf("Mint() error = %v (hint %q), want %q with a hint", err, hint.Next(err), tt.wantErr)
			}
			fe, isField := errors.AsType[*apptoken.FieldError](err)
			if tt.wantField != "" && (!isField || fe.Field != tt.wantField) {
				t.Errorf("Mint() error = %v, want a *FieldError of %s", err, tt.wantField)
			}
			if n := len(w.gh.Requests()); n != 0 {
				t.Errorf("GitHub got %d requests, want none", n)
			}
		})
	}
}

// TestMintMasksSecretInputs checks that a secret identity input (as the
// registry marks it) is given to Options.Mask before anything is sent.
func TestMintMasksSecretInputs(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const secret = "ya29.secret-input-test"
	// Cloud KMS at an address that refuses: the mask must come first
	// anyway.
	w.env["CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS"] = "http://" + closedAddress(t) + "/"
	_, err := apptoken.Mint(t.Context(), w.opts, w.request(apptoken.Key{
		URI:    "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1",
		Inputs: map[string]string{"gcp-access-token": secret},
	}))
	if err == nil {
		t.Fatal("Mint() succeeded against a closed port")
	}
	if !slices.Contains(w.masked, secret) {
		t.Errorf("Mask got %d values, want the gcp-access-token among them", len(w.masked))
	}
	if strings.Contains(err.Error()+hint.Next(err), secret) {
		t.Error("the error or its hint shows the access token")
	}
}

// TestMintSignsFirst checks that the app's JWT is signed before the first
// request to GitHub: a key that cannot sign fails as a *SignError, worded
// as what failed, with no GitHub request's words around it.
func TestMintSignsFirst(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.env["VAULT_TOKEN"] = "hvs.a-token-vault-never-issued"
	r := w.request(apptoken.Key{URI: "hashivault://github-app", Inputs: map[string]string{"vault-address": w.vault.URL()}})
	for name, call := range map[string]func() error{
		"Mint":              func() error { _, err := apptoken.Mint(t.Context(), w.opts, r); return err },
		"ListInstallations": func() error { _, err := apptoken.ListInstallations(t.Context(), w.opts, r); return err },
	} {
		err := call()
		se, ok := errors.AsType[*apptoken.SignError](err)
		if !ok || se.Provider != "Vault" {
			t.Fatalf("%s() error = %v, want a *SignError of Vault", name, err)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "sign the app's JWT: ") || strings.Contains(msg, "GET ") || strings.Contains(msg, "installation") {
			t.Errorf("%s() error = %q, want it to say what failed, signing, and no GitHub request", name, msg)
		}
		if next := hint.Next(err); !strings.Contains(next, "policy") {
			t.Errorf("%s() hint = %q, want Vault's own next step (a policy)", name, next)
		}
	}
	if n := len(w.gh.Requests()); n != 0 {
		t.Errorf("GitHub got %d requests, want none", n)
	}
}

// TestFailureClasses checks that the same class of failure, a refused
// connection or a failing service, gets advice that names whoever failed:
// the KMS provider and its endpoint settings, or GitHub and
// github-api-url.
func TestFailureClasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(t *testing.T, w *world) apptoken.Request
		wantErr  []string
		wantHint []string
		badHint  []string
	}{
		{
			name: "Vault refuses connections",
			setup: func(t *testing.T, w *world) apptoken.Request {
				w.env["VAULT_TOKEN"] = "hvs.x"
				return w.request(apptoken.Key{URI: "hashivault://github-app", Inputs: map[string]string{"vault-address": "http://" + closedAddress(t)}})
			},
			wantErr:  []string{"sign the app's JWT: Vault sign", "refused after 4 attempts"},
			wantHint: []string{"{vault-address}", "nothing accepts connections", "Vault was asked"},
			badHint:  []string{"github-api-url", "GitHub"},
		},
		{
			name: "Vault keeps failing",
			setup: func(t *testing.T, w *world) apptoken.Request {
				w.env["VAULT_TOKEN"] = w.vault.Token("sign")
				w.vault.Fail(10, 503)
				return w.request(apptoken.Key{URI: "hashivault://github-app", Inputs: map[string]string{"vault-address": w.vault.URL()}})
			},
			wantErr:  []string{"sign the app's JWT: Vault sign", "503"},
			wantHint: []string{"re-run the job; Vault was failing or throttling requests (503)"},
			badHint:  []string{"github-api-url", "GitHub"},
		},
		{
			name: "GitHub refuses connections",
			setup: func(t *testing.T, w *world) apptoken.Request {
				r := w.request(apptoken.Key{PEM: w.gh.PrivateKeyPEM()})
				r.APIURL = "http://" + closedAddress(t)
				return r
			},
			wantErr:  []string{"find the app installation for octo-org/app: GET /repos/octo-org/app/installation", "refused"},
			wantHint: []string{"{github-api-url}", "nothing accepts connections"},
			badHint:  []string{"Vault", "sign"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			_, err := apptoken.Mint(t.Context(), w.opts, tt.setup(t, w))
			if err == nil {
				t.Fatal("Mint() succeeded, want an error")
			}
			next := hint.Next(err)
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Mint() error = %q, want %q", err, want)
				}
			}
			for _, want := range tt.wantHint {
				if !strings.Contains(next, want) {
					t.Errorf("Mint() hint = %q, want %q", next, want)
				}
			}
			for _, bad := range tt.badHint {
				if strings.Contains(next, bad) {
					t.Errorf("Mint() hint = %q, want no %q", next, bad)
				}
			}
		})
	}
}

// TestRevoke checks revocation: a live token is revoked with one request;
// a revoked one is ErrTokenInvalid with nothing to do; an unreachable API
// is a failure whose advice names github-api-url; RevokeUnused revokes
// even after the caller's context ended.
func TestRevoke(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	mint := func() string {
		t.Helper()
		res, err := apptoken.Mint(t.Context(), w.opts, w.request(apptoken.Key{PEM: w.gh.PrivateKeyPEM()}))
		if err != nil {
			t.Fatalf("Mint() error = %v", err)
		}
		return res.Token.Value
	}
	tok := mint()
	if err := apptoken.Revoke(t.Context(), w.opts, w.gh.URL(), tok); err != nil {
		t.Fatalf("Revoke() error = %v", err)
	}
	if n := w.gh.Count("DELETE", "/installation/token"); n != 1 {
		t.Errorf("Revoke() sent %d DELETE /installation/token, want 1", n)
	}
	if err := apptoken.Revoke(t.Context(), w.opts, w.gh.URL(), tok); !errors.Is(err, apptoken.ErrTokenInvalid) {
		t.Errorf("Revoke() of a revoked token error = %v, want ErrTokenInvalid", err)
	}
	err := apptoken.Revoke(t.Context(), w.opts, "http://"+closedAddress(t), mint())
	if err == nil || !strings.Contains(hint.Next(err), "{github-api-url}") || errors.Is(err, apptoken.ErrTokenInvalid) {
		t.Errorf("Revoke() at a closed port error = %v (hint %q), want a failure naming {github-api-url}", err, hint.Next(err))
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := apptoken.RevokeUnused(ctx, w.opts, w.gh.URL(), mint()); err != nil {
		t.Errorf("RevokeUnused() after cancellation error = %v, want the token revoked", err)
	}
}

// closedAddress returns a loopback host:port that refuses connections.
func closedAddress(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

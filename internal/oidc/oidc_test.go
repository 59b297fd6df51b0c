package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
	"github.com/ghapptoken/app-token-action/internal/transport"
)

func TestFetch(t *testing.T) {
	t.Parallel()
	srv := oidctest.Start(t, oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"})
	tests := []struct {
		name     string
		env      map[string]string
		fail     int
		wantErr  string
		wantHint string
	}{
		{name: "the job has id-token: write", env: srv.Env()},
		{name: "the job has no id-token permission", env: map[string]string{}, wantErr: "not available", wantHint: "id-token: write"},
		{name: "the request token is wrong", env: map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": srv.Env()["ACTIONS_ID_TOKEN_REQUEST_URL"], "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "wrong"}, wantErr: "answered 401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var masked []string
			f := Fetcher{Getenv: func(k string) string { return tt.env[k] }, Mask: func(s string) { masked = append(masked, s) }}
			tok, err := f.Fetch(t.Context(), "sts.amazonaws.com")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Fetch() error = %v, want %q", err, tt.wantErr)
				}
				if !strings.Contains(hint.Next(err), tt.wantHint) {
					t.Errorf("Fetch() hint = %q, want %q", hint.Next(err), tt.wantHint)
				}
				if tt.wantHint == "id-token: write" && !errors.Is(err, ErrUnavailable) {
					t.Error("Fetch() error is not ErrUnavailable")
				}
				for _, s := range srv.Secrets() {
					if strings.Contains(err.Error(), s) {
						t.Error("Fetch() error shows a secret")
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(masked) != 1 || masked[0] != tok {
				t.Error("Fetch() did not mask the token it returned")
			}
			if got, want := Describe(tok), "sub repo:octo-org/app:ref:refs/heads/main, aud sts.amazonaws.com"; got != want {
				t.Errorf("Describe() = %q, want %q", got, want)
			}
		})
	}
}

// TestFetchRetries checks that the token service is tried up to ten times
// while it fails (as the toolkit's getIDToken does), that a refusal is not
// retried, and that the waits end with the context.
func TestFetchRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		fail      int
		status    int
		wantErr   string
		wantHint  string
		wantTries int
	}{
		{name: "three 503s, then a token", fail: 3, status: http.StatusServiceUnavailable, wantTries: 4},
		{name: "nine 500s, then a token", fail: 9, status: http.StatusInternalServerError, wantTries: 10},
		{name: "a 429, then a token", fail: 1, status: http.StatusTooManyRequests, wantTries: 2},
		{name: "ten 502s", fail: 10, status: http.StatusBadGateway, wantErr: "answered 502 (10 attempts)", wantHint: "re-run the job", wantTries: 10},
		{name: "a 403 is not retried", fail: 5, status: http.StatusForbidden, wantErr: "answered 403", wantHint: "refused the job's request token", wantTries: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := oidctest.Start(t, oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"})
			srv.FailWith(tt.fail, tt.status)
			var waits []time.Duration
			f := Fetcher{Getenv: func(k string) string { return srv.Env()[k] },
				Sleep: func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return ctx.Err() }}
			tok, err := f.Fetch(t.Context(), "sts.amazonaws.com")
			if got := len(srv.Queries()); got != tt.wantTries {
				t.Errorf("Fetch() sent %d requests, want %d", got, tt.wantTries)
			}
			if len(waits) != tt.wantTries-1 {
				t.Errorf("Fetch() waited %d times, want %d", len(waits), tt.wantTries-1)
			}
			if tt.wantErr == "" {
				if err != nil || tok == "" {
					t.Fatalf("Fetch() = %v, want a token", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Fetch() error = %v, want %q", err, tt.wantErr)
			}
			if !strings.Contains(hint.Next(err), tt.wantHint) {
				t.Errorf("Fetch() hint = %q, want %q", hint.Next(err), tt.wantHint)
			}
		})
	}

	t.Run("unreachable, cancelled while waiting", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		tries := 0
		f := Fetcher{
			Getenv: func(k string) string {
				return map[string]string{requestURLEnv: "http://127.0.0.1:1/token?api-version=2.0", requestTokenEnv: "x"}[k]
			},
			Sleep: func(ctx context.Context, d time.Duration) error {
				if tries++; tries == 3 {
					cancel()
				}
				return ctx.Err()
			},
		}
		_, err := f.Fetch(ctx, "aud")
		if !errors.Is(err, context.Canceled) || tries != 3 {
			t.Errorf("Fetch() = %v after %d waits, want context.Canceled after 3", err, tries)
		}
	})
}

// TestFetchUnreachable checks that a token service nobody answers is
// retried by the one retry policy (package transport), ten attempts for a
// refused connection, and that Fetch then gives up with the words every
// client uses for a request that got no answer: a *transport.Error naming
// the service and the host, never the URL's query.
func TestFetchUnreachable(t *testing.T) {
	t.Parallel()
	var waits int
	f := Fetcher{
		Getenv: func(k string) string {
			return map[string]string{requestURLEnv: "http://127.0.0.1:1/token?api-version=2.0&sig=s3cr3t", requestTokenEnv: "x"}[k]
		},
		Sleep: func(ctx context.Context, d time.Duration) error { waits++; return ctx.Err() },
	}
	_, err := f.Fetch(t.Context(), "aud")
	te, ok := errors.AsType[*transport.Error](err)
	if !ok || te.Kind != transport.Refused || te.Service != Service || te.Host != "127.0.0.1:1" || te.Attempts != maxAttempts {
		t.Fatalf("Fetch() error = %v, want a refused *transport.Error from %s after %d attempts", err, Service, maxAttempts)
	}
	if want := "connection to 127.0.0.1:1 refused after 10 attempts"; !strings.Contains(err.Error(), want) {
		t.Errorf("Fetch() error = %q, want it to hold %q", err, want)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("Fetch() error = %q, holds the URL's query", err)
	}
	if waits != maxAttempts-1 {
		t.Errorf("Fetch() waited %d times, want %d", waits, maxAttempts-1)
	}
}

// TestFetchAudience checks the audience parameter: sent when given, and
// left out, never empty, when not (the toolkit's getIDToken does the same).
func TestFetchAudience(t *testing.T) {
	t.Parallel()
	srv := oidctest.Start(t, oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"})
	f := Fetcher{Getenv: func(k string) string { return srv.Env()[k] }}
	for _, aud := range []string{"sts.amazonaws.com", ""} {
		tok, err := f.Fetch(t.Context(), aud)
		if err != nil {
			t.Fatalf("Fetch(%q) error = %v", aud, err)
		}
		q := srv.Queries()
		last := q[len(q)-1]
		if _, sent := last["audience"]; sent != (aud != "") || last.Get("audience") != aud {
			t.Errorf("Fetch(%q) sent query %v", aud, last)
		}
		if got := last.Get("api-version"); got != "2.0" {
			t.Errorf("Fetch(%q) lost the URL's api-version: %q", aud, got)
		}
		want := aud
		if want == "" {
			want = "https://github.com/octo-org" // the service's default
		}
		if !strings.HasSuffix(Describe(tok), "aud "+want) {
			t.Errorf("Fetch(%q) token = %s, want aud %s", aud, Describe(tok), want)
		}
	}
}

// TestFetchURL reads a subject token as a Google external_account file's
// url credential_source asks: the header it names, the JSON field.
func TestFetchURL(t *testing.T) {
	t.Parallel()
	srv := oidctest.Start(t, oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"})
	env := srv.Env()
	var masked []string
	f := Fetcher{Mask: func(s string) { masked = append(masked, s) }}
	u := env[requestURLEnv] + "&audience=" + url.QueryEscape("https://iam.googleapis.com/p")
	tok, err := f.FetchURL(t.Context(), u, http.Header{"Authorization": {"Bearer " + env[requestTokenEnv]}}, "value")
	if err != nil {
		t.Fatalf("FetchURL() error = %v", err)
	}
	if !strings.HasSuffix(Describe(tok), "aud https://iam.googleapis.com/p") || len(masked) != 1 || masked[0] != tok {
		t.Errorf("FetchURL() = %s (masked %d), want a masked token for the file's audience", Describe(tok), len(masked))
	}
	_, err = f.FetchURL(t.Context(), u, http.Header{"Authorization": {"Bearer " + env[requestTokenEnv]}}, "token")
	if err == nil || !strings.Contains(err.Error(), `no token in "token"`) {
		t.Errorf("FetchURL(field token) error = %v, want no token", err)
	}
	for _, s := range srv.Secrets() {
		if err != nil && strings.Contains(err.Error(), s) {
			t.Error("FetchURL() error shows a secret")
		}
	}
}

package kmshttp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
	"github.com/ghapptoken/app-token-action/internal/transport"
)

const secret = "s3cr3t-token"

// TestDo checks what Do retries (network errors, 429, 5xx: three retries),
// what it returns at once, and that the provider's words reach the error
// with the secrets blanked.
func TestDo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		answers    []int  // status per attempt; the last repeats
		body       string // of the non-2xx answers
		parse      func([]byte) (string, string)
		wantTries  int
		wantSleeps int
		wantErr    string // "" for success
		wantStatus int    // of the *Error
	}{
		{name: "ok", answers: []int{200}, wantTries: 1},
		{name: "5xx then ok", answers: []int{503, 500, 200}, body: "busy", wantTries: 3, wantSleeps: 2},
		{name: "429 then ok", answers: []int{429, 200}, body: "slow down", wantTries: 2, wantSleeps: 1},
		{name: "5xx beyond the retries", answers: []int{503}, body: "sealed", wantTries: 4, wantSleeps: 3,
			wantErr: "Vault sign: 503: sealed", wantStatus: 503},
		{name: "4xx is not retried", answers: []int{403, 200}, body: "permission denied", wantTries: 1,
			wantErr: "Vault sign: 403: permission denied", wantStatus: 403},
		{name: "secret blanked in the message", answers: []int{400}, body: "bad token " + secret + "\nsecond line", wantTries: 1,
			wantErr: "Vault sign: 400: bad token ***", wantStatus: 400},
		{name: "secret blanked in the code", answers: []int{400}, body: "x",
			parse:     func([]byte) (string, string) { return "Bad-" + secret, "refused " + secret },
			wantTries: 1, wantErr: "Vault sign: 400 Bad-***: refused ***", wantStatus: 400},
		{name: "HTML is dropped", answers: []int{404}, body: "<html><body>Not Found</body></html>", wantTries: 1,
			wantErr: "Vault sign: 404", wantStatus: 404},
		{name: "long message clipped", answers: []int{400}, body: strings.Repeat("word ", 200), wantTries: 1,
			wantErr: ": 400: " + strings.Repeat("word ", 60) + "…", wantStatus: 400},
		{name: "secret blanked before clipping", answers: []int{400}, body: strings.Repeat("x", 295) + secret, wantTries: 1,
			wantErr: strings.Repeat("x", 295) + "***", wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var tries atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(tries.Add(1))
				status := tt.answers[min(n, len(tt.answers))-1]
				w.WriteHeader(status)
				if status >= 300 {
					w.Write([]byte(tt.body))
				} else {
					w.Write([]byte(`{"ok":true}`))
				}
			}))
			t.Cleanup(srv.Close)
			var sleeps int
			c := kmshttp.Env{HTTP: srv.Client(), Sleep: func(context.Context, time.Duration) error { sleeps++; return nil }}.Client("Vault")
			resp, err := c.Do(t.Context(), "sign", get(srv.URL), tt.parse, secret)
			if got := int(tries.Load()); got != tt.wantTries || sleeps != tt.wantSleeps {
				t.Errorf("Do() sent %d requests and slept %d times, want %d and %d", got, sleeps, tt.wantTries, tt.wantSleeps)
			}
			if tt.wantErr == "" {
				if err != nil || resp.Status != 200 || string(resp.Body) != `{"ok":true}` {
					t.Fatalf("Do() = %+v, %v; want 200 {\"ok\":true}", resp, err)
				}
				return
			}
			var e *kmshttp.Error
			if !errors.As(err, &e) || e.Status != tt.wantStatus {
				t.Fatalf("Do() error = %v, want an *Error with status %d", err, tt.wantStatus)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Do() error = %q, want it to hold %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("Do() error holds the secret")
			}
		})
	}
}

// TestDoNoAnswer checks that a request nobody answers is classified as
// the GitHub client classifies it (package transport), retried as it is,
// and that its error names the provider and the host but not the URL's
// query.
func TestDoNoAnswer(t *testing.T) {
	t.Parallel()
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := refused.URL + "/sign?sig=" + secret
	refused.Close()
	untrusted := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(untrusted.Close)
	tests := []struct {
		name       string
		url        string
		wantKind   transport.Kind
		wantSleeps int
		wantErr    string
	}{
		{name: "refused", url: refusedURL, wantKind: transport.Refused, wantSleeps: 3,
			wantErr: "AWS KMS sign: connection to " + strings.TrimPrefix(refused.URL, "http://") + " refused after 4 attempts"},
		{name: "untrusted certificate", url: untrusted.URL + "/sign", wantKind: transport.TLS, wantSleeps: 0,
			wantErr: "AWS KMS sign: TLS connection to " + strings.TrimPrefix(untrusted.URL, "https://") + " failed after 1 attempt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var sleeps int
			c := kmshttp.Env{Sleep: func(context.Context, time.Duration) error { sleeps++; return nil }}.Client("AWS KMS")
			_, err := c.Do(t.Context(), "sign", get(tt.url), nil)
			te, ok := errors.AsType[*transport.Error](err)
			if !ok || te.Kind != tt.wantKind || te.Service != "AWS KMS" {
				t.Fatalf("Do() error = %v, want a *transport.Error of kind %s from AWS KMS", err, tt.wantKind)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Do() error = %q, want it to hold %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("Do() error = %q, holds the URL's query", err)
			}
			if sleeps != tt.wantSleeps {
				t.Errorf("Do() slept %d times, want %d", sleeps, tt.wantSleeps)
			}
		})
	}
}

// TestDoThrottleCodes checks that a provider's throttling code is retried
// and transient whatever its status, and that Answered leaves it to the
// core.
func TestDoThrottleCodes(t *testing.T) {
	t.Parallel()
	var tries atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tries.Add(1)
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte("ThrottlingException"))
	}))
	t.Cleanup(srv.Close)
	c := kmshttp.Env{HTTP: srv.Client(), Sleep: func(context.Context, time.Duration) error { return nil }}.Client("AWS KMS")
	c.ThrottleCodes = []string{"ThrottlingException"}
	parse := func(b []byte) (string, string) { return string(b), "Rate exceeded" }
	_, err := c.Do(t.Context(), "sign", get(srv.URL), parse)
	e, ok := errors.AsType[*kmshttp.Error](err)
	if !ok || !e.Transient() || tries.Load() != 4 {
		t.Fatalf("Do() error = %v after %d requests, want a transient *Error after 4", err, tries.Load())
	}
	if kmshttp.Answered(err) != nil {
		t.Errorf("Answered(%v) = non-nil, want nil for a transient answer", err)
	}
}

// TestDoCanceled checks that a cancellation during the real wait between
// attempts ends Do at once, with the cancellation and the last failure.
func TestDoCanceled(t *testing.T) {
	t.Parallel()
	var (
		tries    atomic.Int32
		answered atomic.Int64 // when the last answer was sent, in Unix ns
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tries.Add(1)
		answered.Store(time.Now().UnixNano())
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c := kmshttp.Env{HTTP: srv.Client()}.Client("GCP KMS")
	// The request ignores ctx, so that the answer comes and the wait is
	// what sees the cancellation.
	_, err := c.Do(ctx, "sign", get(srv.URL, context.Background()), nil)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "GCP KMS sign: 503: busy") || tries.Load() != 1 {
		t.Errorf("Do() error = %v after %d requests, want the cancellation and the 503 after 1", err, tries.Load())
	}
	// Timed from the answer, not the call: however slow the request, the
	// wait after it (at least 750 ms) must not run.
	if d := time.Since(time.Unix(0, answered.Load())); d > 500*time.Millisecond {
		t.Errorf("Do() returned %v after the answer, want the wait cut short by the cancellation", d)
	}
}

// get returns a builder of GET url; with base, the request uses base, not
// Do's context.
func get(url string, base ...context.Context) func(context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		if len(base) > 0 {
			ctx = base[0]
		}
		return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	}
}

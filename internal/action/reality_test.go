package action

import (
	"context"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// TestGitHubAsItBehaves checks the main step against GitHub's behaviours
// that the happy path never meets (issue 10): each case says what the
// user sees in the log and the hint.
func TestGitHubAsItBehaves(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(t *testing.T, h *harness)
		ok       bool
		errText  string // in the error, when !ok
		hint     string // in the hint, when !ok
		notHint  string // never in the hint
		logText  string // in the log
		attempts int    // requests to the token endpoint; -1: not checked
	}{
		{
			name: "secondary rate limit without headers is waited out, and said",
			setup: func(t *testing.T, h *harness) {
				h.srv.InjectFault(githubapitest.SecondaryRateLimit("POST", mintPath, 1))
			},
			ok: true, logText: "GitHub's secondary rate limit: waiting 1m", attempts: 2,
		},
		{
			name: "a rate-limit wait past the deadline fails at once with the reason",
			setup: func(t *testing.T, h *harness) {
				h.deadline = 90 * time.Second
				h.srv.InjectFault(githubapitest.SecondaryRateLimit("POST", mintPath, 2))
			},
			errText: "rate limit", hint: "secondary rate limit", attempts: 2,
		},
		{
			name: "the primary rate limit, spent for an hour, says how long to wait",
			setup: func(t *testing.T, h *harness) {
				h.srv.InjectFault(githubapitest.Fault{Method: "POST", Path: mintPath, Status: 429,
					Header: http.Header{"Retry-After": {"3600"}, "X-RateLimit-Remaining": {"0"}},
					Body:   `{"message":"API rate limit exceeded for installation ID 11."}`})
			},
			errText: "429", hint: "GitHub's rate limit for the app asks to wait 1h0m0s", notHint: "githubstatus", attempts: 1,
		},
		{
			name: "IP allow list: GitHub's words, one attempt, advice about the list",
			setup: func(t *testing.T, h *harness) {
				h.srv.InjectFault(h.srv.IPAllowList("octo-org"))
			},
			errText: "IP allow list", hint: "IP allow list", notHint: "re-run", attempts: 1,
		},
		{
			name: "too many repositories is a repository problem, not a permission one",
			setup: func(t *testing.T, h *harness) {
				h.srv.InjectFault(githubapitest.TooManyRepositories(11))
			},
			errText: "Too many repositories", hint: "fewer repositories", notHint: "permission", attempts: 1,
		},
		{
			name: "a host that does not resolve names the host and github-api-url",
			setup: func(t *testing.T, h *harness) {
				h.env["INPUT_GITHUB-API-URL"] = "https://ghes.example.invalid/api/v3"
			},
			errText: "ghes.example.invalid", hint: "check github-api-url: the host ghes.example.invalid", notHint: "githubstatus", attempts: -1,
		},
		{
			name: "a refused connection names the host",
			setup: func(t *testing.T, h *harness) {
				h.env["INPUT_GITHUB-API-URL"] = "http://" + closedAddr(t) + "/api/v3"
			},
			errText: "refused", hint: "nothing accepts connections", notHint: "rate limit", attempts: -1,
		},
		{
			name: "an untrusted certificate points to ca-certificates",
			setup: func(t *testing.T, h *harness) {
				tls := httptest.NewTLSServer(h.srv.Handler())
				t.Cleanup(tls.Close)
				h.env["INPUT_GITHUB-API-URL"] = tls.URL
			},
			errText: "TLS", hint: "ca-certificates", notHint: "re-run", attempts: -1,
		},
		{
			name: "a private CA given in ca-certificates is trusted",
			setup: func(t *testing.T, h *harness) {
				tls := httptest.NewTLSServer(h.srv.Handler())
				t.Cleanup(tls.Close)
				h.env["INPUT_GITHUB-API-URL"] = tls.URL
				h.env["INPUT_CA-CERTIFICATES"] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tls.Certificate().Raw}))
			},
			ok: true, attempts: 1,
		},
		{
			name: "a repository's URL is understood, and the log says how",
			setup: func(t *testing.T, h *harness) {
				h.env["INPUT_REPOSITORIES"] = "https://github.com/octo-org/infra.git"
			},
			ok: true, logText: "::notice::repositories: understood", attempts: 1,
		},
		{
			name: "a fresh token refused for a moment is retried for the bot lookup",
			setup: func(t *testing.T, h *harness) {
				h.env["INPUT_GIT-USER"] = "true"
				h.advance = true
				h.srv.SetTokenLag(2 * time.Second)
			},
			ok: true, logText: "for a new token: waiting", attempts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, testWorld(t))
			tt.setup(t, h)
			r := h.run(false)
			log := redactSecrets(h, r.log)
			if (r.err == nil) != tt.ok {
				t.Fatalf("main step error = %v, want success %t\nlog:\n%s", r.err, tt.ok, log)
			}
			if tt.logText != "" && !strings.Contains(log, tt.logText) {
				t.Errorf("log:\n%s\nwant %q", log, tt.logText)
			}
			if tt.attempts >= 0 {
				if got := h.srv.Count("POST", mintPath); got != tt.attempts {
					t.Errorf("token requests = %d, want %d", got, tt.attempts)
				}
			}
			if tt.ok {
				if r.outputs["token"] == "" {
					t.Errorf("outputs = %v, want a token", keysOf(r.outputs))
				}
				return
			}
			next := renderedHint(r.err)
			if !strings.Contains(r.err.Error(), tt.errText) {
				t.Errorf("error = %q, want it to contain %q", redactSecrets(h, r.err.Error()), tt.errText)
			}
			if !strings.Contains(next, tt.hint) {
				t.Errorf("hint = %q, want it to contain %q", next, tt.hint)
			}
			if tt.notHint != "" && strings.Contains(next, tt.notHint) {
				t.Errorf("hint = %q, want no %q: the advice must fit the cause", next, tt.notHint)
			}
			checkNoLeaks(t, h, trackedRun{stepRun: r})
		})
	}
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestCancelledMint checks that a job cancelled while GitHub mints the
// token leaves no live token: the answer that arrives within the grace is
// revoked at once, and the error says the job was cancelled. The job is
// cancelled as the token request arrives, whatever the machine's speed.
func TestCancelledMint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault githubapitest.Fault // the token request's answer
		// requestTimeout, when set, bounds each attempt; within, when
		// set, bounds the main step.
		requestTimeout, within time.Duration
		// revokeFails is how many revocations fail right after the
		// cancellation, so that the main step must leave the token to the
		// post step; skipRevoke sets skip-token-revoke.
		revokeFails int
		skipRevoke  bool
		// minted: GitHub minted a token, which the grace lets arrive.
		minted bool
	}{
		{name: "token arrives within the grace", fault: githubapitest.Fault{Delay: time.Second}, minted: true},
		// The one attempt would outlive any test: the step gives up when
		// the grace ends (6.5 s), not when GitHub would answer. within
		// only has to be far below the hour.
		{name: "token arrives too late", fault: githubapitest.Fault{Delay: time.Hour},
			requestTimeout: time.Hour, within: time.Minute},
		// The retries go on in the grace; the last answer is GitHub's,
		// but the step ended because the job was cancelled.
		{name: "server errors in the grace", fault: githubapitest.Fault{Delay: 100 * time.Millisecond, Status: 500, Count: -1}},
		// The main step cannot revoke the late token: the post step does.
		{name: "late token's revocation fails", fault: githubapitest.Fault{Delay: time.Second}, revokeFails: 4, minted: true},
		// Nobody received it, so skip-token-revoke does not keep it.
		{name: "late token's revocation fails, with skip-token-revoke", fault: githubapitest.Fault{Delay: time.Second},
			revokeFails: 4, skipRevoke: true, minted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, testWorld(t))
			h.requestTimeout = tt.requestTimeout
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			f := tt.fault
			f.Method, f.Path, f.Arrived = "POST", mintPath, cancel
			h.srv.InjectFault(f)
			if tt.revokeFails > 0 {
				h.srv.InjectFault(githubapitest.Fault{Method: "DELETE", Path: revokePath, Status: 500, Count: tt.revokeFails})
			}
			if tt.skipRevoke {
				h.env["INPUT_SKIP-TOKEN-REVOKE"] = "true"
			}
			start := time.Now()
			r := h.runCtx(ctx, false)
			if took := time.Since(start); tt.within > 0 && took > tt.within {
				t.Errorf("main step took %v after the cancellation, want at most %v", took.Round(time.Millisecond), tt.within)
			}
			if r.err == nil || !errors.Is(r.err, context.Canceled) {
				t.Fatalf("main step error = %v, want a cancellation", r.err)
			}
			if next := renderedHint(r.err); !strings.Contains(next, "cancelled") {
				t.Errorf("hint = %q, want it to say the job was cancelled", next)
			}
			if len(r.outputs) != 0 {
				t.Errorf("outputs %v written by a cancelled step", keysOf(r.outputs))
			}
			if tt.revokeFails > 0 && (r.state["token"] == "" || r.state["unused"] != "true") {
				t.Errorf("state %v, want the unrevoked token saved and marked unused", keysOf(r.state))
			}
			if n := len(h.srv.Tokens()); (n > 0) != tt.minted {
				t.Errorf("%d tokens minted, want a token %t", n, tt.minted)
			}
			// The post step runs after a cancellation too.
			h.loadState()
			h.run(true)
			for _, tok := range h.srv.Tokens() {
				if !tok.Revoked {
					t.Errorf("a token minted during the cancellation is still valid")
				}
			}
		})
	}
}

package action

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

const (
	lookupPath = "/repos/octo-org/app/installation"
	mintPath   = "/app/installations/11/access_tokens"
	revokePath = "/installation/token"
)

// TestFaults injects each fault GitHub or the network produces into the
// lookup, the token request and the revoke, and checks the outcome, the
// number of attempts and the time the step would spend waiting. The post
// step never fails, whatever happens.
func TestFaults(t *testing.T) {
	t.Parallel()
	type fault struct {
		name     string
		fault    githubapitest.Fault
		ok       bool          // the step succeeds
		attempts int           // requests to the faulted endpoint
		maxWait  time.Duration // bound on the waits asked for
		errText  string        // in the main step's error, when !ok
	}
	faults := []fault{
		{name: "reset once", fault: githubapitest.Fault{Reset: true}, ok: true, attempts: 2, maxWait: 2 * time.Second},
		{name: "reset forever", fault: githubapitest.Fault{Reset: true, Count: -1}, attempts: 4, maxWait: 9 * time.Second, errText: "after 4 attempts"},
		{name: "hung server", fault: githubapitest.Fault{Delay: time.Minute, Count: -1}, attempts: 4, maxWait: 9 * time.Second, errText: "no response within"},
		{name: "500 then ok", fault: githubapitest.Fault{Status: 500}, ok: true, attempts: 2, maxWait: 2 * time.Second},
		{name: "502 502 then ok", fault: githubapitest.Fault{Status: 502, Count: 2}, ok: true, attempts: 3, maxWait: 4 * time.Second},
		{name: "503 three times then ok", fault: githubapitest.Fault{Status: 503, Count: 3}, ok: true, attempts: 4, maxWait: 9 * time.Second},
		{name: "500 forever", fault: githubapitest.Fault{Status: 500, Count: -1}, attempts: 4, maxWait: 9 * time.Second, errText: "500"},
		{name: "429 retry-after", fault: githubapitest.Fault{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: `{"message":"API rate limit exceeded"}`}, ok: true, attempts: 2, maxWait: 7 * time.Second},
		{name: "403 secondary rate limit", fault: githubapitest.Fault{Status: 403, Header: http.Header{"Retry-After": {"30"}}, Body: `{"message":"You have exceeded a secondary rate limit."}`}, ok: true, attempts: 2, maxWait: 30 * time.Second},
		{name: "403 rate limit beyond the cap", fault: githubapitest.Fault{Status: 403, Header: http.Header{"Retry-After": {"3600"}}, Body: `{"message":"You have exceeded a secondary rate limit."}`}, attempts: 1, errText: "rate limit"},
		// GitHub's secondary limit as it often comes: no Retry-After, requests
		// remaining. A minute, then longer each time, bounded by the step's
		// deadline rather than a retry count.
		{name: "403 secondary rate limit without headers", fault: githubapitest.SecondaryRateLimit("", "", 1), ok: true, attempts: 2, maxWait: 75 * time.Second},
		{name: "403 IP allow list", fault: githubapitest.Fault{Status: 403, Body: `{"message":"Although you appear to have the correct authorization credentials, the ` + "`octo-org`" + ` organization has an IP allow list enabled, and your IP address is not permitted to access this resource.","documentation_url":"https://docs.github.com/rest"}`}, attempts: 1, errText: "IP allow list"},
		{name: "malformed json", fault: githubapitest.Fault{Status: 200, Body: `{"id":`}, attempts: 1, errText: "malformed"},
		{name: "empty body once", fault: githubapitest.Fault{Status: 200, Body: ""}, ok: true, attempts: 2, maxWait: 2 * time.Second},
		{name: "empty body forever", fault: githubapitest.Fault{Status: 200, Body: "", Count: -1}, attempts: 4, maxWait: 9 * time.Second, errText: "empty body"},
		{name: "missing fields", fault: githubapitest.Fault{Status: 200, Body: `{}`}, attempts: 1, errText: "response has no"},
	}
	endpoints := []struct {
		name, method, path string
		status             int // a successful answer's status
	}{
		{"lookup", "GET", lookupPath, 200},
		{"mint", "POST", mintPath, 201},
	}
	for _, ep := range endpoints {
		for _, f := range faults {
			t.Run(ep.name+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, testWorld(t))
				if f.fault.Delay > 0 {
					h.requestTimeout = hungAttempt
				}
				ff := f.fault
				ff.Method, ff.Path = ep.method, ep.path
				if ff.Status == 200 && ep.status != 200 {
					ff.Status = ep.status
				}
				h.srv.InjectFault(ff)
				r := h.run(false)
				if (r.err == nil) != f.ok {
					t.Fatalf("main step error = %v, want success %t", r.err, f.ok)
				}
				if !f.ok && !strings.Contains(strings.ToLower(r.err.Error()), strings.ToLower(f.errText)) {
					t.Errorf("main step error = %q, want it to mention %q", r.err, f.errText)
				}
				if got := h.srv.Count(ep.method, ep.path); got != f.attempts {
					t.Errorf("%s %s attempts = %d, want %d", ep.method, ep.path, got, f.attempts)
				}
				var total time.Duration
				for _, w := range r.waits {
					total += w
				}
				if total > f.maxWait {
					t.Errorf("waits = %v (total %v), want at most %v", r.waits, total, f.maxWait)
				}
				if f.ok && r.outputs["token"] == "" {
					t.Errorf("outputs = %v, want a token", keysOf(r.outputs))
				}
				if !f.ok && strings.Count(r.log, "::error::") != 1 {
					t.Errorf("log has %d ::error:: lines, want 1:\n%s", strings.Count(r.log, "::error::"), redactSecrets(h, r.log))
				}
				// Whatever main did, post succeeds: it revokes the token, or
				// says there is none.
				h.loadState()
				want := "No token to revoke"
				if f.ok {
					want = "Token revoked"
				}
				if post := h.run(true); post.err != nil || !strings.Contains(post.log, want) || strings.Contains(post.log, "::error::") {
					t.Errorf("post step: error = %v, log:\n%s\nwant %q and no error", post.err, redactSecrets(h, post.log), want)
				}
			})
		}
	}
	for _, f := range faults {
		t.Run("revoke/"+f.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, testWorld(t))
			if r := h.run(false); r.err != nil {
				t.Fatalf("main step: %v", r.err)
			}
			h.loadState()
			ff := f.fault
			ff.Method, ff.Path = "DELETE", revokePath
			if ff.Status == 200 {
				ff.Status = 204
			}
			if ff.Delay > 0 {
				h.requestTimeout = hungAttempt
			}
			h.srv.InjectFault(ff)
			r := h.run(true)
			if r.err != nil {
				t.Fatalf("post step error = %v, want nil", r.err)
			}
			revoked := strings.Contains(r.log, "Token revoked")
			warned := strings.Contains(r.log, "::warning::Could not revoke")
			if revoked == warned {
				t.Errorf("post log = %q, want exactly one of revoked or a warning", redactSecrets(h, r.log))
			}
		})
	}
}

// TestRevokeAnswerLost checks the post step when GitHub revokes the token
// but its answer never arrives (the attempt's timeout ended the wait, or
// the connection broke): the retry's 401 means the first attempt worked,
// so the log says the token was revoked, not that it was already gone.
func TestRevokeAnswerLost(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testWorld(t))
	if r := h.run(false); r.err != nil {
		t.Fatalf("main step: %v", r.err)
	}
	h.loadState()
	h.srv.InjectFault(githubapitest.Fault{Method: "DELETE", Path: revokePath, Lost: true})
	r := h.run(true)
	if r.err != nil || !strings.Contains(r.log, "Token revoked") || strings.Contains(r.log, "::warning::") {
		t.Errorf("post step: error = %v, log:\n%s\nwant \"Token revoked\" and no warning", r.err, redactSecrets(h, r.log))
	}
	if n := h.srv.Count("DELETE", revokePath); n != 2 {
		t.Errorf("DELETE %s attempts = %d, want 2 (the lost answer, then GitHub's 401)", revokePath, n)
	}
	for _, tok := range h.srv.Tokens() {
		if !tok.Revoked {
			t.Errorf("a token of installation %d is live after the post step", tok.InstallationID)
		}
	}
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

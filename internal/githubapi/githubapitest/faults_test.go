package githubapitest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaultPresets(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	auth := bearer(appJWT(t, testNow))

	s.InjectFault(SecondaryRateLimit("POST", "/app/installations/*", 1))
	r := do(t, "POST", s.URL()+"/app/installations/101/access_tokens", auth, "")
	if e := wantError(t, r, http.StatusForbidden, msgSecondaryRateLimit); e.DocumentationURL != docSecondaryRateLimit {
		t.Errorf("documentation_url = %q", e.DocumentationURL)
	}
	if rem := r.header.Get("X-RateLimit-Remaining"); rem == "" || rem == "0" || r.header.Get("Retry-After") != "" {
		t.Errorf("secondary limit: remaining %q, Retry-After %q, want requests remaining and no Retry-After", rem, r.header.Get("Retry-After"))
	}
	if r := do(t, "POST", s.URL()+"/app/installations/101/access_tokens", auth, ""); r.status != http.StatusCreated {
		t.Errorf("after the fault = %d, want 201", r.status)
	}

	s.InjectFault(s.IPAllowList("ACME"))
	for range 2 {
		r := do(t, "POST", s.URL()+"/app/installations/101/access_tokens", auth, "")
		if e := wantError(t, r, http.StatusForbidden, strings.ReplaceAll(msgIPAllowList, "%s", "ACME")); e.DocumentationURL != docCreateToken {
			t.Errorf("documentation_url = %q", e.DocumentationURL)
		}
	}
	if r := do(t, "POST", s.URL()+"/app/installations/102/access_tokens", auth, ""); r.status != http.StatusCreated {
		t.Errorf("another account's installation = %d, want 201", r.status)
	}

	s.InjectFault(TooManyRepositories(102))
	wantError(t, do(t, "POST", s.URL()+"/app/installations/102/access_tokens", auth, ""), http.StatusUnprocessableEntity, msgTooManyRepos)
}

func TestIPAllowListWithoutInstallation(t *testing.T) {
	t.Parallel()
	tb := &fakeTB{}
	s := Start(tb, testConfig(t))
	defer tb.cleanup()
	s.IPAllowList("nobody")
	if errs := tb.errors(); len(errs) != 1 || !strings.Contains(errs[0], "nobody") {
		t.Errorf("errors = %q, want one naming the organization", errs)
	}
}

func TestTokenLag(t *testing.T) {
	t.Parallel()
	s := Start(t, testConfig(t))
	s.SetTokenLag(3 * time.Second)
	tok := mint(t, s, 102, "").Token
	wantError(t, do(t, "GET", s.URL()+"/users/alice", "token "+tok, ""), http.StatusUnauthorized, msgBadCredentials)
	s.SetClockOffset(3 * time.Second)
	if r := do(t, "GET", s.URL()+"/users/alice", "token "+tok, ""); r.status != http.StatusOK {
		t.Errorf("after the lag = %d, want 200", r.status)
	}
	other := mint(t, s, 102, "").Token
	if r := do(t, "DELETE", s.URL()+"/installation/token", "token "+other, ""); r.status != http.StatusNoContent {
		t.Errorf("revoke during the lag = %d, want 204", r.status)
	}
}

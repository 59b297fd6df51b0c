package oidctest

import (
	"net/http"
	"testing"
)

func TestIssueAndVerify(t *testing.T) {
	t.Parallel()
	s := Start(t, Job{Repository: "octo-org/app", Ref: "refs/heads/main"})
	env := s.Env()
	req, _ := http.NewRequest("GET", env["ACTIONS_ID_TOKEN_REQUEST_URL"]+"&audience=sts.amazonaws.com", nil)
	req.Header.Set("Authorization", "Bearer "+env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("token request: %v %v", err, resp)
	}
	resp.Body.Close()
	if s.Issued() != 1 {
		t.Fatalf("Issued() = %d, want 1", s.Issued())
	}
	tok := s.Secrets()[1]
	claims, err := Verify(tok, "sts.amazonaws.com")
	if err != nil || claims["sub"] != "repo:octo-org/app:ref:refs/heads/main" {
		t.Errorf("Verify() = %v, %v", claims["sub"], err)
	}
	if _, err := Verify(tok, "other"); err == nil {
		t.Error("Verify() with another audience succeeded")
	}
}

func TestMatchSubject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, sub string
		want         bool
	}{
		{"repo:octo-org/app:*", "repo:octo-org/app:ref:refs/heads/main", true},
		{"repo:octo-org/app:ref:refs/heads/main", "repo:octo-org/app:ref:refs/heads/main", true},
		{"repo:octo-org/*:environment:prod", "repo:octo-org/app:environment:prod", true},
		{"repo:octo-org/other:*", "repo:octo-org/app:ref:refs/heads/main", false},
		{"repo:octo-org/app:environment:prod", "repo:octo-org/app:ref:refs/heads/main", false},
	}
	for _, tt := range tests {
		if got := MatchSubject(tt.pattern, tt.sub); got != tt.want {
			t.Errorf("MatchSubject(%q, %q) = %t, want %t", tt.pattern, tt.sub, got, tt.want)
		}
	}
}

// TestFailWithAndQueries checks the injected failures (their status, then
// the service recovers) and the record of each request's query.
func TestFailWithAndQueries(t *testing.T) {
	t.Parallel()
	s := Start(t, Job{Repository: "octo-org/app", Ref: "refs/heads/main"})
	s.FailWith(1, http.StatusServiceUnavailable)
	env := s.Env()
	var got []int
	for range 2 {
		req, _ := http.NewRequest("GET", env["ACTIONS_ID_TOKEN_REQUEST_URL"]+"&audience=a", nil)
		req.Header.Set("Authorization", "Bearer "+env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got = append(got, resp.StatusCode)
	}
	if got[0] != http.StatusServiceUnavailable || got[1] != http.StatusOK {
		t.Errorf("statuses = %v, want [503 200]", got)
	}
	q := s.Queries()
	if len(q) != 2 || q[1].Get("audience") != "a" || q[1].Get("api-version") != "2.0" {
		t.Errorf("Queries() = %v, want two with audience a", q)
	}
}

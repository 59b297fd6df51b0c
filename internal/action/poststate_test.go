package action

import (
	"maps"
	"strings"
	"testing"
)

// tokenState returns state without the mark every main step saves first
// ([stateStarted]): what a main step saved about a token.
func tokenState(state map[string]string) map[string]string {
	out := maps.Clone(state)
	if out[stateStarted[0]] == stateStarted[1] {
		delete(out, stateStarted[0])
	}
	return out
}

// TestPostWithoutState runs the post step after a main step, with the
// state the runner passes, or none as nektos/act passes a container
// action's post step (pkg/runner/action.go runPostStep). Only when the
// state came and holds no token may the post step say that the main step
// created none; without state it says that the runner passed none, how
// long the token lives and how to revoke it.
func TestPostWithoutState(t *testing.T) {
	t.Parallel()
	const (
		notCreated = "No token to revoke: the main step did not create one"
		noState    = "the runner passed this post step no state from the main step"
		actNoState = "nektos/act passes a container action's post step no state from its main step"
	)
	tests := []struct {
		name       string
		act        bool
		mainFails  bool
		passState  bool
		want       []string
		wantNot    []string
		wantRevoke bool
	}{
		{name: "state passed", passState: true, wantRevoke: true, want: []string{"Token revoked"}},
		{name: "main failed, state passed", mainFails: true, passState: true, want: []string{notCreated}, wantNot: []string{"::warning::"}},
		{name: "nektos/act", act: true, want: []string{"::warning::Cannot revoke the token: " + actNoState, "expires-at", "1 hour",
			"curl -fsS -X DELETE -H \"Authorization: Bearer $TOKEN\" ", "/installation/token", "app-token revoke"}, wantNot: []string{notCreated}},
		{name: "nektos/act, main failed", act: true, mainFails: true, want: []string{actNoState}, wantNot: []string{notCreated}},
		{name: "another runner without state", want: []string{"::warning::Cannot revoke the token: " + noState, "expires-at"}, wantNot: []string{notCreated, "nektos/act"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, testWorld(t))
			if tt.act {
				h.env["ACT"] = "true"
			}
			if tt.mainFails {
				h.runner.Set("private-key", "")
			}
			main := h.run(false)
			if (main.err != nil) != tt.mainFails {
				t.Fatalf("main step error = %v, want failure %t", main.err, tt.mainFails)
			}
			if got := main.state[stateStarted[0]]; got != stateStarted[1] {
				t.Errorf("main step state %s = %q, want %q, saved whatever happens", stateStarted[0], got, stateStarted[1])
			}
			if tt.passState {
				h.loadState()
			}
			before := len(h.srv.Requests())
			post := h.run(true)
			for _, want := range tt.want {
				if !strings.Contains(post.log, want) {
					t.Errorf("post step log:\n%s\nwant %q", redactSecrets(h, post.log), want)
				}
			}
			for _, not := range tt.wantNot {
				if strings.Contains(post.log, not) {
					t.Errorf("post step log:\n%s\nwant no %q", redactSecrets(h, post.log), not)
				}
			}
			revoked := len(h.srv.Tokens()) > 0 && h.srv.Tokens()[0].Revoked
			if revoked != tt.wantRevoke {
				t.Errorf("token revoked = %t, want %t", revoked, tt.wantRevoke)
			}
			if !tt.wantRevoke && len(h.srv.Requests()) != before {
				t.Errorf("post step made %d requests, want none", len(h.srv.Requests())-before)
			}
		})
	}
}

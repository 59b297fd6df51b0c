package main

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// failingWriter fails every write, like a closed pipe.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// TestTokenCommandRevokesUnprintedToken checks that app-token token revokes
// the token it could not print: nobody has it, so it must not stay valid.
func TestTokenCommandRevokesUnprintedToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testWorld(t))
	env := map[string]string{"APP_PRIVATE_KEY": h.srv.PrivateKeyPEM()}
	c := cli{
		deps:   testDeps(env, io.Discard, failingWriter{}),
		stdin:  strings.NewReader(""),
		stderr: io.Discard,
	}
	err := runToken(t.Context(), c, []string{"-client-id", testClientID, "-owner", "octocat", "-api-url", h.srv.URL()})
	if err == nil || !strings.Contains(err.Error(), "print the token: broken pipe") {
		t.Fatalf("runToken() error = %v, want the print failure", err)
	}
	toks := h.srv.Tokens()
	if len(toks) != 1 || !toks[0].Revoked {
		t.Errorf("tokens = %d, revoked %v; want the one token revoked", len(toks), len(toks) == 1 && toks[0].Revoked)
	}
}

package action

import (
	"strings"
	"testing"
)

// checkKeylessLeaks runs the leak scan of every step (see checkNoLeaks)
// with h.moreSecrets among the secrets, and checks that the main step
// masked each credential in mustMask (a KMS's tokens, the job's OIDC
// tokens): each may show only in its own ::add-mask:: line, before which
// come no lines but warnings, notices, debug lines and other masks.
func checkKeylessLeaks(t *testing.T, h *harness, mustMask []string, runs ...trackedRun) {
	t.Helper()
	checkNoLeaks(t, h, runs...)
	for _, r := range runs {
		if r.post {
			continue
		}
		for _, p := range harnessSecrets(h).CheckLog(r.log, mustMask) {
			t.Errorf("main step: a KMS or OIDC credential: %s", p)
		}
	}
}

// runKeylessMain runs the main step and checks its outcome: with ok, that
// the token output is the one token GitHub issued; else that the error
// holds each of wantErr and its rendered hint each of wantHint.
func runKeylessMain(t *testing.T, h *harness, ok bool, wantErr, wantHint []string) trackedRun {
	t.Helper()
	main := h.runTracked(false)
	if (main.err == nil) != ok {
		t.Fatalf("main step error = %v, want success %t", redactSecrets(h, errorText(main.err)), ok)
	}
	if ok {
		tokens := h.srv.Tokens()
		if len(tokens) != 1 || main.outputs["token"] != tokens[0].Value {
			t.Errorf("main step: token output is not the one token GitHub issued (%d issued)", len(tokens))
		}
	}
	for _, want := range wantErr {
		if !strings.Contains(errorText(main.err), want) {
			t.Errorf("main step error = %q, want it to hold %q", redactSecrets(h, errorText(main.err)), want)
		}
	}
	for _, want := range wantHint {
		if got := renderedHint(main.err); !strings.Contains(got, want) {
			t.Errorf("main step hint = %q, want it to hold %q", got, want)
		}
	}
	return main
}

// runKeylessPost runs the post step after main, then the leak checks of
// both (see checkKeylessLeaks); when the main step succeeded (ok), it must
// have masked each of credentials.
func runKeylessPost(t *testing.T, h *harness, ok bool, credentials []string, main trackedRun) {
	t.Helper()
	h.loadState()
	post := h.runTracked(true)
	var mustMask []string
	if ok {
		mustMask = credentials
	}
	checkKeylessLeaks(t, h, mustMask, main, post)
}

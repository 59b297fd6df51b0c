package action

import "testing"

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

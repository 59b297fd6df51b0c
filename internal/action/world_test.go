package action

import (
	"sync"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// The shared test world (see runnertest.World): one app, installed on an
// organization with selected repositories, on a user with all
// repositories, on a suspended organization and on an enterprise.
const (
	testAppID    = runnertest.AppID
	testClientID = runnertest.ClientID
	testAppSlug  = runnertest.AppSlug
)

var (
	keys      = runnertest.Keys
	keyInputs = runnertest.KeyInputs
)

// testWorld returns the emulator configuration the tests share.
func testWorld(tb testing.TB) githubapitest.Config {
	tb.Helper()
	return runnertest.World()
}

// actionYML reads action.yml once per test binary: every harness needs its
// defaults.
var actionYML = sync.OnceValues(func() (*runnertest.Action, error) {
	return runnertest.ReadAction("../../action.yml")
})

// mustAction returns action.yml, or fails tb. It is shared: callers must
// not change it.
func mustAction(tb testing.TB) *runnertest.Action {
	tb.Helper()
	a, err := actionYML()
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

package runnertest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// TestBenchWorld checks that the emulator accepts the benchmark's world
// with every permission action.yml declares, and that each case's inputs
// are inputs of action.yml.
func TestBenchWorld(t *testing.T) {
	t.Parallel()
	a, err := ReadAction("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	perms, err := a.PermissionLevels()
	if err != nil {
		t.Fatal(err)
	}
	if len(perms) < 50 || perms["contents"] != "write" {
		t.Errorf("PermissionLevels() = %d permissions, contents %q; want every permission at its highest level",
			len(perms), perms["contents"])
	}
	srv, err := githubapitest.NewServer(BenchWorld(perms))
	if err != nil {
		t.Fatalf("NewServer(BenchWorld()) error = %v", err)
	}
	srv.Close()
	cases := BenchCases(perms)
	if len(cases) != 4 {
		t.Errorf("BenchCases() = %d cases, want 4", len(cases))
	}
	for _, c := range cases {
		for name := range c.Inputs {
			if _, ok := a.Inputs[name]; !ok {
				t.Errorf("case %s: input %s is not in action.yml", c.Name, name)
			}
		}
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	a := &Action{}
	r := New(Job{Action: a, Repository: "octo-org/app", Dir: t.TempDir()})
	for _, name := range []string{"output", "state", "summary"} {
		if err := os.WriteFile(filepath.Join(r.Dir, name), []byte("token=x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.LoadState(); err != nil {
		t.Fatal(err)
	}
	if err := r.Reset(); err != nil {
		t.Fatalf("Reset() error = %v", err)
	}
	out, _ := r.Outputs()
	state, _ := r.State()
	if len(out) != 0 || len(state) != 0 || r.Env["STATE_token"] != "" {
		t.Errorf("after Reset(): outputs %d, state %d, STATE_token set %t; want none", len(out), len(state), r.Env["STATE_token"] != "")
	}
}

package runnertest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadAction reads the repository's action.yml, and wants a misspelt
// key in a copy of it to fail the read.
func TestReadAction(t *testing.T) {
	t.Parallel()
	a, err := ReadAction("../../action.yml")
	if err != nil {
		t.Fatalf("ReadAction(action.yml) error = %v", err)
	}
	if a.Runs.Using != "docker" || a.Runs.Entrypoint == "" || a.Runs.PostEntrypoint == "" || len(a.Inputs) == 0 {
		t.Errorf("ReadAction(action.yml) = runs %+v, %d inputs; want a container action with its entrypoints and inputs", a.Runs, len(a.Inputs))
	}
	src, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "post-entrypoint:") {
		t.Fatal("action.yml has no post-entrypoint to misspell; update this test")
	}
	typo := filepath.Join(t.TempDir(), "action.yml")
	if err := os.WriteFile(typo, []byte(strings.Replace(string(src), "post-entrypoint:", "post-entrypiont:", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadAction(typo); err == nil || !strings.Contains(err.Error(), "post-entrypiont") {
		t.Errorf("ReadAction(action.yml with post-entrypiont) error = %v, want one naming the key", err)
	}
}

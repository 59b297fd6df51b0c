package main

import (
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// TestWorld checks that the emulator accepts the benchmark's world with
// every permission action.yml declares, and that each case names one.
func TestWorld(t *testing.T) {
	t.Parallel()
	defaults, perms, err := actionInputs("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(perms) < 50 || defaults["INPUT_GITHUB-API-URL"] != apiURLExpr {
		t.Errorf("actionInputs() = %d permissions, github-api-url default %q; want every permission and %q",
			len(perms), defaults["INPUT_GITHUB-API-URL"], apiURLExpr)
	}
	srv, err := githubapitest.NewServer(world(perms))
	if err != nil {
		t.Fatalf("NewServer(world) error = %v", err)
	}
	srv.Close()
	if got, want := len(cases(perms)), len(caseNames()); got != want || got != 4 {
		t.Errorf("cases() = %d cases, caseNames() = %d; want 4", got, want)
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	var steps []step
	for i := 1; i <= 10; i++ {
		steps = append(steps, step{wall: time.Duration(11-i) * time.Millisecond})
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{.5, 5 * time.Millisecond}, {.9, 9 * time.Millisecond}, {1, 10 * time.Millisecond}, {0, time.Millisecond}} {
		if got := percentile(steps, tc.p); got != tc.want {
			t.Errorf("percentile(1..10 ms, %v) = %v, want %v", tc.p, got, tc.want)
		}
	}
}

package main

import (
	"bytes"
	"regexp"
	"runtime"
	"strings"
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

// TestRun runs the benchmark as the README's command does, once per case
// and with the reference programs: every case must mint a token that the
// post step revokes (run checks each run strictly), at the floor of two
// requests and one, and the tables must name every case.
func TestRun(t *testing.T) {
	t.Parallel()
	rss := "0"
	if runtime.GOOS == "linux" {
		rss = "1" // peak RSS is traced on Linux only
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"-n", "1", "-warmup", "0", "-rss", rss, "-cross=false"}, &out); err != nil {
		t.Fatalf("run() error = %v\n%s", err, &out)
	}
	tables := out.String()
	for _, want := range append(caseNames(), "steps run with GOMAXPROCS=1", "empty", "one-request") {
		if !strings.Contains(tables, want) {
			t.Errorf("run() printed no %q:\n%s", want, tables)
		}
	}
	if !regexp.MustCompile(`(?m)^requests per run \(main; post\) +2; 1 +2; 1 +ok$`).MatchString(tables) {
		t.Errorf("run() budget has no line for 2 requests per main step and 1 per post step:\n%s", tables)
	}
}

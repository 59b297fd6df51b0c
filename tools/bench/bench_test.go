package main

import (
	"bytes"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

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

// TestRun runs the benchmark as the README's command does, one round per
// case, with the reference action and the reference programs: every case
// must mint a token that the post step revokes, for the action and for
// both builds of the reference (run checks each run strictly), at the
// floor of two requests and one, and the tables must name every case.
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
	for _, want := range append(caseNames(), "steps run with GOMAXPROCS=1", "empty", "one-request", "vs reference", "ref+signal", "main step median / reference") {
		if !strings.Contains(tables, want) {
			t.Errorf("run() printed no %q:\n%s", want, tables)
		}
	}
	if !regexp.MustCompile(`(?m)^requests per run \(main; post\) +2; 1 +2; 1 +ok$`).MatchString(tables) {
		t.Errorf("run() budget has no line for 2 requests per main step and 1 per post step:\n%s", tables)
	}
}

// TestRedact wants what the benchmark quotes of a failed step to show no
// line of the app's private key.
func TestRedact(t *testing.T) {
	t.Parallel()
	srv := githubapitest.Start(t, runnertest.BenchWorld(map[string]string{"contents": "write"}))
	b := &bench{srv: srv}
	key := srv.PrivateKeyPEM()
	body := strings.Split(key, "\n")[1]
	if got := b.redact("::error::bad key " + key); strings.Contains(got, body) {
		t.Errorf("redact(a log with the app's key) shows a line of its body")
	}
}

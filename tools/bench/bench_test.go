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

// TestBudget feeds budget figures on and over each limit, and wants each
// check's verdict to follow.
func TestBudget(t *testing.T) {
	t.Parallel()
	ms := func(n float64) []step {
		return []step{{wall: time.Duration(n * float64(time.Millisecond)), requests: 2}}
	}
	post := func(n float64) []step {
		return []step{{wall: time.Duration(n * float64(time.Millisecond)), requests: 1}}
	}
	// results returns the owner-3-repos and 500-repos cases: the action's
	// main step takes main3 and main500 ms, the reference's 10 and 20 ms;
	// both post steps 10 ms.
	results := func(main3, main500 float64) []result {
		var out []result
		for _, c := range []struct {
			name     string
			act, ref float64
		}{{"owner-3-repos", main3, 10}, {"500-repos", main500, 20}} {
			out = append(out, result{
				c: runnertest.Case{Name: c.name},
				runs: []runs{
					progAction: {main: ms(c.act), post: post(10), mainRSS: 10e6},
					progRef:    {main: ms(c.ref), post: post(10), mainRSS: 10e6},
				},
			})
		}
		return out
	}
	tests := []struct {
		name           string
		main3, main500 float64
		binary         int64
		wantOver       string // the check over budget; "" for none
	}{
		{"on every limit", 12, 24, budgetBinary, ""},
		{"main step slow", 12.5, 25, budgetBinary, "main step median / reference"},
		{"binary large", 10, 20, budgetBinary + 1, "stripped binary, linux/amd64"},
		{"500 repositories grow faster", 8, 20, budgetBinary, "500-repos / owner-3-repos"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var over []string
			for _, c := range budget(results(tt.main3, tt.main500), map[string]int64{"linux/amd64": tt.binary}) {
				if !c.ok {
					over = append(over, c.what)
				}
			}
			switch {
			case tt.wantOver == "" && len(over) > 0:
				t.Errorf("budget() over = %q, want none", over)
			case tt.wantOver != "" && (len(over) != 1 || !strings.Contains(over[0], tt.wantOver)):
				t.Errorf("budget() over = %q, want one check: %q", over, tt.wantOver)
			}
		})
	}
}

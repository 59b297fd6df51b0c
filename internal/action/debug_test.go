package action

import (
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// TestDebugLog checks that with RUNNER_DEBUG=1 the steps log one ::debug::
// line per request the emulator saw, in order, with its method, path,
// status, attempt and duration, and no secret; and that without it they log
// none.
func TestDebugLog(t *testing.T) {
	t.Parallel()
	// debugLine is what the API client logs per attempt in debug mode:
	// "::debug::METHOD PATH: OUTCOME (attempt N, DURATION)[; retrying in WAIT]".
	debugLine := regexp.MustCompile(`^::debug::([A-Z]+) (/\S*): (.+) \(attempt (\d+), ([^)]+)\)(?:; retrying in (\S+))?$`)
	tests := []struct {
		name   string
		env    map[string]string
		faults []githubapitest.Fault
		long   bool // GitHub's long token format
	}{
		{name: "happy path with git-user", env: map[string]string{"INPUT_GIT-USER": "true"}},
		{name: "retries", faults: []githubapitest.Fault{
			{Method: "GET", Path: lookupPath, Reset: true},
			{Method: "POST", Path: mintPath, Status: 502, Count: 2},
			{Method: "DELETE", Path: revokePath, Status: 503},
		}},
		{name: "rate limit", faults: []githubapitest.Fault{
			{Method: "POST", Path: mintPath, Status: 429, Header: http.Header{"Retry-After": {"5"}}, Body: `{"message":"API rate limit exceeded"}`},
		}},
		{name: "timeouts", faults: []githubapitest.Fault{{Method: "POST", Path: mintPath, Delay: time.Minute, Count: -1}}},
		{name: "not installed", env: map[string]string{"INPUT_OWNER": "nobody"}},
		{name: "long tokens", env: map[string]string{"INPUT_GIT-USER": "true"}, long: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			world := testWorld(t)
			world.LongTokens = tt.long
			h := newHarness(t, world)
			h.env["RUNNER_DEBUG"] = "1"
			maps.Copy(h.env, tt.env)
			for _, f := range tt.faults {
				if f.Delay > 0 {
					h.requestTimeout = hungAttempt
				}
				h.srv.InjectFault(f)
			}
			main := h.runTracked(false)
			h.loadState()
			post := h.runTracked(true)
			checkNoLeaks(t, h, main, post)

			var lines []string
			for _, line := range strings.Split(main.log+post.log, "\n") {
				if strings.HasPrefix(line, "::debug::") {
					lines = append(lines, line)
				}
			}
			reqs := h.srv.Requests()
			if len(lines) != len(reqs) {
				t.Fatalf("%d ::debug:: lines for %d requests:\n%s", len(lines), len(reqs), redactSecrets(h, strings.Join(lines, "\n")))
			}
			attempt := map[string]int{}
			waits := 0 // debug lines that name a wait
			for i, line := range lines {
				m := debugLine.FindStringSubmatch(line)
				if m == nil {
					t.Errorf("debug line %d = %q, want %s", i+1, redactSecrets(h, line), debugLine)
					continue
				}
				method, path, outcome, n, took, wait := m[1], unescapeData(m[2]), m[3], m[4], m[5], m[6]
				req := reqs[i]
				if p, err := url.PathUnescape(path); err != nil || method != req.Method || p != req.Path {
					t.Errorf("debug line %d is for %s %s, want %s %s", i+1, method, path, req.Method, req.Path)
				}
				if req.Status != 0 && !strings.HasPrefix(outcome, strconv.Itoa(req.Status)) {
					t.Errorf("debug line %d outcome = %q, want status %d first", i+1, outcome, req.Status)
				}
				key := method + " " + path
				attempt[key]++
				if got, _ := strconv.Atoi(n); got != attempt[key] {
					t.Errorf("debug line %d attempt = %s, want %d", i+1, n, attempt[key])
				}
				if wait == "" {
					attempt[key] = 0 // the next request to the path starts over
				} else if _, err := time.ParseDuration(wait); err != nil {
					t.Errorf("debug line %d retry wait %q: %v", i+1, wait, err)
				} else {
					waits++
				}
				if d, err := time.ParseDuration(took); err != nil || d < 0 {
					t.Errorf("debug line %d duration %q is not a duration", i+1, took)
				}
			}
			// Every wait is shown twice: in its request's debug line, and
			// in the log line that says why (debug or not).
			asked := len(main.waits) + len(post.waits)
			if waits != asked {
				t.Errorf("%d debug lines name a wait, for %d waits", waits, asked)
			}
			if n := strings.Count(main.log+post.log, ": waiting "); n != asked {
				t.Errorf("%d log lines say a wait, for %d waits", n, asked)
			}
		})
	}

	t.Run("off", func(t *testing.T) {
		t.Parallel()
		for _, v := range []string{"", "0", "true"} {
			h := newHarness(t, testWorld(t))
			h.env["RUNNER_DEBUG"] = v
			h.env["INPUT_GIT-USER"] = "true"
			main := h.run(false)
			h.loadState()
			post := h.run(true)
			if n := strings.Count(main.log+post.log, "::debug::"); n != 0 {
				t.Errorf("RUNNER_DEBUG=%q: %d ::debug:: lines, want none", v, n)
			}
		}
	})
}

// unescapeData undoes the escaping of a workflow command's data, as the
// runner does before it uses the data.
func unescapeData(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(s)
}

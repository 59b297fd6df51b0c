package action

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// leakScenario is one end-to-end run of the main and the post step for
// TestNoLeaks.
type leakScenario struct {
	name  string
	world func(*githubapitest.Config) // changes to testWorld; nil = none
	// env overrides the harness's environment; {api} stands for the
	// emulator's API URL.
	env     map[string]string
	before  func(*harness) // before the main step: faults, clock skew
	between func(*harness) // after the state is loaded, before the post step
	ok      bool           // the main step succeeds
}

// TestNoLeaks runs every scenario end to end, in-process, and checks that
// no private key, JWT or token shows in the step logs, the error, or the
// output, state, env and summary files. A token may appear only in its own
// ::add-mask:: line, written before anything that could show it, and as
// the value of the token output and state entries.
func TestNoLeaks(t *testing.T) {
	t.Parallel()
	var (
		mu                 sync.Mutex
		scenarios, secrets int
	)
	t.Run("scenarios", func(t *testing.T) {
		for _, sc := range leakScenarios() {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				world := testWorld(t)
				if sc.world != nil {
					sc.world(&world)
				}
				h := newHarness(t, world)
				h.env["GITHUB_ENV"] = filepath.Join(h.dir, "env")
				for k, v := range sc.env {
					h.env[k] = strings.ReplaceAll(v, "{api}", h.srv.URL())
				}
				if sc.before != nil {
					sc.before(h)
				}
				main := h.runTracked(false)
				if (main.err == nil) != sc.ok {
					t.Errorf("main step error = %v, want success %t", redactSecrets(h, errorText(main.err)), sc.ok)
				}
				h.loadState()
				if sc.between != nil {
					sc.between(h)
				}
				post := h.runTracked(true)
				n := checkNoLeaks(t, h, main, post)
				mu.Lock()
				scenarios++
				secrets += n
				mu.Unlock()
			})
		}
	})
	t.Logf("no leaks: %d scenarios, %d secrets checked (key lines, JWTs, tokens)", scenarios, secrets)
}

// leakScenarios returns the scenarios of TestNoLeaks.
func leakScenarios() []leakScenario {
	in := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	fault := func(f githubapitest.Fault) func(*harness) {
		return func(h *harness) { h.srv.InjectFault(f) }
	}
	skew := func(d time.Duration) func(*harness) {
		return func(h *harness) { h.srv.SetClockOffset(d) }
	}
	long := func(c *githubapitest.Config) { c.LongTokens = true }
	k := keyInputs()
	debug := "RUNNER_DEBUG"

	base := []leakScenario{
		{name: "lookup/current repository", ok: true},
		{name: "lookup/repositories", env: in("INPUT_REPOSITORIES", "app,infra"), ok: true},
		{name: "lookup/owner", env: in("INPUT_OWNER", "octocat"), ok: true},
		{name: "lookup/installation-id", env: in("INPUT_INSTALLATION-ID", "12"), ok: true},
		{name: "lookup/enterprise", env: in("INPUT_ENTERPRISE", "octo-ent"), ok: true},
		{name: "lookup/repository-ids", env: in("INPUT_REPOSITORY-IDS", "101,102"), ok: true},
		{name: "permissions", env: in("INPUT_PERMISSION-CONTENTS", "read", "INPUT_PERMISSION-ISSUES", "write"), ok: true},
		{name: "skip-token-revoke", env: in("INPUT_SKIP-TOKEN-REVOKE", "true"), ok: true},
		{name: "git-user", env: in("INPUT_GIT-USER", "true"), ok: true},
		{name: "no summary", env: in("INPUT_SUMMARY", "false"), ok: true},
		{name: "GHES", world: func(c *githubapitest.Config) { c.BasePath = "/api/v3" }, ok: true},
		{name: "key/PKCS#8", env: in("INPUT_PRIVATE-KEY", k["pkcs8"]), ok: true},
		{name: "key/escaped newlines", env: in("INPUT_PRIVATE-KEY", k["escaped"]), ok: true},
		{name: "key/base64", env: in("INPUT_PRIVATE-KEY", k["base64"]), ok: true},
		{name: "key/indented", env: in("INPUT_PRIVATE-KEY", k["indented"]), ok: true},
		{name: "key/truncated", env: in("INPUT_PRIVATE-KEY", k["truncated"])},
		{name: "key/two keys", env: in("INPUT_PRIVATE-KEY", k["twokeys"])},
		{name: "post/after expiry", between: func(h *harness) {
			for _, tok := range h.srv.Tokens() {
				h.srv.ExpireToken(tok.Value)
			}
		}, ok: true},
		{name: "post/expires-at passed", between: func(h *harness) {
			h.env["STATE_expires-at"] = time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
		}, ok: true},
		{name: "post/revoke fails", between: fault(githubapitest.Fault{Method: "DELETE", Path: revokePath, Status: 500, Count: -1}), ok: true},
		{name: "post/error body echoes the token", between: func(h *harness) {
			h.srv.InjectFault(githubapitest.Fault{Method: "DELETE", Path: revokePath, Status: 422,
				Body: `{"message":"Token ` + h.env["STATE_token"] + ` is invalid"}`})
		}, ok: true},
		{name: "error/404 not installed", env: in("INPUT_OWNER", "nobody")},
		{name: "error/404 no such app", env: in("INPUT_CLIENT-ID", "", "INPUT_APP-ID", "999")},
		{name: "error/401 wrong key", env: in("INPUT_PRIVATE-KEY", k["other"])},
		{name: "error/403 suspended", env: in("INPUT_OWNER", "frozen-org")},
		{name: "error/422 not accessible", env: in("INPUT_REPOSITORIES", "app,secret-repo")},
		{name: "error/422 permissions", before: fault(githubapitest.Fault{Method: "POST", Path: mintPath, Status: 422,
			Body: `{"message":"The permissions requested are not granted to this installation.","documentation_url":"https://docs.github.com/rest"}`})},
		{name: "error/permission pre-check", env: in("INPUT_PERMISSION-ADMINISTRATION", "write")},
		{name: "error/wrong API path", env: in("INPUT_GITHUB-API-URL", "{api}/api/v4")},
		{name: "error/output not writable", env: in("GITHUB_OUTPUT", "/nonexistent/dir/output")},
		{name: "retry/reset, 502 twice, 500 on revoke", before: func(h *harness) {
			h.srv.InjectFault(githubapitest.Fault{Method: "GET", Path: lookupPath, Reset: true})
			h.srv.InjectFault(githubapitest.Fault{Method: "POST", Path: mintPath, Status: 502, Count: 2})
			h.srv.InjectFault(githubapitest.Fault{Method: "DELETE", Path: revokePath, Status: 500})
		}, ok: true},
		{name: "retry/429 retry-after", before: fault(githubapitest.Fault{Method: "POST", Path: mintPath, Status: 429,
			Header: http.Header{"Retry-After": {"3"}}, Body: `{"message":"API rate limit exceeded"}`}), ok: true},
		{name: "retry/500 forever", before: fault(githubapitest.Fault{Method: "GET", Path: lookupPath, Status: 500, Count: -1})},
		{name: "retry/hung server", before: func(h *harness) {
			h.requestTimeout = hungAttempt
			h.srv.InjectFault(githubapitest.Fault{Method: "POST", Path: mintPath, Delay: time.Minute, Count: -1})
		}},
		{name: "retry/malformed json", before: fault(githubapitest.Fault{Method: "POST", Path: mintPath, Status: 201, Body: `{"token":`})},
		{name: "skew/GitHub behind", before: skew(-2 * time.Hour), ok: true},
		{name: "skew/GitHub ahead", before: skew(2 * time.Hour), ok: true},
	}
	var all []leakScenario
	for _, sc := range base {
		all = append(all, sc)
		if sc.name == "retry/hung server" {
			continue // slow, and its debug lines are in TestDebugLog
		}
		// Each scenario again in debug mode, and with GitHub's long tokens.
		dbg := sc
		dbg.name = "debug/" + sc.name
		dbg.env = in(debug, "1")
		for name, v := range sc.env {
			dbg.env[name] = v
		}
		all = append(all, dbg)
		lt := dbg
		lt.name = "long tokens/" + dbg.name
		lt.world = func(c *githubapitest.Config) {
			if sc.world != nil {
				sc.world(c)
			}
			long(c)
		}
		all = append(all, lt)
	}
	return all
}

// checkNoLeaks checks the runs' logs and errors, and the runner files in
// h.dir, for the private keys, the JWTs the emulator received and the tokens
// it issued (see [secrets]). It returns how many secrets it checked for. Its
// failure messages say where, never what.
func checkNoLeaks(t testing.TB, h *harness, runs ...trackedRun) int {
	t.Helper()
	s := harnessSecrets(h)
	for _, r := range runs {
		step := "main"
		if r.post {
			step = "post"
		}
		if line, kind := s.Find(errorText(r.err)); line > 0 {
			t.Errorf("%s step error line %d shows %s", step, line, kind)
		}
		for _, p := range s.CheckLog(r.log, r.issued) {
			t.Errorf("%s step %s", step, p)
		}
	}
	for _, p := range s.CheckFiles(h.dir) {
		t.Errorf("%s", p)
	}
	return runnertest.KeyLines(h.env["INPUT_PRIVATE-KEY"]) + len(h.srv.JWTs()) + len(h.srv.Tokens())
}

// harnessSecrets returns the secrets of h's emulator, with the key
// material of the private-key input and of any input a key was pasted
// into.
func harnessSecrets(h *harness) *runnertest.Secrets {
	keys := []string{h.env["INPUT_PRIVATE-KEY"]}
	for _, v := range h.env {
		if strings.Contains(v, "-----") {
			keys = append(keys, v)
		}
	}
	s := runnertest.SecretsOf(h.srv, keys...)
	if h.moreSecrets != nil {
		s.AddTokens(h.moreSecrets()...)
	}
	return s
}

// redactSecrets returns s redacted of h's secrets, for failure messages.
func redactSecrets(h *harness, s string) string {
	return harnessSecrets(h).Redact(s)
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// leakRecorder is a testing.TB that records failures instead of failing.
type leakRecorder struct {
	testing.TB
	failures int
}

func (r *leakRecorder) Helper()               {}
func (r *leakRecorder) Errorf(string, ...any) { r.failures++ }

// TestCheckNoLeaksCatches checks the checker: each way of showing a secret
// is caught, and a clean run passes.
func TestCheckNoLeaksCatches(t *testing.T) {
	t.Parallel()
	k := keyInputs()
	keyLine := strings.Split(k["pkcs1"], "\n")[5]
	tests := []struct {
		name string
		leak func(h *harness, r *trackedRun, token, jwt string)
		want bool // a leak is reported
	}{
		{name: "clean run", leak: func(*harness, *trackedRun, string, string) {}},
		{name: "token in a log line", want: true, leak: func(_ *harness, r *trackedRun, token, _ string) { r.log += "using " + token + "\n" }},
		{name: "token before its mask", want: true, leak: func(_ *harness, r *trackedRun, token, _ string) {
			r.log = "Created a token\n::add-mask::" + token + "\n"
		}},
		{name: "token never masked", want: true, leak: func(_ *harness, r *trackedRun, token, _ string) {
			r.log = strings.ReplaceAll(r.log, "::add-mask::"+token, "")
		}},
		{name: "JWT in the error", want: true, leak: func(_ *harness, r *trackedRun, _, jwt string) { r.err = errors.New("bad " + jwt) }},
		{name: "JWT signature in the log", want: true, leak: func(_ *harness, r *trackedRun, _, jwt string) {
			r.log += "sig " + jwt[strings.LastIndex(jwt, ".")+1:] + "\n"
		}},
		{name: "key line in the log", want: true, leak: func(_ *harness, r *trackedRun, _, _ string) { r.log += keyLine + "\n" }},
		{name: "16 characters of the key", want: true, leak: func(_ *harness, r *trackedRun, _, _ string) { r.log += "x" + keyLine[30:46] + "x\n" }},
		{name: "token in the summary", want: true, leak: func(h *harness, _ *trackedRun, token, _ string) {
			appendFile(t, filepath.Join(h.dir, "summary"), token+"\n")
		}},
		{name: "token in another output", want: true, leak: func(h *harness, _ *trackedRun, token, _ string) {
			appendFile(t, filepath.Join(h.dir, "output"), "other<<EOF\n"+token+"\nEOF\n")
		}},
		{name: "key line in the env file", want: true, leak: func(h *harness, _ *trackedRun, _, _ string) {
			appendFile(t, filepath.Join(h.dir, "env"), "KEY="+keyLine+"\n")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, testWorld(t))
			h.env["GITHUB_ENV"] = filepath.Join(h.dir, "env")
			r := h.runTracked(false)
			if r.err != nil || len(r.issued) != 1 || len(h.srv.JWTs()) == 0 {
				t.Fatalf("main step error = %v, %d tokens issued; want one token", redactSecrets(h, errorText(r.err)), len(r.issued))
			}
			tt.leak(h, &r, r.issued[0], h.srv.JWTs()[0])
			rec := &leakRecorder{TB: t}
			checkNoLeaks(rec, h, r)
			if got := rec.failures > 0; got != tt.want {
				t.Errorf("checkNoLeaks() reported %d leaks, want leaks %t", rec.failures, tt.want)
			}
		})
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnerfile"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// TestMain lets the test binary stand in for the action's binary under both
// names the runner starts it by, so that scripts exercise the argv[0]
// dispatch exactly as action.yml's entrypoint and post-entrypoint do.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"app-token":      main,
		"app-token-post": main,
	})
}

// TestScripts runs each testdata/script/*.txtar story against its own
// emulator. Each story runs the binary as the runner does: INPUT_* variables
// with the defaults action.yml declares, and the runner's files.
func TestScripts(t *testing.T) {
	t.Parallel()
	action, err := runnertest.ReadAction("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			world := runnertest.World()
			if _, err := os.Stat(filepath.Join(env.WorkDir, ".ghes")); err == nil {
				world.BasePath = "/api/v3"
			}
			srv, err := githubapitest.NewServer(world)
			if err != nil {
				return err
			}
			env.Defer(srv.Close)
			env.Values[emuKey{}] = &emuState{srv: srv}
			for k, v := range action.Defaults(srv.URL()) {
				env.Setenv(k, v)
			}
			work := env.WorkDir
			for k, v := range map[string]string{
				"INPUT_CLIENT-ID":         runnertest.ClientID,
				"INPUT_PRIVATE-KEY":       srv.PrivateKeyPEM(),
				"APP_ID":                  strconv.Itoa(runnertest.AppID),
				"GITHUB_API_URL":          srv.URL(),
				"GITHUB_SERVER_URL":       "https://github.com",
				"GITHUB_REPOSITORY":       "octo-org/app",
				"GITHUB_REPOSITORY_OWNER": "octo-org",
				"GITHUB_OUTPUT":           filepath.Join(work, "output"),
				"GITHUB_STATE":            filepath.Join(work, "state"),
				"GITHUB_STEP_SUMMARY":     filepath.Join(work, "summary"),
				"GITHUB_ENV":              filepath.Join(work, "env"),
				"GITHUB_ACTIONS":          "true",
			} {
				env.Setenv(k, v)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"emu":        cmdEmu,
			"runnerfile": cmdRunnerFile,
			"loadstate":  cmdLoadState,
			"noleak":     cmdNoLeak,
			"keyformat":  cmdKeyFormat,
			"envfile":    cmdEnvFile,
			"proxy":      cmdProxy,
		},
	})
}

type emuKey struct{}

// emuState is a script's emulator and how many of its requests "emu mark"
// set aside.
type emuState struct {
	srv   *githubapitest.Server
	mark  int
	proxy *forwardProxy
}

func emulator(ts *testscript.TestScript) *githubapitest.Server {
	return ts.Value(emuKey{}).(*emuState).srv
}

// cmdEmu drives the emulator:
//
//	emu requests            print "METHOD PATH STATUS" per request since the mark
//	emu mark                set the mark after the requests so far
//	emu body METHOD PATH    print the body of the last such request
//	emu header NAME         print header NAME of the last request
//	emu tokens              print each issued token's state (never its value)
//	emu skew DURATION       set the server clock's offset
//	emu expire              expire every issued token
//	emu fault [-count N] [-delay D] [-reset] [-header K:V] [-body S] METHOD PATH [STATUS]
func cmdEmu(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! emu")
	}
	if len(args) == 0 {
		ts.Fatalf("usage: emu requests|body|header|tokens|skew|expire|fault")
	}
	srv := emulator(ts)
	switch args[0] {
	case "mark":
		ts.Value(emuKey{}).(*emuState).mark = len(srv.Requests())
	case "requests":
		out := ts.Stdout() // even when empty, so that stdout is this command's
		for _, line := range requestLines(srv.Requests()[ts.Value(emuKey{}).(*emuState).mark:]) {
			fmt.Fprintln(out, line)
		}
	case "body", "header":
		reqs := srv.Requests()
		if len(reqs) == 0 {
			ts.Fatalf("no requests")
		}
		if args[0] == "header" {
			fmt.Fprintln(ts.Stdout(), reqs[len(reqs)-1].Header.Get(args[1]))
			return
		}
		for i := len(reqs) - 1; i >= 0; i-- {
			if reqs[i].Method == args[1] && reqs[i].Path == args[2] {
				fmt.Fprintln(ts.Stdout(), string(reqs[i].Body))
				return
			}
		}
		ts.Fatalf("no %s %s request", args[1], args[2])
	case "tokens":
		out := ts.Stdout()
		for _, tok := range srv.Tokens() {
			fmt.Fprintf(out, "installation=%d revoked=%t repositories=%s permissions=%s\n",
				tok.InstallationID, tok.Revoked, strings.Join(tok.Repositories, ","), apptoken.FormatPermissions(tok.Permissions))
		}
	case "skew":
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		srv.SetClockOffset(d)
	case "expire":
		for _, tok := range srv.Tokens() {
			srv.ExpireToken(tok.Value)
		}
	case "fault":
		fs := flag.NewFlagSet("fault", flag.ContinueOnError)
		count := fs.Int("count", 1, "")
		delay := fs.Duration("delay", 0, "")
		reset := fs.Bool("reset", false, "")
		header := fs.String("header", "", "")
		body := fs.String("body", "", "")
		ts.Check(fs.Parse(args[1:]))
		rest := fs.Args()
		if len(rest) < 2 {
			ts.Fatalf("usage: emu fault [flags] METHOD PATH [STATUS]")
		}
		f := githubapitest.Fault{Method: rest[0], Path: rest[1], Count: *count, Delay: *delay, Reset: *reset, Body: *body}
		if len(rest) > 2 {
			var err error
			f.Status, err = strconv.Atoi(rest[2])
			ts.Check(err)
		}
		if *header != "" {
			k, v, _ := strings.Cut(*header, ":")
			f.Header = http.Header{k: {v}}
		}
		srv.InjectFault(f)
	default:
		ts.Fatalf("unknown emu command %q", args[0])
	}
}

// cmdRunnerFile parses $GITHUB_OUTPUT or $GITHUB_STATE strictly and prints
// name=value lines, with issued tokens shown as <token> (see
// [secrets.redact]).
func cmdRunnerFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: runnerfile output|state|env")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		if neg {
			return
		}
		ts.Fatalf("%s was not written", args[0])
	}
	ts.Check(err)
	if neg {
		ts.Fatalf("%s was written", args[0])
	}
	entries, err := runnerfile.Parse(string(data))
	ts.Check(err)
	out := ts.Stdout()
	s := runnertest.SecretsOf(emulator(ts), ts.Getenv("INPUT_PRIVATE-KEY"))
	for _, e := range entries {
		fmt.Fprintf(out, "%s=%s\n", e.Name, s.Redact(e.Value))
	}
}

// cmdLoadState sets STATE_<name> for each entry of $GITHUB_STATE, as the
// runner does for the post step.
func cmdLoadState(ts *testscript.TestScript, neg bool, args []string) {
	data, err := os.ReadFile(ts.Getenv("GITHUB_STATE"))
	if os.IsNotExist(err) {
		return
	}
	ts.Check(err)
	entries, err := runnerfile.Parse(string(data))
	ts.Check(err)
	for _, e := range entries {
		ts.Setenv("STATE_"+e.Name, e.Value)
	}
}

// cmdNoLeak fails if the last command's stdout or stderr, or the runner's
// files, show the private key, a JWT the emulator received, or an issued
// token (see [secrets]). A token may appear only in its own ::add-mask::
// line, which must come before any other line but warnings, and as the
// value of "token" in the output and state files.
func cmdNoLeak(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! noleak")
	}
	s := runnertest.SecretsOf(emulator(ts), ts.Getenv("INPUT_PRIVATE-KEY"))
	problems := s.CheckLog(ts.ReadFile("stdout"), nil)
	for i, p := range problems {
		problems[i] = "stdout " + p
	}
	if line, kind := s.Find(ts.ReadFile("stderr")); line > 0 {
		problems = append(problems, fmt.Sprintf("stderr line %d shows %s", line, kind))
	}
	problems = append(problems, s.CheckFiles(ts.MkAbs("."))...)
	if len(problems) > 0 {
		ts.Fatalf("%s", strings.Join(problems, "\n"))
	}
}

// cmdKeyFormat sets INPUT_PRIVATE-KEY to a private-key input of
// [keyInputs] by kind: the app's key as pkcs1, pkcs8, escaped (literal \n),
// crlf, base64, indented, ..., or other (an unrelated key).
func cmdKeyFormat(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: keyformat KIND")
	}
	v, ok := runnertest.KeyInputs()[args[0]]
	if !ok {
		ts.Fatalf("unknown key format %q", args[0])
	}
	ts.Setenv("INPUT_PRIVATE-KEY", v)
}

// cmdEnvFile sets an environment variable to a file's contents, for
// multi-line inputs.
func cmdEnvFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: envfile NAME FILE")
	}
	ts.Setenv(args[0], ts.ReadFile(args[1]))
}

// requestLines returns "METHOD PATH STATUS" for each request.
func requestLines(reqs []githubapitest.Request) []string {
	out := make([]string, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
	}
	return out
}

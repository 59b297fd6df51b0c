package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnerfile"
	"github.com/ghapptoken/app-token-action/tools/imagecheck"
)

// Where the runner starts the two steps (action.yml's runs.entrypoint and
// runs.post-entrypoint).
const (
	mainArgv0 = "/usr/local/bin/app-token"
	postArgv0 = "/usr/local/bin/app-token-post"
)

// build builds the action's binary from the module at root for goos and
// goarch into out, with the Dockerfile's go build line.
func build(ctx context.Context, img imagecheck.Image, root, goos, goarch, out string) error {
	env, args, err := img.GoBuild(goos, goarch, out)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build for %s/%s: %w\n%s", goos, goarch, err, msg)
	}
	return nil
}

// step is one measured process.
type step struct {
	wall     time.Duration // from fork to exit
	rssKB    int64         // peak resident set size in KiB; 0 = not measured
	faults   int64         // minor page faults
	requests int           // requests the emulator received meanwhile
}

// newRunner returns a runner of the binary at mainPath against srv, with
// the runner's files in dir. defaults are action.yml's INPUT_* defaults,
// extra the image's ENV and then the -env assignments, later ones winning.
func newRunner(srv *githubapitest.Server, mainPath, dir string, defaults map[string]string, extra []string) (*runner, error) {
	postPath := filepath.Join(dir, "app-token-post")
	if err := os.Symlink(mainPath, postPath); err != nil {
		return nil, fmt.Errorf("link the post entrypoint: %w", err)
	}
	base := map[string]string{
		"INPUT_CLIENT-ID":         clientID,
		"INPUT_PRIVATE-KEY":       srv.PrivateKeyPEM(),
		"GITHUB_ACTIONS":          "true",
		"CI":                      "true",
		"RUNNER_OS":               "Linux",
		"GITHUB_REPOSITORY":       orgLogin + "/app",
		"GITHUB_REPOSITORY_OWNER": orgLogin,
		"GITHUB_API_URL":          srv.URL(),
		"GITHUB_SERVER_URL":       "https://github.com",
	}
	for k, v := range defaults {
		if v == apiURLExpr {
			v = srv.URL()
		}
		base[k] = v
	}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		base[k] = v
	}
	return &runner{srv: srv, mainPath: mainPath, postPath: postPath, dir: dir, base: base}, nil
}

// runner runs the steps of a case as the GitHub Actions runner does.
type runner struct {
	srv      *githubapitest.Server
	mainPath string // the binary
	postPath string // a symlink to it named app-token-post
	dir      string // holds the runner's files
	base     map[string]string
}

// once runs the main step of c and then the post step with the state the
// main step saved, and checks that a token was made and then revoked. With
// probe, it measures the peak RSS of the steps instead of their time.
func (r *runner) once(ctx context.Context, c benchCase, probe bool) (mainStep, postStep step, err error) {
	files := map[string]string{}
	for _, name := range []string{"output", "state", "summary"} {
		files[name] = filepath.Join(r.dir, name)
		if err := os.Remove(files[name]); err != nil && !errors.Is(err, os.ErrNotExist) {
			return step{}, step{}, err
		}
	}
	env := map[string]string{
		"GITHUB_OUTPUT":       files["output"],
		"GITHUB_STATE":        files["state"],
		"GITHUB_STEP_SUMMARY": files["summary"],
	}
	for k, v := range r.base {
		env[k] = v
	}
	for k, v := range c.inputs {
		env[k] = v
	}

	mainStep, err = r.exec(ctx, r.mainPath, mainArgv0, env, probe)
	if err != nil {
		return step{}, step{}, fmt.Errorf("main step: %w", err)
	}
	outputs, err := readRunnerFile(files["output"])
	if err != nil {
		return step{}, step{}, fmt.Errorf("main step: outputs: %w", err)
	}
	state, err := readRunnerFile(files["state"])
	if err != nil {
		return step{}, step{}, fmt.Errorf("main step: state: %w", err)
	}
	token := outputs["token"]
	switch {
	case token == "":
		return step{}, step{}, errors.New("main step: no token output")
	case state["token"] != token:
		return step{}, step{}, errors.New("main step: the state does not hold the token of the output")
	case outputs["installation-id"] == "" || outputs["expires-at"] == "":
		return step{}, step{}, errors.New("main step: installation-id or expires-at output missing")
	}

	for k, v := range state {
		env["STATE_"+k] = v
	}
	postStep, err = r.exec(ctx, r.postPath, postArgv0, env, probe)
	if err != nil {
		return step{}, step{}, fmt.Errorf("post step: %w", err)
	}
	if !r.revoked(token) {
		return step{}, step{}, errors.New("post step: the token was not revoked")
	}
	return mainStep, postStep, nil
}

// exec runs the binary at path with argv[0] and only env, and times it.
// With probe, it traces the child to read its peak RSS just before it
// exits, which perturbs the timing slightly. It fails when the step exits
// non-zero or reports an error or warning.
func (r *runner) exec(ctx context.Context, path, argv0 string, env map[string]string, probe bool) (step, error) {
	cmd := exec.CommandContext(ctx, path)
	cmd.Args[0] = argv0
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Dir = r.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	before := len(r.srv.Requests())

	var s step
	if probe {
		// Only the thread that started a tracee may trace it.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		traced(cmd)
	}
	start := time.Now()
	err := cmd.Start()
	if err == nil && probe {
		s.rssKB, err = peakRSS(cmd)
	}
	if err == nil {
		err = cmd.Wait()
	}
	s.wall = time.Since(start)

	if err == nil && (bytes.Contains(stdout.Bytes(), []byte("::error")) || bytes.Contains(stdout.Bytes(), []byte("::warning"))) {
		err = errors.New("reported a problem")
	}
	if err != nil {
		return step{}, fmt.Errorf("%w\n%s%s", err, r.redact(stdout.String()), r.redact(stderr.String()))
	}
	s.requests = len(r.srv.Requests()) - before
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.faults = ru.Minflt
	}
	return s, nil
}

// revoked reports whether the emulator issued token and it was revoked.
func (r *runner) revoked(token string) bool {
	for _, t := range r.srv.Tokens() {
		if t.Value == token {
			return t.Revoked
		}
	}
	return false
}

// redact hides the tokens the emulator issued, for error messages.
func (r *runner) redact(s string) string {
	for _, t := range r.srv.Tokens() {
		s = strings.ReplaceAll(s, t.Value, "***")
	}
	return s
}

// readRunnerFile parses a $GITHUB_OUTPUT or $GITHUB_STATE file strictly.
func readRunnerFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	entries, err := runnerfile.Parse(string(b))
	if err != nil {
		return nil, err
	}
	return runnerfile.Map(entries), nil
}

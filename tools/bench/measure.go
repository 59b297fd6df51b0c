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
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
	"github.com/ghapptoken/app-token-action/internal/runnertest"
	"github.com/ghapptoken/app-token-action/tools/imagecheck"
)

// Where the runner starts the two steps (action.yml's runs.entrypoint and
// runs.post-entrypoint). The programs pick the step by argv[0].
const (
	mainArgv0 = "/usr/local/bin/app-token"
	postArgv0 = "/usr/local/bin/app-token-post"
)

// build builds the action's binary from the module at root for goos and
// goarch into out, with the Dockerfile's go build line.
func build(ctx context.Context, img imagecheck.Image, root, goos, goarch, out string) error {
	return goBuild(ctx, img, root, goos, goarch, out, "")
}

// goBuild runs the Dockerfile's go build line in dir for goos and goarch,
// into out, with the build tags tags ("" for none).
func goBuild(ctx context.Context, img imagecheck.Image, dir, goos, goarch, out, tags string) error {
	env, args, err := img.GoBuild(goos, goarch, out)
	if err != nil {
		return err
	}
	if tags != "" {
		args = slices.Insert(args, 1, "-tags="+tags)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s for %s/%s: %w\n%s", dir, goos, goarch, err, msg)
	}
	return nil
}

// program is a binary whose main and post steps the bench runs: the
// action's, or a reference action's.
type program struct {
	name, about string
	path        string
	size        int64 // bytes
}

// The programs, in the order of [result.runs]: the action first.
const (
	progAction = iota
	progRef
	progRefSignal
)

// buildPrograms returns the action's binary at mainPath and the two
// builds of the reference action (tools/bench/refaction), made in dir
// with the Dockerfile's go build line.
func buildPrograms(ctx context.Context, img imagecheck.Image, root, mainPath, dir string) ([]program, error) {
	progs := []program{
		{name: "action", about: "the action's binary", path: mainPath},
		{name: "reference", about: "tools/bench/refaction: the same requests and files, standard library only", path: filepath.Join(dir, "refaction")},
		{name: "ref+signal", about: "the reference with signal.NotifyContext, as the action's main sets up", path: filepath.Join(dir, "refaction-signal")},
	}
	src := filepath.Join(root, "tools", "bench", "refaction")
	for i, tags := range map[int]string{progRef: "", progRefSignal: "refsignal"} {
		fmt.Fprintf(os.Stderr, "building the reference action %s ...\n", progs[i].name)
		if err := goBuild(ctx, img, src, runtime.GOOS, runtime.GOARCH, progs[i].path, tags); err != nil {
			return nil, err
		}
	}
	for i := range progs {
		fi, err := os.Stat(progs[i].path)
		if err != nil {
			return nil, err
		}
		progs[i].size = fi.Size()
	}
	return progs, nil
}

// step is one measured process.
type step struct {
	wall     time.Duration // from fork to exit
	rssKB    int64         // peak resident set size in KiB; 0 = not measured
	faults   int64         // minor page faults
	requests int           // requests the emulator received meanwhile
}

// bench runs programs against srv, in the runner's environment that
// package runnertest makes.
type bench struct {
	srv   *githubapitest.Server
	act   *runnertest.Action
	dir   string   // holds a directory of runner files per case
	extra []string // KEY=VALUE after the runner's: the image's ENV, then -env
}

// newRunner returns the runner of case c: action.yml's defaults, the
// runner's variables and files, the app's client ID and key, the case's
// inputs, and b.extra last.
func (b *bench) newRunner(c runnertest.Case) (*runnertest.Runner, error) {
	dir := filepath.Join(b.dir, "runner-"+c.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	r := runnertest.New(runnertest.Job{Action: b.act, APIURL: b.srv.URL(), Repository: runnertest.BenchRepository, Dir: dir})
	r.Set("client-id", runnertest.BenchClientID)
	r.Set("private-key", b.srv.PrivateKeyPEM())
	c.Apply(r)
	for _, kv := range b.extra {
		k, v, _ := strings.Cut(kv, "=")
		r.Env[k] = v
	}
	return r, nil
}

// once runs the main step of prog with r, then its post step with the
// state the main step saved, and checks that a token was made and then
// revoked. With probe, it measures the peak RSS of the steps instead of
// their time.
func (b *bench) once(ctx context.Context, prog program, r *runnertest.Runner, probe bool) (mainStep, postStep step, err error) {
	if err := r.Reset(); err != nil {
		return step{}, step{}, err
	}
	mainStep, err = b.exec(ctx, prog.path, mainArgv0, r.Dir, r.Environ(), probe)
	if err != nil {
		return step{}, step{}, fmt.Errorf("main step: %w", err)
	}
	outputs, err := r.Outputs()
	if err != nil {
		return step{}, step{}, fmt.Errorf("main step: outputs: %w", err)
	}
	state, err := r.State()
	if err != nil {
		return step{}, step{}, fmt.Errorf("main step: state: %w", err)
	}
	token := outputs["token"]
	switch {
	case token == "":
		return step{}, step{}, errors.New("main step: no token output")
	case state["token"] != token:
		return step{}, step{}, errors.New("main step: the state does not hold the token of the output")
	case outputs["installation-id"] == "" || outputs["expires-at"] == "" || outputs["app-slug"] == "":
		return step{}, step{}, errors.New("main step: installation-id, app-slug or expires-at output missing")
	}

	if err := r.LoadState(); err != nil {
		return step{}, step{}, err
	}
	postStep, err = b.exec(ctx, prog.path, postArgv0, r.Dir, r.Environ(), probe)
	if err != nil {
		return step{}, step{}, fmt.Errorf("post step: %w", err)
	}
	if !b.revoked(token) {
		return step{}, step{}, errors.New("post step: the token was not revoked")
	}
	return mainStep, postStep, nil
}

// exec runs the binary at path with argv[0] and only env, in dir, and
// times it. With probe, it traces the child to read its peak RSS just
// before it exits, which perturbs the timing slightly. It fails when the
// step exits non-zero or reports an error or warning.
func (b *bench) exec(ctx context.Context, path, argv0, dir string, env []string, probe bool) (step, error) {
	cmd := exec.CommandContext(ctx, path)
	cmd.Args[0] = argv0
	cmd.Env = append([]string{}, env...) // never nil: nil would pass on this process's environment
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	before := len(b.srv.Requests())

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
		return step{}, fmt.Errorf("%w\n%s%s", err, b.redact(stdout.String()), b.redact(stderr.String()))
	}
	s.requests = len(b.srv.Requests()) - before
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.faults = ru.Minflt
	}
	return s, nil
}

// revoked reports whether the emulator issued token and it was revoked.
func (b *bench) revoked(token string) bool {
	for _, t := range b.srv.Tokens() {
		if t.Value == token {
			return t.Revoked
		}
	}
	return false
}

// redact hides the tokens and JWTs the emulator saw and the app's key,
// for error messages.
func (b *bench) redact(s string) string {
	return runnertest.SecretsOf(b.srv, b.srv.PrivateKeyPEM()).Redact(s)
}

// caseNames returns the names of the cases, in run order.
func caseNames() []string {
	var names []string
	for _, c := range runnertest.BenchCases(nil) {
		names = append(names, c.Name)
	}
	return names
}

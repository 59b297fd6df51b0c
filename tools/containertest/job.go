package containertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// Where the runner mounts its directories in a container action's
// container, and the working directory it gives.
const (
	HomeDir         = "/github/home"
	WorkflowDir     = "/github/workflow"
	FileCommandsDir = "/github/file_commands"
	WorkspaceDir    = "/github/workspace"
)

// Mount is a docker run -v bind mount.
type Mount struct {
	Host, Container string
	ReadOnly        bool
}

// Job is a job's runner for a container action: the runner's directories
// on the host, the mounts that show them to the container, and the next
// step's environment with the paths the container sees. Tests change any
// field before a run: drop a mount, make one read-only, unset a variable.
type Job struct {
	Runner *runnertest.Runner // Runner.Dir is the file-command directory on the host
	Mounts []Mount
	Action *runnertest.Action
	// Flags are more docker run flags, put before the image.
	Flags []string
}

// NewJob lays out a runner's directories under dir (an empty directory)
// and returns a job whose next step is the main step of action for
// repository against the API at apiURL. Its environment is runnertest's,
// with the file-command paths, HOME, the workspace and the event file
// moved to where the runner mounts them.
func NewJob(dir string, action *runnertest.Action, apiURL, repository string) (*Job, error) {
	host := map[string]string{}
	for _, d := range []string{"_github_home", "_github_workflow", "_runner_file_commands", "workspace"} {
		host[d] = filepath.Join(dir, d)
		if err := os.Mkdir(host[d], 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(host["_github_workflow"], "event.json"), []byte("{}\n"), 0o644); err != nil {
		return nil, err
	}
	r := runnertest.New(runnertest.Job{Action: action, APIURL: apiURL, Repository: repository, Dir: host["_runner_file_commands"]})
	maps.Copy(r.Env, map[string]string{
		"GITHUB_OUTPUT":       FileCommandsDir + "/output",
		"GITHUB_STATE":        FileCommandsDir + "/state",
		"GITHUB_STEP_SUMMARY": FileCommandsDir + "/summary",
		"GITHUB_ENV":          FileCommandsDir + "/env",
		"GITHUB_WORKSPACE":    WorkspaceDir,
		"GITHUB_EVENT_PATH":   WorkflowDir + "/event.json",
		"HOME":                HomeDir,
		// The runner passes its own temporary directory's host path,
		// which is not mounted.
		"RUNNER_TEMP": "/home/runner/work/_temp",
	})
	return &Job{
		Runner: r,
		Action: action,
		Mounts: []Mount{
			{Host: host["_github_home"], Container: HomeDir},
			{Host: host["_github_workflow"], Container: WorkflowDir},
			{Host: host["_runner_file_commands"], Container: FileCommandsDir},
			{Host: host["workspace"], Container: WorkspaceDir},
		},
	}, nil
}

// DropMount removes the mount at the container path p.
func (j *Job) DropMount(p string) {
	j.Mounts = slices.DeleteFunc(j.Mounts, func(m Mount) bool { return m.Container == p })
}

// Step is one docker run of a step.
type Step struct {
	Name string // the container's name
	args []string
	env  []string
}

// Main returns the main step as the runner runs it: the image with
// action.yml's runs.entrypoint and no arguments.
func (j *Job) Main(img Image) Step { return j.step(img, j.Action.Runs.Entrypoint) }

// Post returns the post step as the runner runs it: the state saved so
// far passed as STATE_*, and action.yml's runs.post-entrypoint.
func (j *Job) Post(img Image) (Step, error) {
	if err := j.Runner.LoadState(); err != nil {
		return Step{}, err
	}
	return j.step(img, j.Action.Runs.PostEntrypoint), nil
}

// step returns the docker run of img with entrypoint, with the runner's
// flags: --rm, the working directory, one -e NAME per variable (the value
// comes from the docker command's environment, as the runner passes them,
// so no input shows on a command line), the mounts, and the host's network
// (the emulator listens on loopback; the runner uses a job network).
func (j *Job) step(img Image, entrypoint string) Step {
	name := "ct-" + randomHex(6)
	args := []string{"run", "--rm", "--name", name, "--network", "host", "--workdir", WorkspaceDir}
	var env []string
	for _, k := range slices.Sorted(maps.Keys(j.Runner.Env)) {
		args = append(args, "-e", k)
		env = append(env, k+"="+j.Runner.Env[k])
	}
	for _, m := range j.Mounts {
		v := m.Host + ":" + m.Container
		if m.ReadOnly {
			v += ":ro"
		}
		args = append(args, "-v", v)
	}
	if entrypoint != "" {
		args = append(args, "--entrypoint", entrypoint)
	}
	args = append(args, j.Flags...)
	args = append(args, img.ID)
	return Step{Name: name, args: args, env: env}
}

// Result is what a finished step left.
type Result struct {
	Log      string // the container's standard output and error
	ExitCode int
	Wall     time.Duration // from docker run's start to its exit
}

// Run runs the step to its end and returns its log and exit code. Its
// error is for a step that could not run; a step that fails is a Result
// with a non-zero ExitCode.
func (s Step) Run(ctx context.Context, e *Engine) (Result, error) {
	cmd := s.Command(ctx, e)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	err := cmd.Run()
	res := Result{Log: log.String(), Wall: time.Since(start), ExitCode: cmd.ProcessState.ExitCode()}
	if err != nil && res.ExitCode <= 0 {
		return res, fmt.Errorf("docker run: %w", err)
	}
	return res, nil
}

// Command returns the step's docker run command, not started.
func (s Step) Command(ctx context.Context, e *Engine) *exec.Cmd {
	return e.Command(ctx, s.env, s.args...)
}

// Remove removes the step's container if it is still there, as after a
// docker run that was killed.
func (s Step) Remove(ctx context.Context, e *Engine) {
	e.Command(ctx, nil, "rm", "-f", s.Name).Run()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

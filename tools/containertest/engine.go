package containertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// RunCommand is the one command that starts an engine and runs these tests,
// from the repository root.
const RunCommand = "tools/containertest/run.sh"

// ErrNoEngine is returned by [FromEnv] when no engine is configured.
var ErrNoEngine = errors.New("no Docker engine configured: DOCKER_HOST is not set; run " + RunCommand)

// Engine is a Docker engine driven with the docker command. The zero value
// is not usable; get one from [FromEnv].
type Engine struct {
	host string // DOCKER_HOST
}

// FromEnv returns the engine DOCKER_HOST names, checked with docker version.
// It returns [ErrNoEngine] when DOCKER_HOST is unset or empty, and another
// error, with the engine's words, when the engine cannot be used.
func FromEnv(ctx context.Context, getenv func(string) string) (*Engine, error) {
	host := getenv("DOCKER_HOST")
	if host == "" {
		return nil, ErrNoEngine
	}
	e := &Engine{host: host}
	if _, err := e.Output(ctx, "version", "--format", "{{.Server.Version}}"); err != nil {
		return nil, fmt.Errorf("DOCKER_HOST=%s is set but the engine is unusable: %w", host, err)
	}
	return e, nil
}

// SocketPath returns the engine's unix socket on the host, or "" when the
// engine is not reached through one.
func (e *Engine) SocketPath() string {
	p, _ := strings.CutPrefix(e.host, "unix://")
	if p == e.host {
		return ""
	}
	return p
}

// Command returns a docker command for args whose environment is env and
// DOCKER_HOST only, plus PATH to find docker's helpers: the step variables
// that docker run passes by name (-e NAME) come from env, and nothing of
// the host leaks into the container by accident.
func (e *Engine) Command(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "DOCKER_HOST=" + e.host}, env...)
	return cmd
}

// Output runs docker with args and returns its standard output. Its error
// holds docker's standard error.
func (e *Engine) Output(ctx context.Context, args ...string) (string, error) {
	cmd := e.Command(ctx, nil, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

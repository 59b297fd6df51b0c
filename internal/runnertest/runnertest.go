// Package runnertest plays the GitHub Actions runner for the action, once,
// for every user that needs it: the in-process tests, the testscript
// stories, the demo command and the benchmarks. It reads action.yml the
// one way ([ReadAction]), applies its defaults as the runner does, lays out
// the runner's files, builds the environments of the main and the post
// step, and reads back the outputs, the state and the job summary.
//
// It is test support: the shipped binary never imports it.
package runnertest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sethvargo/go-githubactions"
	"gopkg.in/yaml.v3"

	"github.com/ghapptoken/app-token-action/internal/runnerfile"
)

// Action is action.yml: the keys GitHub defines for a container action.
type Action struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Author      string `yaml:"author"`
	Branding    struct {
		Icon  string `yaml:"icon"`
		Color string `yaml:"color"`
	} `yaml:"branding"`
	Inputs  map[string]Input `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs Runs `yaml:"runs"`
}

// Runs is action.yml's runs section.
type Runs struct {
	Using          string            `yaml:"using"`
	Image          string            `yaml:"image"`
	PreEntrypoint  string            `yaml:"pre-entrypoint"`
	PreIf          string            `yaml:"pre-if"`
	Entrypoint     string            `yaml:"entrypoint"`
	PostEntrypoint string            `yaml:"post-entrypoint"`
	PostIf         string            `yaml:"post-if"`
	Args           []string          `yaml:"args"`
	Env            map[string]string `yaml:"env"`
}

// Input is one input as action.yml declares it.
type Input struct {
	Description        string  `yaml:"description"`
	Required           bool    `yaml:"required"`
	Default            *string `yaml:"default"` // nil: no default
	DeprecationMessage string  `yaml:"deprecationMessage"`
}

// ReadAction reads and decodes the action.yml at path. A key that [Action]
// does not know fails it, so that a typo cannot hide.
func ReadAction(path string) (*Action, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read action.yml: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var a Action
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return &a, nil
}

// InputEnv returns the name of the variable the runner passes input name
// in: INPUT_ and the name upper-cased, hyphens kept.
func InputEnv(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// Defaults returns the variables the runner sets for the inputs a
// declares: every declared input, its default or empty (the runner passes
// them all), with ${{ github.api_url }} evaluated to apiURL.
func (a *Action) Defaults(apiURL string) map[string]string {
	env := make(map[string]string, len(a.Inputs))
	for name, in := range a.Inputs {
		v := ""
		if in.Default != nil {
			v = *in.Default
		}
		if v == "${{ github.api_url }}" {
			v = apiURL
		}
		env[InputEnv(name)] = v
	}
	return env
}

// Runner is one job's runner: its file-command directory and the
// environment of the step it runs next. Set inputs with [Runner.Set] or
// directly in Env.
type Runner struct {
	Dir string            // holds output, state, summary and env files
	Env map[string]string // the step's environment
}

// Job describes the job a Runner runs the action in.
type Job struct {
	Action     *Action // the action's declaration, for the input defaults
	APIURL     string  // GITHUB_API_URL, and ${{ github.api_url }}
	ServerURL  string  // GITHUB_SERVER_URL; "" is https://github.com
	Repository string  // GITHUB_REPOSITORY, "owner/name"
	Dir        string  // an empty directory for the runner's files
}

// New returns a runner for job, with the environment of a main step: the
// action's input defaults and the runner's GITHUB_* and RUNNER_* variables.
func New(job Job) *Runner {
	server := job.ServerURL
	if server == "" {
		server = "https://github.com"
	}
	env := job.Action.Defaults(job.APIURL)
	owner, _, _ := strings.Cut(job.Repository, "/")
	maps.Copy(env, map[string]string{
		"GITHUB_ACTIONS":          "true",
		"CI":                      "true",
		"GITHUB_API_URL":          job.APIURL,
		"GITHUB_SERVER_URL":       server,
		"GITHUB_REPOSITORY":       job.Repository,
		"GITHUB_REPOSITORY_OWNER": owner,
		"GITHUB_OUTPUT":           filepath.Join(job.Dir, "output"),
		"GITHUB_STATE":            filepath.Join(job.Dir, "state"),
		"GITHUB_STEP_SUMMARY":     filepath.Join(job.Dir, "summary"),
		"GITHUB_ENV":              filepath.Join(job.Dir, "env"),
		"RUNNER_OS":               "Linux",
		"RUNNER_TEMP":             job.Dir,
	})
	return &Runner{Dir: job.Dir, Env: env}
}

// Set sets input name to value, as a with: entry would.
func (r *Runner) Set(name, value string) { r.Env[InputEnv(name)] = value }

// Environ returns r.Env as "KEY=value" entries, sorted.
func (r *Runner) Environ() []string {
	out := make([]string, 0, len(r.Env))
	for _, k := range slices.Sorted(maps.Keys(r.Env)) {
		out = append(out, k+"="+r.Env[k])
	}
	return out
}

// Action returns an Action that reads the step's inputs and variables from
// r.Env and writes its workflow commands to log.
func (r *Runner) Action(log io.Writer) *githubactions.Action {
	env := r.Env
	return githubactions.New(githubactions.WithWriter(log), githubactions.WithGetenv(func(k string) string { return env[k] }))
}

// Outputs returns the step outputs written so far, parsed strictly; none
// when the file does not exist.
func (r *Runner) Outputs() (map[string]string, error) { return r.readEntries("output") }

// State returns the state saved so far, parsed strictly.
func (r *Runner) State() (map[string]string, error) { return r.readEntries("state") }

// Summary returns the job summary written so far, or "".
func (r *Runner) Summary() (string, error) {
	b, err := os.ReadFile(filepath.Join(r.Dir, "summary"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return string(b), err
}

// LoadState passes the saved state to the next step as the runner passes
// it to the post step: STATE_<name>.
func (r *Runner) LoadState() error {
	state, err := r.State()
	if err != nil {
		return err
	}
	for k, v := range state {
		r.Env["STATE_"+k] = v
	}
	return nil
}

func (r *Runner) readEntries(name string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(r.Dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	entries, err := runnerfile.Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s file: %w", name, err)
	}
	return runnerfile.Map(entries), nil
}

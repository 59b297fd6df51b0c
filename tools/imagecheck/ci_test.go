package imagecheck

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// ciScript is the one CI script, run by ci.yml and on every machine.
const ciScript = ".ci/run"

// checkCI checks the CI workflow src, and ciRun, the text of .ci/run, for
// what the README and RELEASING.md promise, and what the release workflow
// relies on when it calls it: on pushes, pull requests and workflow_call,
// a job runs `bash .ci/run` after actions/setup-go with go.mod's version,
// so that GitHub and every other machine run one list of checks; and
// .ci/run holds them: gofmt, go vet and the tests of both modules (the
// tools module's tests run actionlint), staticcheck, govulncheck, the
// release's CLI build, and the container tests. The workflow also builds
// the image, loads it and runs the smoke test (smoke-image.sh: its main
// and post step against the emulator), its post step after a main step
// that created no token and with no state at all; and
// it builds the image for every release platform.
func checkCI(src []byte, ciRun string) ([]string, error) {
	var wf struct {
		On   yaml.Node              `yaml:"on"`
		Jobs map[string]workflowJob `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(src, &wf); err != nil {
		return nil, fmt.Errorf("parse CI workflow: %w", err)
	}
	var problems []string
	events := triggers(&wf.On)
	for _, want := range []string{"push", "pull_request", "workflow_call"} {
		if !slices.Contains(events, want) {
			problems = append(problems, "not run on "+want)
		}
	}

	var steps []workflowStep
	for _, j := range wf.Jobs {
		steps = append(steps, j.Steps...)
	}
	runsScript := false
	for _, j := range wf.Jobs {
		i := j.step(func(s workflowStep) bool { return regexp.MustCompile(`\bbash \.ci/run\b`).MatchString(s.Run) })
		if i < 0 {
			continue
		}
		runsScript = true
		setup := j.step(func(s workflowStep) bool { return s.uses("actions/setup-go") })
		if setup < 0 || setup > i || j.Steps[setup].With["go-version-file"] != "go.mod" {
			problems = append(problems, "the job that runs .ci/run does not install Go first with actions/setup-go (go-version-file: go.mod)")
		}
	}
	if !runsScript {
		problems = append(problems, "no step runs bash "+ciScript+", the checks of every machine")
	}
	for _, cmd := range []string{"gofmt -l", "go vet ./...", "go test ./...", "go -C tools vet ./...", "go -C tools test ./...", "tool -n staticcheck", "tool staticcheck ./...", "tool -n govulncheck", "bash " + buildScript, "tools/containertest/run.sh"} {
		if !slices.ContainsFunc(strings.Split(ciRun, "\n"), func(l string) bool {
			l = strings.TrimSpace(l)
			return strings.Contains(l, cmd) && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "echo ")
		}) {
			problems = append(problems, ciScript+" does not run "+cmd)
		}
	}

	// One EXIT trap: a second `trap ... EXIT` replaces the first, and
	// leaves what it cleaned up (the busy loops, the release build's
	// directory) behind when the run fails or is stopped.
	if n := len(regexp.MustCompile(`(?m)^\s*trap .*\bEXIT\s*$`).FindAllString(ciRun, -1)); n != 1 {
		problems = append(problems, fmt.Sprintf("%s sets %d EXIT traps, want one cleanup for the whole run", ciScript, n))
	}

	// Tools run from a go.mod's tool lines, where Dependabot sees them,
	// never as go run MODULE@VERSION.
	goRunAt := regexp.MustCompile(`go run (\S+@\S+)`)
	runs := []string{ciRun}
	for _, s := range steps {
		runs = append(runs, s.Run)
	}
	for _, run := range runs {
		for _, m := range goRunAt.FindAllStringSubmatch(run, -1) {
			problems = append(problems, "go run "+m[1]+" pins a tool outside a go.mod; add it as a tool line of tools/go.mod")
		}
	}

	// The smoke runs use the image that a build step of the same job loaded.
	// The post step runs twice in the loaded image: after a main step that
	// created no token (its state mark, STATE_main=started) and with no
	// state at all, as nektos/act runs it.
	var smoke, postStarted, postNoState bool
	for _, j := range wf.Jobs {
		i := slices.IndexFunc(j.Steps, func(s workflowStep) bool {
			return s.uses("docker/build-push-action") && s.With["load"] == "true" && s.With["tags"] != ""
		})
		if i < 0 {
			continue
		}
		image := j.Steps[i].With["tags"]
		for _, s := range j.Steps[i+1:] {
			// The shell words of the script, near enough: split also at quotes
			// and at the parentheses of $(...).
			run := strings.FieldsFunc(s.Run, func(r rune) bool { return strings.ContainsRune(" \t\n\"'()$;|&<>`", r) })
			if !slices.Contains(run, image) {
				continue
			}
			if j := slices.Index(run, smokeScript); j >= 0 && j+1 < len(run) && run[j+1] == image {
				smoke = true
			}
			if strings.Contains(s.Run, "docker run") && strings.Contains(s.Run, "--entrypoint /usr/local/bin/"+postName) {
				if strings.Contains(s.Run, "-e STATE_main=started") {
					postStarted = true
				} else if !strings.Contains(s.Run, "STATE_") {
					postNoState = true
				}
			}
		}
	}
	if !smoke {
		problems = append(problems, "no step runs "+smokeScript+" on the image that a docker/build-push-action step before it loads")
	}
	if !postStarted {
		problems = append(problems, "no step runs the post step (--entrypoint /usr/local/bin/"+postName+") in the loaded image after a main step that created no token (-e STATE_main=started)")
	}
	if !postNoState {
		problems = append(problems, "no step runs the post step (--entrypoint /usr/local/bin/"+postName+") in the loaded image with no state")
	}
	if !slices.ContainsFunc(steps, func(s workflowStep) bool {
		p := s.platforms()
		return s.uses("docker/build-push-action") && slices.Contains(p, "linux/amd64") && slices.Contains(p, "linux/arm64")
	}) {
		problems = append(problems, "no docker/build-push-action step builds for linux/amd64 and linux/arm64, the release platforms")
	}
	return problems, nil
}

// triggers returns the event names of a workflow's on: a name, a list of
// names, or a mapping from name to its filters.
func triggers(on *yaml.Node) []string {
	switch on.Kind {
	case yaml.ScalarNode:
		return []string{on.Value}
	case yaml.SequenceNode:
		var names []string
		for _, n := range on.Content {
			names = append(names, n.Value)
		}
		return names
	case yaml.MappingNode:
		var names []string
		for i := 0; i < len(on.Content); i += 2 {
			names = append(names, on.Content[i].Value)
		}
		return names
	}
	return nil
}

func TestCIWorkflow(t *testing.T) {
	t.Parallel()
	problems, err := checkCI([]byte(repoFile(t, ".github/workflows/ci.yml")), repoFile(t, ciScript))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("ci.yml: %s", p)
	}
}

// TestCIWorkflowDefects feeds checkCI the CI workflow and .ci/run with one
// promise broken each.
func TestCIWorkflowDefects(t *testing.T) {
	t.Parallel()
	src, ciRun := repoFile(t, ".github/workflows/ci.yml"), repoFile(t, ciScript)
	tests := []struct {
		name, file, old, new, want string
	}{
		{"pull requests untested", "", "  pull_request:\n", "", "not run on pull_request"},
		{"not callable by the release", "", "  workflow_call:\n", "", "not run on workflow_call"},
		{"own list of checks", "", `bash .ci/run`, "go test ./...", "no step runs bash .ci/run"},
		{"no Go installed", "", "          go-version-file: go.mod\n      - name: The checks", "          go-version: stable\n      - name: The checks", "install Go first"},
		{"no tests", ciScript, "\ngo test ./...\n", "\ngo build ./...\n", "does not run go test ./..."},
		{"no vet", ciScript, "\ngo vet ./...\n", "\ntrue\n", "does not run go vet ./..."},
		{"no staticcheck", ciScript, `"$(go -C tools tool -n staticcheck)" ./...`, "true", "does not run tool -n staticcheck"},
		{"no govulncheck", ciScript, `  "$(go -C tools tool -n govulncheck)" ./...`, "  true", "does not run tool -n govulncheck"},
		{"tool by go run @version", ciScript, `  "$(go -C tools tool -n govulncheck)" ./...`, "  go run golang.org/x/vuln/cmd/govulncheck@v1.9.0 ./... # tool -n govulncheck", "go run golang.org/x/vuln/cmd/govulncheck@v1.9.0 pins a tool outside a go.mod"},
		{"tools untested", ciScript, "go -C tools test ./...\n", "true\n", "does not run go -C tools test ./..."},
		{"second EXIT trap", ciScript, "rel=\"$(mktemp -d)\"\n", "rel=\"$(mktemp -d)\"\ntrap 'rm -rf \"$rel\"' EXIT\n", "sets 2 EXIT traps"},
		{"no container tests", ciScript, "\ntools/containertest/run.sh\ntools/containertest/run.sh cost", "\ntrue\ntrue cost", "does not run tools/containertest/run.sh"},
		{"image not loaded", "", "load: true", "load: false", "runs " + smokeScript},
		{"no smoke test", "", "run: " + smokeScript + " app-token:ci", "run: docker image ls app-token:ci", "runs " + smokeScript},
		{"smoke test of another image", "", smokeScript + " app-token:ci", smokeScript + " alpine", "runs " + smokeScript},
		{"no post step after a main step", "", "-e STATE_main=started --entrypoint /usr/local/bin/app-token-post", "-e STATE_main=started --entrypoint /usr/local/bin/app-token", "runs the post step (--entrypoint /usr/local/bin/app-token-post) in the loaded image after a main step"},
		{"no post step without state", "", "docker run --rm --entrypoint /usr/local/bin/app-token-post", "docker run --rm --entrypoint /usr/local/bin/app-token", "runs the post step (--entrypoint /usr/local/bin/app-token-post) in the loaded image with no state"},
		{"post step without state given state", "", "docker run --rm --entrypoint /usr/local/bin/app-token-post", "docker run --rm -e STATE_token=x --entrypoint /usr/local/bin/app-token-post", "with no state"},
		{"amd64 only", "", "platforms: linux/amd64,linux/arm64", "platforms: linux/amd64", "release platforms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, c := src, ciRun
			if tt.file == ciScript {
				c = mutate(t, ciScript, c, tt.old, tt.new)
			} else {
				w = mutate(t, "ci.yml", w, tt.old, tt.new)
			}
			problems, err := checkCI([]byte(w), c)
			if err != nil {
				t.Fatal(err)
			}
			if !hasProblem(problems, tt.want) {
				t.Errorf("checkCI() = %q, want one containing %q", problems, tt.want)
			}
		})
	}
}

// checkSmokeScript checks the smoke test's promises: it runs the image it
// is given, main step and post step, on the host network against the
// emulator of cmd/demo -serve, and checks the outputs and the revocation.
func checkSmokeScript(src string) []string {
	var problems []string
	for _, c := range []struct{ want, problem string }{
		{`image="$1"`, "does not run the image given as its argument"},
		{"./cmd/demo", "does not build the emulator from ./cmd/demo"},
		{`-serve 127.0.0.1:0 -key`, "does not start the emulator with -serve ADDR -key FILE on a port of the kernel's choosing"},
		{"docker run --rm --network host", "does not run the image with --network host, where the emulator is"},
		{"step /usr/local/bin/app-token)", "does not run the main step (/usr/local/bin/app-token)"},
		{"step /usr/local/bin/" + postName + " ", "does not run the post step (/usr/local/bin/" + postName + ")"},
		{"entry \"$dir/runner/output\" token", "does not check the token output"},
		{"grep -qx 'Token revoked'", "does not check the post step's log"},
		{"'DELETE /installation/token -> 204'", "does not check the revocation in the emulator's request log"},
		{"'tokens: 1 issued, 1 revoked'", "does not check that the emulator's token is revoked"},
	} {
		if !strings.Contains(src, c.want) {
			problems = append(problems, c.problem)
		}
	}
	return problems
}

func TestSmokeScript(t *testing.T) {
	t.Parallel()
	src := repoFile(t, smokeScript)
	for _, p := range checkSmokeScript(src) {
		t.Errorf("%s %s", smokeScript, p)
	}
	tests := []struct {
		name, old, new, want string
	}{
		{"image hard-coded", `image="$1"`, "image=app-token:ci", "the image given"},
		{"no emulator", `"$dir/demo" -serve 127.0.0.1:0 -key`, `"$dir/demo" 127.0.0.1:0 -key`, "-serve ADDR"},
		{"fixed port", `-serve 127.0.0.1:0 -key`, `-serve 127.0.0.1:8089 -key`, "kernel's choosing"},
		{"bridge network", "docker run --rm --network host", "docker run --rm", "--network host"},
		{"no main step", "step /usr/local/bin/app-token)", "true)", "main step"},
		{"post step is the main step", "step /usr/local/bin/app-token-post ", "step /usr/local/bin/app-token ", "post step"},
		{"revocation unchecked", "grep -qxF 'DELETE /installation/token -> 204'", "true", "revocation"},
		{"token left valid", "grep -qxF 'tokens: 1 issued, 1 revoked'", "true", "token is revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			problems := checkSmokeScript(mutate(t, smokeScript, src, tt.old, tt.new))
			if len(problems) != 1 || !hasProblem(problems, tt.want) {
				t.Errorf("checkSmokeScript() = %q, want one problem, containing %q", problems, tt.want)
			}
		})
	}
}

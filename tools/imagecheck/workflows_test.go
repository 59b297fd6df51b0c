package imagecheck

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// workflowFiles returns the repository's workflow files, relative to the
// repository root.
func workflowFiles(tb testing.TB) []string {
	tb.Helper()
	var files []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(repoRoot, ".github", "workflows", pattern))
		if err != nil {
			tb.Fatal(err)
		}
		for _, p := range m {
			rel, err := filepath.Rel(repoRoot, p)
			if err != nil {
				tb.Fatal(err)
			}
			files = append(files, rel)
		}
	}
	if len(files) == 0 {
		tb.Fatal("no workflows in .github/workflows")
	}
	return files
}

// TestActionlint lints the workflows with actionlint (a tool in
// tools/go.mod), run from the repository root so that
// .github/actionlint.yaml's paths apply. It uses shellcheck on run:
// scripts where shellcheck is installed.
func TestActionlint(t *testing.T) {
	t.Parallel()
	bin, err := actionlintBin()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-no-color"}, workflowFiles(t)...)...)
	cmd.Dir = repoRoot
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("go tool actionlint: %v\n%s", err, out)
	}
}

// actionlintBin returns the path of the binary that `go tool actionlint`
// runs, building it if need be.
var actionlintBin = sync.OnceValues(func() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// The tool directive is in tools/go.mod, the module of this package.
	cmd := exec.CommandContext(ctx, "go", "tool", "-n", "actionlint")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go tool -n actionlint: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
})

// TestActionlintConfig runs actionlint with the repository's configuration
// on a made-up project with a local Docker action: the configuration must
// hide the finding about our two in-image entrypoints, and nothing more.
func TestActionlintConfig(t *testing.T) {
	t.Parallel()
	bin, err := actionlintBin()
	if err != nil {
		t.Fatal(err)
	}
	config := repoFile(t, ".github/actionlint.yaml")
	const workflow = `on: push
jobs:
  token:
    runs-on: ubuntu-latest
    steps:
      - uses: ./
        with:
          client-id: ${{ vars.%s }}
`
	const action = `name: t
description: t
inputs:
  client-id:
    description: t
runs:
  using: docker
  image: Dockerfile
  entrypoint: %s
  post-entrypoint: %s
`
	tests := []struct {
		name             string
		entrypoint, post string
		variable         string
		want             string // in actionlint's output; "" for no findings
	}{
		{"our entrypoints", "/usr/local/bin/app-token", "/usr/local/bin/app-token-post", "APP_CLIENT_ID", ""},
		{"other entrypoint", "/usr/local/bin/other", "/usr/local/bin/app-token-post", "APP_CLIENT_ID", `"/usr/local/bin/other" does not exist`},
		{"other post-entrypoint", "/usr/local/bin/app-token", "/usr/local/bin/app-token-cleanup", "APP_CLIENT_ID", `"/usr/local/bin/app-token-cleanup" does not exist`},
		{"relative entrypoint", "app-token", "/usr/local/bin/app-token-post", "APP_CLIENT_ID", `"app-token" does not exist`},
		{"undeclared variable", "/usr/local/bin/app-token", "/usr/local/bin/app-token-post", "APP_ID", "undefined configuration variable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			for name, text := range map[string]string{
				".git/HEAD":                   "ref: refs/heads/main\n", // actionlint finds the project by .git
				".github/actionlint.yaml":     config,
				".github/workflows/token.yml": fmt.Sprintf(workflow, tt.variable),
				"action.yml":                  fmt.Sprintf(action, tt.entrypoint, tt.post),
				"Dockerfile":                  "FROM scratch\n",
			} {
				p := filepath.Join(root, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.CommandContext(t.Context(), bin, "-no-color", ".github/workflows/token.yml")
			cmd.Dir = root // paths in the configuration are relative to the working directory
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			switch {
			case err != nil && !errors.As(err, &exit), exit != nil && exit.ExitCode() != 1:
				t.Fatalf("actionlint: %v\n%s", err, out)
			case tt.want == "" && err != nil:
				t.Errorf("actionlint found, want nothing:\n%s", out)
			case tt.want != "" && !strings.Contains(string(out), tt.want):
				t.Errorf("actionlint output = %q, want a finding containing %q", out, tt.want)
			}
		})
	}
}

var (
	// shaPinned is an action or reusable workflow pinned by full commit SHA.
	shaPinned = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}$`)
	// versionComment names the version a SHA is, for people and Dependabot.
	versionComment = regexp.MustCompile(`^# v\d+\.\d+\.\d+$`)
)

// pin is one SHA-pinned `uses:` of a workflow.
type pin struct {
	action, sha, version string
	line                 int
}

// checkPins checks every `uses:` of a workflow: local actions and reusable
// workflows (./...) are fine, docker:// images must be pinned by digest,
// and every other action must be pinned by full commit SHA with a
// "# vX.Y.Z" comment. It returns the pins and the problems.
func checkPins(src []byte) ([]pin, []string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, nil, fmt.Errorf("parse workflow: %w", err)
	}
	var (
		pins     []pin
		problems []string
		walk     func(n *yaml.Node)
	)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value != "uses" || v.Kind != yaml.ScalarNode {
					continue
				}
				switch uses := v.Value; {
				case strings.HasPrefix(uses, "./"):
				case strings.HasPrefix(uses, "docker://"):
					if !digestRef.MatchString(uses) {
						problems = append(problems, fmt.Sprintf("line %d: %s is not pinned by digest (@sha256:...)", v.Line, uses))
					}
				case !shaPinned.MatchString(uses):
					problems = append(problems, fmt.Sprintf("line %d: %s is not pinned by full commit SHA", v.Line, uses))
				case !versionComment.MatchString(v.LineComment):
					problems = append(problems, fmt.Sprintf("line %d: %s needs a \"# vX.Y.Z\" comment naming its version, got %q", v.Line, uses, v.LineComment))
				default:
					action, sha, _ := strings.Cut(uses, "@")
					pins = append(pins, pin{action, sha, strings.TrimPrefix(v.LineComment, "# "), v.Line})
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	return pins, problems, nil
}

func TestWorkflowPins(t *testing.T) {
	t.Parallel()
	seen := map[string]pin{} // action -> its first pin
	where := map[string]string{}
	for _, f := range workflowFiles(t) {
		pins, problems, err := checkPins([]byte(repoFile(t, filepath.ToSlash(f))))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", f, p)
		}
		for _, p := range pins {
			first, ok := seen[p.action]
			if !ok {
				seen[p.action], where[p.action] = p, fmt.Sprintf("%s:%d", f, p.line)
				continue
			}
			if p.sha != first.sha || p.version != first.version {
				t.Errorf("%s:%d: %s@%s # %s, but %s has %s # %s; use one version", f, p.line, p.action, p.sha, p.version, where[p.action], first.sha, first.version)
			}
		}
	}
}

// TestCheckPinsDefects feeds checkPins the ways a `uses:` can float.
func TestCheckPinsDefects(t *testing.T) {
	t.Parallel()
	const sha = "08c6903cd8c0fde910a37f88322edcfb5dd907a8"
	tests := []struct {
		name string
		uses string // the rest of the line after "uses: "
		want string // in a problem; "" for none
	}{
		{"pinned", "actions/checkout@" + sha + " # v5.0.0", ""},
		{"local action", "./", ""},
		{"local reusable workflow", "./.github/workflows/ci.yml", ""},
		{"image by digest", "docker://alpine@sha256:" + strings.Repeat("a", 64), ""},
		{"tag", "actions/checkout@v5", "not pinned by full commit SHA"},
		{"branch", "actions/checkout@main", "not pinned by full commit SHA"},
		{"short SHA", "actions/checkout@08c6903", "not pinned by full commit SHA"},
		{"reusable workflow by tag", "octo-org/workflows/.github/workflows/release.yml@v1", "not pinned by full commit SHA"},
		{"no version comment", "actions/checkout@" + sha, "# vX.Y.Z"},
		{"major-only comment", "actions/checkout@" + sha + " # v5", "# vX.Y.Z"},
		{"image by tag", "docker://alpine:3.22", "not pinned by digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := "jobs:\n  j:\n    steps:\n      - uses: " + tt.uses + "\n"
			_, problems, err := checkPins([]byte(src))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want == "" && len(problems) > 0:
				t.Errorf("checkPins(%q) = %q, want none", tt.uses, problems)
			case tt.want != "" && !hasProblem(problems, tt.want):
				t.Errorf("checkPins(%q) = %q, want one containing %q", tt.uses, problems, tt.want)
			}
		})
	}
}

// dependabotUpdate is one entry of dependabot.yml's updates.
type dependabotUpdate struct {
	Ecosystem   string            `yaml:"package-ecosystem"`
	Directory   string            `yaml:"directory"`
	Directories []string          `yaml:"directories"`
	Allow       []dependabotAllow `yaml:"allow"`
	Schedule    struct {
		Interval string `yaml:"interval"`
	} `yaml:"schedule"`
}

// dependabotAllow is one rule of an update's allow list.
type dependabotAllow struct {
	DependencyType string `yaml:"dependency-type"`
	DependencyName string `yaml:"dependency-name"`
}

// covers reports whether the update is for the directory dir.
func (u dependabotUpdate) covers(dir string) bool {
	return u.Directory == dir || slices.Contains(u.Directories, dir)
}

// allowsAll reports whether the update proposes every requirement, the
// `// indirect` ones too: "dependency-type: all" with no dependency-name
// (https://docs.github.com/en/code-security/dependabot/working-with-dependabot/dependabot-options-reference#allow--).
// With no allow list, Dependabot's Go updater skips indirect requirements.
func (u dependabotUpdate) allowsAll() bool {
	return slices.ContainsFunc(u.Allow, func(a dependabotAllow) bool {
		return a.DependencyType == "all" && (a.DependencyName == "" || a.DependencyName == "*")
	})
}

// indirectTools returns the modules of a go.mod's `tool` lines that it
// requires `// indirect`, as go mod tidy writes them for a tool that no
// package of the module imports: the tools Dependabot does not update
// unless allowed.
func indirectTools(gomod string) []string {
	indirect := map[string]bool{} // required module path -> // indirect
	var tools []string
	block := ""
	for _, line := range strings.Split(gomod, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == ")":
			block = ""
			continue
		case strings.HasSuffix(line, "(") && len(strings.Fields(line)) == 2:
			block = strings.Fields(line)[0]
			continue
		}
		verb, rest := block, line
		if block == "" {
			verb, rest, _ = strings.Cut(line, " ")
		}
		f := strings.Fields(rest)
		switch {
		case verb == "require" && len(f) >= 2:
			indirect[f[0]] = strings.Contains(rest, "// indirect")
		case verb == "tool" && len(f) >= 1:
			tools = append(tools, f[0])
		}
	}
	var mods []string
	for _, tool := range tools {
		best := ""
		for mod := range indirect {
			if (tool == mod || strings.HasPrefix(tool, mod+"/")) && len(mod) > len(best) {
				best = mod
			}
		}
		if best != "" && indirect[best] && !slices.Contains(mods, best) {
			mods = append(mods, best)
		}
	}
	slices.Sort(mods)
	return mods
}

// checkDependabot checks that dependabot.yml updates the Go modules, the
// Dockerfile's base image and the workflows' actions, and every Go module
// of mods (directory as dependabot.yml writes it, "/" or "/tools" -> the
// text of its go.mod): a pin Dependabot cannot see goes stale. A module
// whose tools are `// indirect` requirements must be in an update that
// allows dependency-type all, or Dependabot never proposes the tools.
func checkDependabot(src []byte, mods map[string]string) ([]string, error) {
	var cfg struct {
		Version int                `yaml:"version"`
		Updates []dependabotUpdate `yaml:"updates"`
	}
	if err := yaml.Unmarshal(src, &cfg); err != nil {
		return nil, fmt.Errorf("parse dependabot.yml: %w", err)
	}
	var problems []string
	if cfg.Version != 2 {
		problems = append(problems, fmt.Sprintf("version is %d, want 2", cfg.Version))
	}
	for _, eco := range []string{"gomod", "docker", "github-actions"} {
		i := slices.IndexFunc(cfg.Updates, func(u dependabotUpdate) bool { return u.Ecosystem == eco })
		switch {
		case i < 0:
			problems = append(problems, "no update for "+eco)
		case !slices.ContainsFunc(cfg.Updates, func(u dependabotUpdate) bool { return u.Ecosystem == eco && u.covers("/") }):
			problems = append(problems, eco+" directory is "+quote(cfg.Updates[i].Directory)+", want /")
		case cfg.Updates[i].Schedule.Interval == "":
			problems = append(problems, eco+" has no schedule.interval")
		}
	}
	for _, d := range slices.Sorted(maps.Keys(mods)) {
		i := slices.IndexFunc(cfg.Updates, func(u dependabotUpdate) bool { return u.Ecosystem == "gomod" && u.covers(d) })
		if i < 0 {
			problems = append(problems, "no gomod update for the module in "+d)
			continue
		}
		if tools := indirectTools(mods[d]); len(tools) > 0 && !cfg.Updates[i].allowsAll() {
			problems = append(problems, fmt.Sprintf("the gomod update for %s does not allow dependency-type: all; Dependabot skips its indirect tool modules %s", d, strings.Join(tools, ", ")))
		}
	}
	return problems, nil
}

// goMods returns the repository's go.mod files by directory, as
// dependabot.yml writes it ("/", "/tools"), with their text.
func goMods(tb testing.TB) map[string]string {
	tb.Helper()
	mods := map[string]string{}
	err := filepath.WalkDir(repoRoot, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "dist") {
			return filepath.SkipDir
		}
		if d.Name() != "go.mod" {
			return nil
		}
		rel, err := filepath.Rel(repoRoot, filepath.Dir(p))
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dir := "/" + filepath.ToSlash(rel)
		if rel == "." {
			dir = "/"
		}
		mods[dir] = string(b)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return mods
}

func TestDependabot(t *testing.T) {
	t.Parallel()
	src := repoFile(t, ".github/dependabot.yml")
	mods := goMods(t)
	for _, want := range []string{"/", "/tools"} {
		if _, ok := mods[want]; !ok {
			t.Fatalf("goMods() = %q, want it to contain %s", slices.Sorted(maps.Keys(mods)), want)
		}
	}
	// The tools module's tools are indirect requirements: the case the
	// allow rule is for.
	if got := indirectTools(mods["/tools"]); !slices.Contains(got, "github.com/rhysd/actionlint") {
		t.Errorf("indirectTools(tools/go.mod) = %q, want it to contain github.com/rhysd/actionlint", got)
	}
	problems, err := checkDependabot([]byte(src), mods)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("dependabot.yml: %s", p)
	}

	t.Run("defects", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct{ old, new, want string }{
			{"package-ecosystem: docker", "package-ecosystem: pip", "no update for docker"},
			{"package-ecosystem: gomod\n    directory: /\n", "package-ecosystem: npm\n    directory: /\n", "no gomod update for the module in /"},
			{"package-ecosystem: github-actions\n    directory: /", "package-ecosystem: github-actions\n    directory: /.github", "github-actions directory"},
			{"    directory: /tools\n", "    directory: /cmd\n", "no gomod update for the module in /tools"},
			{"    allow:\n      - dependency-type: all\n", "", "the gomod update for /tools does not allow dependency-type: all"},
			{"      - dependency-type: all\n", "      - dependency-type: direct\n", "does not allow dependency-type: all"},
		} {
			problems, err := checkDependabot([]byte(mutate(t, "dependabot.yml", src, tt.old, tt.new)), mods)
			if err != nil {
				t.Fatal(err)
			}
			if !hasProblem(problems, tt.want) {
				t.Errorf("checkDependabot(%q -> %q) = %q, want one containing %q", tt.old, tt.new, problems, tt.want)
			}
		}
	})

	t.Run("indirect tools", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct {
			name, gomod string
			want        []string
		}{
			{"tool block, indirect", "module m\n\nrequire (\n\tgolang.org/x/vuln v1.9.0 // indirect\n)\n\ntool (\n\tgolang.org/x/vuln/cmd/govulncheck\n)\n", []string{"golang.org/x/vuln"}},
			{"one-line tool and require", "module m\nrequire honnef.co/go/tools v0.8.2 // indirect\ntool honnef.co/go/tools/cmd/staticcheck\n", []string{"honnef.co/go/tools"}},
			{"direct requirement", "module m\nrequire golang.org/x/vuln v1.9.0\ntool golang.org/x/vuln/cmd/govulncheck\n", nil},
			{"no tools", "module m\nrequire golang.org/x/vuln v1.9.0 // indirect\n", nil},
			{"longest module wins", "module m\nrequire (\n\tgolang.org/x v0.1.0\n\tgolang.org/x/tools v0.52.0 // indirect\n)\ntool golang.org/x/tools/cmd/stringer\n", []string{"golang.org/x/tools"}},
		} {
			if got := indirectTools(tt.gomod); !slices.Equal(got, tt.want) {
				t.Errorf("%s: indirectTools() = %q, want %q", tt.name, got, tt.want)
			}
		}
	})
}

// pinEvidence is one line of .github/release/action-pins.txt.
type pinEvidence struct{ action, version, sha, runtime string }

// readPinEvidence parses action-pins.txt: ACTION TAG COMMIT RUNTIME, with
// a full commit SHA and a node24 runtime.
func readPinEvidence(src string) (map[string]pinEvidence, []string) {
	ev := map[string]pinEvidence{}
	var problems []string
	for i, line := range strings.Split(src, "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		switch {
		case len(f) != 4:
			problems = append(problems, fmt.Sprintf("line %d: want ACTION TAG COMMIT RUNTIME, got %q", i+1, line))
		case !shaPinned.MatchString(f[0] + "@" + f[2]):
			problems = append(problems, fmt.Sprintf("line %d: %s@%s is not an action at a full commit SHA", i+1, f[0], f[2]))
		case !versionComment.MatchString("# " + f[1]):
			problems = append(problems, fmt.Sprintf("line %d: tag %s is not vX.Y.Z", i+1, f[1]))
		case !strings.HasSuffix(f[3], "node24"):
			problems = append(problems, fmt.Sprintf("line %d: %s runs on %s, want node24", i+1, f[0], f[3]))
		default:
			ev[f[0]] = pinEvidence{f[0], f[1], f[2], f[3]}
		}
	}
	return ev, problems
}

// TestActionPinEvidence checks that every action the workflows pin is in
// .github/release/action-pins.txt, the record of which commit each tag is
// and that it declares node24, with the same commit and tag.
func TestActionPinEvidence(t *testing.T) {
	t.Parallel()
	ev, problems := readPinEvidence(repoFile(t, ".github/release/action-pins.txt"))
	for _, p := range problems {
		t.Errorf("action-pins.txt: %s", p)
	}
	for _, f := range workflowFiles(t) {
		pins, _, err := checkPins([]byte(repoFile(t, filepath.ToSlash(f))))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pins {
			e, ok := ev[p.action]
			switch {
			case !ok:
				t.Errorf("%s:%d: %s is not in .github/release/action-pins.txt; check its commit and runtime and add it", f, p.line, p.action)
			case e.sha != p.sha || e.version != p.version:
				t.Errorf("%s:%d: %s@%s # %s, but action-pins.txt has %s # %s", f, p.line, p.action, p.sha, p.version, e.sha, e.version)
			}
		}
	}
	for _, tt := range []struct{ line, want string }{
		{"actions/checkout v5.0.0 08c6903 node24", "full commit SHA"},
		{"actions/setup-go v6.0.0 44694675825211faa026b3c33043df3e48a5fa00 node20", "want node24"},
		{"actions/checkout v5 08c6903cd8c0fde910a37f88322edcfb5dd907a8 node24", "not vX.Y.Z"},
	} {
		if _, p := readPinEvidence(tt.line); !hasProblem(p, tt.want) {
			t.Errorf("readPinEvidence(%q) = %q, want one containing %q", tt.line, p, tt.want)
		}
	}
}

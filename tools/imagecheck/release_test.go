package imagecheck

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// workflowStep is the part of a workflow step the checks read.
type workflowStep struct {
	Uses string            `yaml:"uses"`
	With map[string]string `yaml:"with"`
	Run  string            `yaml:"run"`
}

// workflowJob is the part of a workflow job the checks read.
type workflowJob struct {
	Uses  string         `yaml:"uses"` // the reusable workflow the job calls
	Needs stringList     `yaml:"needs"`
	Steps []workflowStep `yaml:"steps"`
}

// stringList is a YAML string or list of strings, as a job's needs is.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = stringList{n.Value}
		return nil
	}
	return n.Decode((*[]string)(l))
}

// needs reports whether the job name needs the job dep, directly or through
// other jobs.
func needs(jobs map[string]workflowJob, name, dep string) bool {
	seen := map[string]bool{}
	var walk func(string) bool
	walk = func(n string) bool {
		if seen[n] {
			return false
		}
		seen[n] = true
		return slices.ContainsFunc(jobs[n].Needs, func(d string) bool { return d == dep || walk(d) })
	}
	return walk(name)
}

// uses reports whether the step runs action, any version of it.
func (s workflowStep) uses(action string) bool { return strings.HasPrefix(s.Uses, action+"@") }

// platforms returns the platforms a docker/build-push-action step builds.
func (s workflowStep) platforms() []string {
	return strings.Split(strings.ReplaceAll(s.With["platforms"], " ", ""), ",")
}

// ciWorkflow is the path of the CI workflow, as jobs call it.
const ciWorkflow = "./.github/workflows/ci.yml"

// checkRelease checks the release workflow for what RELEASING.md promises:
// on a version tag, after the whole CI workflow passed, a linux/amd64 and
// linux/arm64 image tagged X.Y.Z, X.Y and X, with an SBOM and provenance,
// attested, and the tags moved to a commit whose action.yml runs that image
// by digest.
func checkRelease(src []byte) ([]string, error) {
	var wf struct {
		On struct {
			Push struct {
				Tags []string `yaml:"tags"`
			} `yaml:"push"`
		} `yaml:"on"`
		Jobs map[string]workflowJob `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(src, &wf); err != nil {
		return nil, fmt.Errorf("parse release workflow: %w", err)
	}
	var (
		problems []string
		steps    []workflowStep
	)
	for _, j := range wf.Jobs {
		steps = append(steps, j.Steps...)
	}
	step := func(action string) (workflowStep, bool) {
		i := slices.IndexFunc(steps, func(s workflowStep) bool { return s.uses(action) })
		if i < 0 {
			problems = append(problems, "no step uses "+action)
			return workflowStep{}, false
		}
		return steps[i], true
	}

	if !slices.Equal(wf.On.Push.Tags, []string{"v*.*.*"}) {
		problems = append(problems, fmt.Sprintf("on.push.tags = %q, want [v*.*.*]", wf.On.Push.Tags))
	}
	step("docker/setup-buildx-action")
	if s, ok := step("docker/metadata-action"); ok {
		tags := strings.Fields(s.With["tags"])
		for _, want := range []string{"type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}", "type=semver,pattern={{major}}"} {
			if !slices.Contains(tags, want) {
				problems = append(problems, "docker/metadata-action tags lack "+want)
			}
		}
	}
	if s, ok := step("docker/build-push-action"); ok {
		platforms := s.platforms()
		for _, want := range []string{"linux/amd64", "linux/arm64"} {
			if !slices.Contains(platforms, want) {
				problems = append(problems, "docker/build-push-action platforms lack "+want)
			}
		}
		if s.With["push"] != "true" {
			problems = append(problems, "docker/build-push-action does not push")
		}
		if s.With["sbom"] != "true" {
			problems = append(problems, "docker/build-push-action makes no SBOM (sbom: true)")
		}
		if p := s.With["provenance"]; p == "" || p == "false" {
			problems = append(problems, "docker/build-push-action makes no provenance")
		}
	}
	if s, ok := step("actions/attest-build-provenance"); ok && !strings.Contains(s.With["subject-digest"], "outputs.digest") {
		problems = append(problems, "actions/attest-build-provenance does not attest the pushed digest")
	}
	if !slices.ContainsFunc(steps, func(s workflowStep) bool {
		return strings.Contains(s.Run, ".github/scripts/pin-action-image.sh action.yml") && strings.Contains(s.Run, "git push --force")
	}) {
		problems = append(problems, "no step pins action.yml with .github/scripts/pin-action-image.sh and force-pushes the tags")
	}
	// Nothing is published that CI did not pass.
	var ci string
	for name, j := range wf.Jobs {
		if j.Uses == ciWorkflow {
			ci = name
		}
	}
	for name, j := range wf.Jobs {
		pushes := slices.ContainsFunc(j.Steps, func(s workflowStep) bool { return s.uses("docker/build-push-action") })
		if pushes && (ci == "" || !needs(wf.Jobs, name, ci)) {
			problems = append(problems, "job "+name+" pushes the image without needing a job that calls "+ciWorkflow)
		}
	}
	return problems, nil
}

func TestReleaseWorkflow(t *testing.T) {
	t.Parallel()
	problems, err := checkRelease([]byte(repoFile(t, ".github/workflows/release.yml")))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("release.yml: %s", p)
	}
}

// TestReleaseWorkflowDefects feeds checkRelease the release workflow with
// one promise broken each.
func TestReleaseWorkflowDefects(t *testing.T) {
	t.Parallel()
	src := repoFile(t, ".github/workflows/release.yml")
	tests := []struct {
		name, old, new, want string
	}{
		{"any tag", `tags: ["v*.*.*"]`, `tags: ["*"]`, "on.push.tags"},
		{"amd64 only", "platforms: linux/amd64,linux/arm64", "platforms: linux/amd64", "lack linux/arm64"},
		{"no SBOM", "sbom: true", "sbom: false", "no SBOM"},
		{"no provenance", "provenance: mode=max", "provenance: false", "no provenance"},
		{"no major tag", "type=semver,pattern={{major}}\n      - name:", "\n      - name:", "lack type=semver,pattern={{major}}"},
		{"not pushed", "push: true", "push: false", "does not push"},
		{"no attestation", "actions/attest-build-provenance@", "actions/upload-artifact@", "no step uses actions/attest-build-provenance"},
		{"action.yml not pinned", "bash .github/scripts/pin-action-image.sh action.yml", "true", "pin-action-image.sh"},
		{"image not gated on CI", "    needs: ci\n", "", "without needing a job that calls"},
		{"CI workflow not called", "uses: ./.github/workflows/ci.yml", "uses: ./.github/workflows/e2e.yml", "without needing a job that calls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			problems, err := checkRelease([]byte(mutate(t, "release.yml", src, tt.old, tt.new)))
			if err != nil {
				t.Fatal(err)
			}
			if !hasProblem(problems, tt.want) {
				t.Errorf("checkRelease() = %q, want one containing %q", problems, tt.want)
			}
		})
	}
}

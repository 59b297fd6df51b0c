package imagecheck

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// workflowStep is the part of a workflow step the checks read.
type workflowStep struct {
	ID   string            `yaml:"id"`
	Uses string            `yaml:"uses"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
	Run  string            `yaml:"run"`
}

// workflowJob is the part of a workflow job the checks read.
type workflowJob struct {
	Uses        string         `yaml:"uses"` // the reusable workflow the job calls
	Environment yaml.Node      `yaml:"environment"`
	Needs       stringList     `yaml:"needs"`
	Permissions yaml.Node      `yaml:"permissions"`
	Steps       []workflowStep `yaml:"steps"`
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

// Scripts the release workflow runs, by path from the repository root.
const (
	smokeScript     = ".github/scripts/smoke-image.sh"
	tagScript       = ".github/scripts/tag-release.sh"
	majorScript     = ".github/scripts/move-major-tag.sh"
	preflightScript = ".github/release/preflight.sh"
	latestScript    = ".github/release/latest.sh"
)

// environment returns the name of a job's deployment environment, written
// as a name or as a mapping with a name, or "".
func (j workflowJob) environment() string {
	if j.Environment.Kind == yaml.MappingNode {
		var env struct {
			Name string `yaml:"name"`
		}
		_ = j.Environment.Decode(&env)
		return env.Name
	}
	return j.Environment.Value
}

// releaseWorkflow is the part of the release workflow the checks read.
type releaseWorkflow struct {
	On struct {
		Push             *yaml.Node `yaml:"push"`
		WorkflowDispatch struct {
			Inputs map[string]struct {
				Required bool   `yaml:"required"`
				Type     string `yaml:"type"`
				Default  string `yaml:"default"`
			} `yaml:"inputs"`
		} `yaml:"workflow_dispatch"`
	} `yaml:"on"`
	Permissions yaml.Node              `yaml:"permissions"`
	Jobs        map[string]workflowJob `yaml:"jobs"`
}

// runs reports whether one of the job's steps runs script.
func (j workflowJob) runs(script string) bool {
	return slices.ContainsFunc(j.Steps, func(s workflowStep) bool { return strings.Contains(s.Run, script) })
}

// step returns the index of the job's first step for which match is true,
// or -1.
func (j workflowJob) step(match func(workflowStep) bool) int { return slices.IndexFunc(j.Steps, match) }

// permissions returns a job's or workflow's permissions: scope -> level,
// or "*" -> level for read-all and write-all. ok is false when none are set.
func permissions(n *yaml.Node) (perms map[string]string, ok bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		return map[string]string{"*": strings.TrimSuffix(n.Value, "-all")}, true
	case yaml.MappingNode:
		perms = map[string]string{}
		_ = n.Decode(&perms)
		return perms, true
	}
	return nil, false
}

// checkRelease checks the release workflow for what RELEASING.md promises:
// started by hand with a version, it first checks that no tag, release or
// image of that version exists; it publishes nothing CI did not pass; it
// pushes a linux/amd64 and linux/arm64 image tagged X.Y.Z, X.Y and X, with
// an SBOM and provenance, attested; it smoke-runs that image; it builds
// and attests the CLI with build-cli.sh; only then it tags the release
// commit, once, creates the GitHub Release as a draft, publishes it, and
// moves the major tag last. Each job has its own permissions, and writes
// only what its steps need.
func checkRelease(src []byte) ([]string, error) {
	var wf releaseWorkflow
	if err := yaml.Unmarshal(src, &wf); err != nil {
		return nil, fmt.Errorf("parse release workflow: %w", err)
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// Trigger: by hand, with the version; a tag push would tag first.
	if wf.On.Push != nil {
		add("runs on push; a release starts by hand (workflow_dispatch) and makes its tag last")
	}
	if in, ok := wf.On.WorkflowDispatch.Inputs["version"]; !ok || !in.Required {
		add("workflow_dispatch has no required version input")
	}

	// Jobs, found by what they do.
	find := func(what string, match func(workflowJob) bool) string {
		var names []string
		for name, j := range wf.Jobs {
			if match(j) {
				names = append(names, name)
			}
		}
		if len(names) != 1 {
			add("want one job that %s, found %d %q", what, len(names), names)
			return ""
		}
		return names[0]
	}
	usesStep := func(action string) func(workflowJob) bool {
		return func(j workflowJob) bool { return j.step(func(s workflowStep) bool { return s.uses(action) }) >= 0 }
	}
	ci := find("calls "+ciWorkflow, func(j workflowJob) bool { return j.Uses == ciWorkflow })
	const preflight = "preflight"
	if _, ok := wf.Jobs[preflight]; !ok {
		add("no job named %s checks the version first", preflight)
	}
	image := find("pushes the image", usesStep("docker/build-push-action"))
	smoke := find("runs "+smokeScript, func(j workflowJob) bool { return j.runs(smokeScript) })
	cli := find("builds the CLI with "+buildScript, func(j workflowJob) bool { return j.runs("bash " + buildScript) })
	tag := find("runs "+tagScript, func(j workflowJob) bool { return j.runs(tagScript) })

	// Order: each job waits for the ones it depends on.
	after := func(job string, deps ...string) {
		for _, dep := range deps {
			if job != "" && dep != "" && !needs(wf.Jobs, job, dep) {
				add("job %s runs without needing job %s", job, dep)
			}
		}
	}
	for name := range wf.Jobs {
		if name != preflight {
			after(name, preflight)
		}
	}
	after(image, ci)
	after(smoke, image)
	after(cli, ci)
	after(tag, ci, image, smoke, cli)

	// Preflight: a second run for a version fails before anything is built
	// (TestPreflight runs the script).
	if j, ok := wf.Jobs[preflight]; ok && !j.runs(preflightScript) {
		add("preflight does not run %s", preflightScript)
	}
	// The first release may take ghcr.io's "denied" as absence, only when
	// asked: a boolean input, off by default, that preflight.sh gets.
	if in, ok := wf.On.WorkflowDispatch.Inputs["first-release"]; !ok || in.Type != "boolean" || in.Default != "false" {
		add("workflow_dispatch has no boolean first-release input with default false")
	}
	if j, ok := wf.Jobs[preflight]; ok && !slices.ContainsFunc(j.Steps, func(s workflowStep) bool {
		return strings.Contains(s.Run, preflightScript) && s.Env["FIRST_RELEASE"] == "${{ inputs.first-release }}"
	}) {
		add("preflight does not give %s the first-release input (env FIRST_RELEASE: ${{ inputs.first-release }})", preflightScript)
	}

	// Jobs that push or publish run in the release environment, which
	// GitHub limits to main.
	for name, j := range wf.Jobs {
		p, _ := permissions(&j.Permissions)
		publishes := p["packages"] == "write" || p["attestations"] == "write" || j.runs(tagScript) || j.runs("gh release")
		if publishes && j.environment() != "release" {
			add("job %s pushes or publishes outside environment: release", name)
		}
	}

	// No cache in a release: no build cache, no setup-go cache.
	for name, j := range wf.Jobs {
		for _, st := range j.Steps {
			if st.uses("docker/build-push-action") && st.With["cache-from"] != "" {
				add("job %s builds with cache-from: %s; a release reads no cache", name, st.With["cache-from"])
			}
			if st.uses("actions/setup-go") && st.With["cache"] != "false" {
				add("job %s runs actions/setup-go with its cache on; set cache: false", name)
			}
		}
	}

	// The image.
	if j, ok := wf.Jobs[image]; ok {
		if i := j.step(func(s workflowStep) bool { return s.uses("docker/metadata-action") }); i < 0 {
			add("job %s has no docker/metadata-action step", image)
		} else {
			for _, want := range []string{"type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}", "type=semver,pattern={{major}}"} {
				if !slices.ContainsFunc(strings.Fields(j.Steps[i].With["tags"]), func(t string) bool {
					return t == want || strings.HasPrefix(t, want+",")
				}) {
					add("docker/metadata-action tags lack %s", want)
				}
			}
		}
		s := j.Steps[j.step(func(s workflowStep) bool { return s.uses("docker/build-push-action") })]
		for _, want := range []string{"linux/amd64", "linux/arm64"} {
			if !slices.Contains(s.platforms(), want) {
				add("docker/build-push-action platforms lack %s", want)
			}
		}
		if s.With["push"] != "true" {
			add("docker/build-push-action does not push")
		}
		if s.With["sbom"] != "true" {
			add("docker/build-push-action makes no SBOM (sbom: true)")
		}
		if p := s.With["provenance"]; p == "" || p == "false" {
			add("docker/build-push-action makes no provenance")
		}
		if i := j.step(func(s workflowStep) bool { return s.uses("actions/attest-build-provenance") }); i < 0 || !strings.Contains(j.Steps[i].With["subject-digest"], "outputs.digest") {
			add("job %s does not attest the pushed digest with actions/attest-build-provenance", image)
		}
	}

	// The smoke run uses the pushed digest.
	if j, ok := wf.Jobs[smoke]; ok && !slices.ContainsFunc(j.Steps, func(s workflowStep) bool {
		return strings.Contains(s.Run, smokeScript) && strings.Contains(s.Env["DIGEST"], "needs."+image+".outputs.digest")
	}) {
		add("job %s does not smoke-run the image by the digest job %s pushed", smoke, image)
	}
	// smoke-image.sh checks `version` against WANT_VERSION only when it is set.
	if j, ok := wf.Jobs[smoke]; ok && !slices.ContainsFunc(j.Steps, func(s workflowStep) bool {
		return strings.Contains(s.Run, smokeScript) && strings.Contains(s.Env["WANT_VERSION"], "inputs.version")
	}) {
		add("job %s does not give %s the release version (env WANT_VERSION: ${{ inputs.version }})", smoke, smokeScript)
	}

	// The CLI is attested before it goes anywhere.
	if j, ok := wf.Jobs[cli]; ok {
		attest := j.step(func(s workflowStep) bool {
			return s.uses("actions/attest-build-provenance") && s.With["subject-path"] != ""
		})
		upload := j.step(func(s workflowStep) bool { return s.uses("actions/upload-artifact") })
		if attest < 0 || upload < attest {
			add("job %s does not attest the CLI files (subject-path) before it uploads them", cli)
		}
	}

	// Tag once, then draft, publish, and move the major tag last.
	if j, ok := wf.Jobs[tag]; ok {
		tagged := j.step(func(s workflowStep) bool { return strings.Contains(s.Run, tagScript) })
		draft := j.step(func(s workflowStep) bool { return strings.Contains(s.Run, "gh release create") })
		switch {
		case draft < 0:
			add("job %s creates no GitHub Release (gh release create)", tag)
		case draft < tagged:
			add("job %s creates the release before %s tags it", tag, tagScript)
		case !regexp.MustCompile(`gh release create[^\n]*--draft|flags=\([^)]*--draft`).MatchString(j.Steps[draft].Run):
			add("job %s does not create the release as a draft; an immutable release takes no assets once published", tag)
		case !strings.Contains(j.Steps[draft].Run[strings.Index(j.Steps[draft].Run, "gh release create"):], "--draft=false"):
			add("job %s does not publish the draft after attaching the assets (gh release edit --draft=false)", tag)
		}
		if major := j.step(func(s workflowStep) bool { return strings.Contains(s.Run, majorScript) }); major < 0 || major <= draft {
			add("job %s does not move the major tag with %s after publishing", tag, majorScript)
		}
		if draft >= 0 && (!strings.Contains(j.Steps[draft].Run, latestScript) || !strings.Contains(j.Steps[draft].Run, `--latest="$latest"`)) {
			add("job %s does not decide Latest with %s (gh release edit --latest=\"$latest\")", tag, latestScript)
		}
		checkAppPushes(j, tag, tagged, add)
	}

	// Permissions: none by default, each job its own, writes where needed.
	if p, ok := permissions(&wf.Permissions); !ok || len(p) > 0 {
		add("top-level permissions are not {}; each job sets its own")
	}
	for name, j := range wf.Jobs {
		p, ok := permissions(&j.Permissions)
		if !ok {
			add("job %s sets no permissions", name)
			continue
		}
		need := map[string]bool{
			// Preflight lists releases with push access, to see drafts.
			"contents":     j.runs(preflightScript),
			"packages":     usesStep("docker/build-push-action")(j),
			"id-token":     usesStep("actions/attest-build-provenance")(j),
			"attestations": usesStep("actions/attest-build-provenance")(j),
		}
		for _, scope := range slices.Sorted(maps.Keys(p)) {
			if p[scope] == "write" && !need[scope] {
				add("job %s has %s: write, which none of its steps needs", name, scope)
			}
		}
	}
	return problems, nil
}

// checkAppPushes checks that job, whose step tagged runs tag-release.sh,
// pushes as the release App: its checkout stores no credential, a step
// before the tag mints the App's token with this very action (uses: ./...),
// and the steps that push or publish get that token.
func checkAppPushes(j workflowJob, job string, tagged int, add func(string, ...any)) {
	co := j.step(func(s workflowStep) bool { return s.uses("actions/checkout") })
	if co < 0 || j.Steps[co].With["persist-credentials"] != "false" {
		add("job %s checks out with a stored credential; set persist-credentials: false so only the App's token pushes", job)
	}
	app := j.step(func(s workflowStep) bool {
		return strings.HasPrefix(s.Uses, "./") && s.ID != "" && s.With["private-key"] != ""
	})
	if app < 0 || app > tagged {
		add("job %s mints no App token with this action (uses: ./...) before it tags", job)
		return
	}
	token := "steps." + j.Steps[app].ID + ".outputs.token"
	for i, st := range j.Steps {
		if strings.Contains(st.Run, tagScript) || strings.Contains(st.Run, majorScript) || strings.Contains(st.Run, "gh release") {
			if !strings.Contains(st.Env["APP_TOKEN"], token) {
				add("job %s step %d pushes without the App's token (env APP_TOKEN: ${{ %s }})", job, i+1, token)
			}
			if strings.Contains(st.Run, "gh release") && !strings.Contains(st.Env["GH_TOKEN"], token) {
				add("job %s step %d publishes without the App's token (env GH_TOKEN: ${{ %s }})", job, i+1, token)
			}
		}
	}
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
		{"tag push starts it", "on:\n  workflow_dispatch:", "on:\n  push:\n    tags: [\"v*.*.*\"]\n  workflow_dispatch:", "runs on push"},
		{"no version input", "      version:\n", "      release:\n", "no required version input"},
		{"amd64 only", "platforms: linux/amd64,linux/arm64", "platforms: linux/amd64", "lack linux/arm64"},
		{"no SBOM", "sbom: true", "sbom: false", "no SBOM"},
		{"no provenance", "provenance: mode=max", "provenance: false", "no provenance"},
		{"no major image tag", "            type=semver,pattern={{major}},", "            type=raw,", "lack type=semver,pattern={{major}}"},
		{"not pushed", "push: true", "push: false", "does not push"},
		{"image not attested", "subject-digest: ${{ steps.build.outputs.digest }}", "subject-digest: sha256:0", "does not attest the pushed digest"},
		{"image not gated on CI", "    needs: [preflight, ci]\n    runs-on: ubuntu-latest\n    timeout-minutes: 30", "    needs: [preflight]\n    runs-on: ubuntu-latest\n    timeout-minutes: 30", "job image runs without needing job ci"},
		{"CI workflow not called", "uses: ./.github/workflows/ci.yml", "uses: ./.github/workflows/e2e.yml", "calls ./.github/workflows/ci.yml"},
		{"CI before the version check", "    needs: preflight\n    uses: ./.github", "    uses: ./.github", "job ci runs without needing job preflight"},
		{"first release by default", "        type: boolean\n        default: false", "        type: boolean\n        default: true", "no boolean first-release input"},
		{"first-release not passed", "          FIRST_RELEASE: ${{ inputs.first-release }}\n", "", "does not give .github/release/preflight.sh the first-release input"},
		{"no preflight script", "bash .github/release/preflight.sh", "true", "preflight does not run"},
		{"no smoke run", "run: bash .github/scripts/smoke-image.sh", "run: echo", "runs .github/scripts/smoke-image.sh"},
		{"smoke run of a tag", "DIGEST: ${{ needs.image.outputs.digest }}\n          WANT_VERSION", "DIGEST: latest\n          WANT_VERSION", "by the digest"},
		{"smoke run without the version", "          WANT_VERSION: ${{ inputs.version }}\n", "", "does not give .github/scripts/smoke-image.sh the release version"},
		{"tag before the smoke run", "needs: [preflight, ci, image, smoke, cli]", "needs: [preflight, ci, image, cli]", "job release runs without needing job smoke"},
		{"tag before the CLI", "needs: [preflight, ci, image, smoke, cli]", "needs: [preflight, ci, image, smoke]", "job release runs without needing job cli"},
		{"CLI not gated on CI", "    needs: [preflight, ci]\n    runs-on: ubuntu-latest\n    # build-cli.sh", "    needs: [preflight]\n    runs-on: ubuntu-latest\n    # build-cli.sh", "job cli runs without needing job ci"},
		{"CLI built by hand", `bash .github/release/build-cli.sh "$VERSION" assets`, "go build -o assets/ .", "builds the CLI with .github/release/build-cli.sh"},
		{"CLI not attested", "subject-path: assets/*", "subject-name: assets", "attest the CLI files"},
		{"no tag script", "bash .github/scripts/tag-release.sh", "git tag", "runs .github/scripts/tag-release.sh"},
		{"release not a draft", "flags=(--draft ", "flags=(", "as a draft"},
		{"draft never published", `gh release edit "$VERSION" --draft=false`, "true", "does not publish the draft"},
		{"major tag never moved", "run: bash .github/scripts/move-major-tag.sh", "run: echo", "does not move the major tag"},
		{"write-all", "permissions: {}\n", "permissions: write-all\n", "top-level permissions"},
		{"job without permissions", "    permissions:\n      contents: read\n      packages: read\n    steps:\n      - uses: actions/checkout", "    steps:\n      - uses: actions/checkout", "job smoke sets no permissions"},
		{"image job writes contents", "      contents: read\n      packages: write", "      contents: write\n      packages: write", "job image has contents: write"},
		{"CLI job writes packages", "      contents: read\n      id-token: write\n      attestations: write\n    steps:\n      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0\n        with:\n          persist-credentials: false\n      - uses: actions/setup-go", "      contents: read\n      packages: write\n      id-token: write\n      attestations: write\n    steps:\n      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0\n        with:\n          persist-credentials: false\n      - uses: actions/setup-go", "job cli has packages: write"},
		{"release job mints OIDC tokens", "      contents: read\n      packages: read\n    steps:\n      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0\n        with:\n          # No stored", "      contents: read\n      packages: read\n      id-token: write\n    steps:\n      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0\n        with:\n          # No stored", "job release has id-token: write"},
		{"release job writes with GITHUB_TOKEN", "      # reads the source and pulls the (possibly still private) image.\n      contents: read", "      # reads the source and pulls the (possibly still private) image.\n      contents: write", "job release has contents: write"},
		{"image from a cache", "          no-cache: true", "          cache-from: type=gha", "a release reads no cache"},
		{"setup-go cache", "          cache: false", "          cache: true", "job smoke runs actions/setup-go with its cache on"},
		{"release outside the environment", "    timeout-minutes: 15\n    environment: release\n    permissions:\n      # Every write", "    timeout-minutes: 15\n    permissions:\n      # Every write", "job release pushes or publishes outside environment: release"},
		{"image outside the environment", "    timeout-minutes: 30\n    environment: release\n", "    timeout-minutes: 30\n", "job image pushes or publishes outside environment: release"},
		{"stored checkout credential", "          # No stored credential: git pushes with the App's token only.\n          persist-credentials: false", "          persist-credentials: true", "stored credential"},
		{"no App token", "        uses: ./.release-action\n", "        uses: actions/create-github-app-token@v2\n", "mints no App token"},
		{"tag pushed with GITHUB_TOKEN", "          APP_TOKEN: ${{ steps.app.outputs.token }}\n          IMAGE", "          APP_TOKEN: ${{ github.token }}\n          IMAGE", "pushes without the App's token"},
		{"release published with GITHUB_TOKEN", "          GH_TOKEN: ${{ steps.app.outputs.token }}", "          GH_TOKEN: ${{ github.token }}", "publishes without the App's token"},
		{"major tag moved with GITHUB_TOKEN", "          APP_TOKEN: ${{ steps.app.outputs.token }}\n        run: bash .github/scripts/move-major-tag.sh", "          APP_TOKEN: ${{ github.token }}\n        run: bash .github/scripts/move-major-tag.sh", "pushes without the App's token"},
		{"always Latest", `--latest="$latest"`, "--latest", "does not decide Latest"},
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

// checkVerifyCommands checks that every `gh attestation verify` command of
// src (a document or a workflow, with backslash-continued lines joined)
// pins the signer workflow to release.yml and the source ref to main.
func checkVerifyCommands(name, src string) []string {
	var problems []string
	for _, line := range strings.Split(strings.ReplaceAll(src, "\\\n", " "), "\n") {
		i := strings.Index(line, "gh attestation verify")
		if i < 0 {
			continue
		}
		cmd := line[i:]
		if !regexp.MustCompile(`--signer-workflow \S+/\.github/workflows/release\.yml\b`).MatchString(cmd) {
			problems = append(problems, name+": "+strings.TrimSpace(cmd)+" does not pin --signer-workflow to .github/workflows/release.yml")
		}
		if !strings.Contains(cmd, "--source-ref refs/heads/main") {
			problems = append(problems, name+": "+strings.TrimSpace(cmd)+" does not pin --source-ref refs/heads/main")
		}
	}
	return problems
}

// TestVerifyCommands checks the verify commands of the README, the
// release notes (release.yml), RELEASING.md and SECURITY.md.
func TestVerifyCommands(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"README.md", "RELEASING.md", "SECURITY.md", ".github/workflows/release.yml"} {
		src := repoFile(t, name)
		if !strings.Contains(src, "gh attestation verify") {
			t.Errorf("%s has no gh attestation verify command", name)
		}
		for _, p := range checkVerifyCommands(name, src) {
			t.Error(p)
		}
	}
	for _, tt := range []struct{ src, want string }{
		{"gh attestation verify x --repo o/r --source-ref refs/heads/main", "--signer-workflow"},
		{"gh attestation verify x --repo o/r --signer-workflow o/r/.github/workflows/ci.yml --source-ref refs/heads/main", "--signer-workflow"},
		{"gh attestation verify x \\\n  --signer-workflow o/r/.github/workflows/release.yml", "--source-ref"},
	} {
		if p := checkVerifyCommands("case", tt.src); !hasProblem(p, tt.want) {
			t.Errorf("checkVerifyCommands(%q) = %q, want one containing %q", tt.src, p, tt.want)
		}
	}
}

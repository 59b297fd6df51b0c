package config

import (
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// readActionFile reads action.yml the one way the tests read it; a key
// it does not know fails, so a typo cannot hide.
func readActionFile(tb testing.TB) *runnertest.Action {
	tb.Helper()
	f, err := runnertest.ReadAction("../../action.yml")
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func TestActionFile(t *testing.T) {
	t.Parallel()
	f := readActionFile(t)

	t.Run("metadata", func(t *testing.T) {
		t.Parallel()
		if f.Name == "" || f.Description == "" || f.Author != "ghapptoken" {
			t.Errorf("name, description, author = %q, %q, %q, want non-empty and author ghapptoken", f.Name, f.Description, f.Author)
		}
		if f.Branding.Icon != "lock" || f.Branding.Color != "gray-dark" {
			t.Errorf("branding = %+v, want lock, gray-dark", f.Branding)
		}
	})

	t.Run("runs", func(t *testing.T) {
		t.Parallel()
		r := f.Runs
		if r.Using != "docker" || r.Image != "Dockerfile" || r.Entrypoint != "/usr/local/bin/app-token" ||
			r.PostEntrypoint != "/usr/local/bin/app-token-post" || r.PostIf != "" {
			t.Errorf("runs = %+v, want docker, Dockerfile, /usr/local/bin/app-token, /usr/local/bin/app-token-post and no post-if", r)
		}
	})

	t.Run("outputs", func(t *testing.T) {
		t.Parallel()
		want := []string{"token", "installation-id", "app-slug", "expires-at", "permissions", "git-user-name", "git-user-email"}
		for _, name := range want {
			if f.Outputs[name].Description == "" {
				t.Errorf("output %s is missing or has no description", name)
			}
		}
		if len(f.Outputs) != len(want) {
			t.Errorf("action.yml has %d outputs, want %d: %q", len(f.Outputs), len(want), want)
		}
	})

	t.Run("descriptions", func(t *testing.T) {
		t.Parallel()
		for name, in := range f.Inputs {
			if in.Description == "" {
				t.Errorf("input %s has no description", name)
			}
			// No input is required: private-key is empty with signing-key
			// (issue 17), and the action checks that exactly one is set.
			if in.Required {
				t.Errorf("input %s required = true, want false", name)
			}
		}
		if !strings.HasPrefix(f.Inputs["app-id"].DeprecationMessage, "Use client-id instead.") {
			t.Errorf("input app-id deprecationMessage = %q, want it to start with %q", f.Inputs["app-id"].DeprecationMessage, "Use client-id instead.")
		}
	})

	t.Run("inputs read", func(t *testing.T) {
		t.Parallel()
		// Load reads the core's inputs and every KMS provider's identity
		// inputs from the registry (kms.Providers): action.yml must
		// declare exactly those, besides the permissions.
		read := map[string]bool{}
		for _, name := range inputNames() {
			read[name] = true
			if _, ok := f.Inputs[name]; !ok {
				t.Errorf("input %s is read but not in action.yml", name)
			}
		}
		for name := range f.Inputs {
			if !read[name] && !strings.HasPrefix(name, "permission-") {
				t.Errorf("action.yml input %s is read by no one: add it to coreInputNames, or to its KMS provider's registry entry", name)
			}
		}
	})

	t.Run("permission inputs", func(t *testing.T) {
		t.Parallel()
		for name, levels := range permissionLevels {
			input := "permission-" + strings.ReplaceAll(name, "_", "-")
			in, ok := f.Inputs[input]
			if !ok {
				t.Errorf("input %s is missing; run go generate ./internal/config", input)
				continue
			}
			if in.Default != nil {
				t.Errorf("input %s has default %q, want none", input, *in.Default)
			}
			for _, l := range levels {
				if !strings.Contains(in.Description, "'"+l+"'") {
					t.Errorf("input %s description = %q, want it to name level %q", input, in.Description, l)
				}
			}
		}
		for input := range f.Inputs {
			name, ok := strings.CutPrefix(input, "permission-")
			if _, known := inputLevels(name); ok && !known {
				t.Errorf("input %s is not a known permission; run go generate ./genperms in tools/", input)
			}
		}
		for name, levels := range retiredPermissions {
			input := "permission-" + strings.ReplaceAll(name, "_", "-")
			if _, generated := permissionLevels[name]; generated {
				t.Errorf("retired permission %s is in app-permissions.json again; remove it from retiredPermissions and its input from outside the generated block", name)
			}
			in, ok := f.Inputs[input]
			if !ok {
				t.Errorf("input %s of retired permission %s is missing", input, name)
				continue
			}
			for _, l := range levels {
				if !strings.Contains(in.Description, "'"+l+"'") {
					t.Errorf("input %s description = %q, want it to name level %q", input, in.Description, l)
				}
			}
			if !strings.Contains(in.Description, "may ignore") {
				t.Errorf("input %s description = %q, want it to say GitHub may ignore it", input, in.Description)
			}
		}
	})

	t.Run("inputs read by Load", func(t *testing.T) {
		t.Parallel()
		// Every permission input is set, so that Load reads each of them.
		env := baseEnv()
		for input := range f.Inputs {
			if name, ok := strings.CutPrefix(input, "permission-"); ok {
				if levels, _ := inputLevels(name); len(levels) > 0 {
					env["INPUT_"+strings.ToUpper(input)] = levels[0]
				}
			}
		}
		var mu sync.Mutex
		read := map[string]bool{}
		getenv := func(k string) string {
			if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
				mu.Lock()
				read[strings.ToLower(name)] = true
				mu.Unlock()
			}
			return env[k]
		}
		_, environ := newAction(t, env)
		a := githubactions.New(githubactions.WithGetenv(getenv))
		if _, err := Load(a, environ); err != nil {
			t.Fatalf("Load() error = %v", err)
		}
		for name := range read {
			if _, ok := f.Inputs[name]; !ok {
				t.Errorf("Load reads input %s, which action.yml does not declare", name)
			}
		}
		for name := range f.Inputs {
			if !read[name] {
				t.Errorf("action.yml declares input %s, which Load does not read", name)
			}
		}
	})

	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		want := map[string]string{
			"skip-token-revoke": "false",
			"github-api-url":    "${{ github.api_url }}",
			"summary":           "true",
			"git-user":          "false",
			"install-cli":       "false",
		}
		got := map[string]string{}
		for name, in := range f.Inputs {
			if in.Default != nil {
				got[name] = *in.Default
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("input defaults = %q, want %q", got, want)
		}

		// Load must give the same Config whether the runner passes the
		// declared defaults or nothing.
		unset := baseEnv()
		delete(unset, "INPUT_GITHUB-API-URL")
		a, environ := newAction(t, unset)
		wantConfig, err := Load(a, environ)
		if err != nil {
			t.Fatalf("Load() error = %v", err)
		}
		defaults := baseEnv()
		for name, v := range got {
			if v == "${{ github.api_url }}" {
				v = defaults["GITHUB_API_URL"]
			}
			defaults["INPUT_"+strings.ToUpper(name)] = v
		}
		a, environ = newAction(t, defaults)
		gotConfig, err := Load(a, environ)
		if err != nil {
			t.Fatalf("Load() error = %v", err)
		}
		if !reflect.DeepEqual(gotConfig, wantConfig) {
			t.Errorf("Load() with declared defaults = %+v, want %+v", redacted(*gotConfig), redacted(*wantConfig))
		}
	})
}

// inputLevels returns the levels of the permission of input
// permission-<name>, generated or retired, and whether it is either.
func inputLevels(name string) ([]string, bool) {
	name = strings.ReplaceAll(name, "-", "_")
	if levels, ok := permissionLevels[name]; ok {
		return levels, true
	}
	levels, ok := retiredPermissions[name]
	return levels, ok
}

// TestOfficialInputs checks that action.yml declares every input of
// actions/create-github-app-token (listed in testdata, with the version it
// was read from), with the same default where that one has a default, so
// that switching the uses: line never gives an "Unexpected input" warning
// or another default.
func TestOfficialInputs(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/official-action-inputs.txt")
	if err != nil {
		t.Fatal(err)
	}
	ours := readActionFile(t).Inputs
	n := 0
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		n++
		name, def, hasDefault := strings.Cut(line, " = ")
		in, ok := ours[name]
		switch {
		case !ok:
			t.Errorf("action.yml does not declare input %s of actions/create-github-app-token", name)
		case hasDefault && (in.Default == nil || *in.Default != def):
			got := "none"
			if in.Default != nil {
				got = strconv.Quote(*in.Default)
			}
			t.Errorf("input %s default = %s, want %q as in actions/create-github-app-token", name, got, def)
		}
	}
	if n < 50 {
		t.Errorf("testdata lists %d official inputs, want the whole list", n)
	}
}

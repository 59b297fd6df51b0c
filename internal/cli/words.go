package cli

import (
	"strings"

	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/hint"
)

// words renders what the core and config name as the action's inputs
// (client-id, permission-issues, github-api-url) in the command line's
// words: its flags and environment variables. It learns the values the
// user gave as the flags are read.
type words struct {
	keyEnv    string // the variable the key is read from without --private-key-file
	keySource string // where the key was read from: a path, "standard input" or "$NAME"
	// permissions maps each --permission name, as GitHub spells it, to
	// the level given.
	permissions map[string]string
}

// newWords returns the words of a command line whose flags are not read
// yet.
func newWords() *words {
	return &words{keyEnv: defaultKeyEnv, permissions: map[string]string{}}
}

// flagName returns what sets input on the command line: the flag of the
// same meaning, or for a KMS provider's secret input (an access token),
// its environment variable (a secret on the command line would show in
// shell history and ps). It is a switch and the registry's list, not a
// map, so that the binary builds no table at start-up.
func flagName(input string) (string, bool) {
	switch input {
	case "github-api-url":
		return "--api-url", true
	case "client-id", "app-id", "owner", "repositories", "repository-ids", "installation-id", "enterprise", "ca-certificates":
		return "--" + input, true
	}
	if env, ok := secretEnv(input); ok {
		return "$" + env, true
	}
	found := false
	keylessFlags(func(name, _ string) { found = found || name == input })
	if found {
		return "--" + input, true
	}
	return "", false
}

// field renders a hint's field (see package hint) as what sets it on the
// command line, like --permission issues=LEVEL for permission-issues.
func (w *words) field(name string) (string, bool) {
	if f, ok := flagName(name); ok {
		return f, true
	}
	switch perm, isPerm := strings.CutPrefix(name, "permission-"); {
	case name == "private-key":
		return "--private-key-file or $" + w.env(), true
	case isPerm && perm == "*":
		return "--permission NAME=LEVEL", true
	case isPerm:
		return "--permission " + permName(perm) + "=LEVEL", true
	}
	return "", false
}

// message renders the input an error names as the flag the user gave,
// with its value where that says more: --permission issues=admin.
func (w *words) message(input string) string {
	if f, ok := flagName(input); ok {
		return f
	}
	switch perm, isPerm := strings.CutPrefix(input, "permission-"); {
	case input == "private-key" && w.keySource != "":
		return w.keySource
	case input == "private-key":
		return "$" + w.env()
	case isPerm && perm == "*":
		return "--permission"
	case isPerm:
		name := permName(perm)
		if level, ok := w.permissions[name]; ok {
			return "--permission " + name + "=" + level
		}
		return "--permission " + name
	}
	return input
}

// problem renders an input error's problem, such as "cannot be combined
// with {owner}", in the command line's words: the inputs it names as
// flags, and the current repository as the variable it comes from.
func (w *words) problem(p string) string {
	return strings.Replace(hint.Render(p, w.field), "GITHUB_REPOSITORY ", "$GITHUB_REPOSITORY ", 1)
}

// next returns the next step for input error in, in place of next where
// that speaks of the action's workflow rather than of fields.
func (w *words) next(in *config.InputError, next string) string {
	switch {
	case in.Input == "permission-*":
		return "write --permission NAME=LEVEL, where NAME is a GitHub App permission such as contents or pull_requests"
	case strings.Contains(in.Problem, "${{"):
		return "pass the value itself: " + w.fieldOrInput(in.Input) + " got the text of a workflow expression, which only a workflow evaluates"
	}
	return next
}

// fieldOrInput renders input as a field, or as itself when it has no flag.
func (w *words) fieldOrInput(input string) string {
	if f, ok := w.field(input); ok {
		return f
	}
	return input
}

// jobPhrases rewords what the core's hints say of a workflow run for a
// command run on a machine.
var jobPhrases = strings.NewReplacer(
	"re-run the job", "run the command again",
	"the job was cancelled", "the command was interrupted",
	"the runner's network", "this machine's network",
	"the runner's clock", "this machine's clock",
)

// render returns the next step next with its fields, and what it says of
// a workflow run, in the command line's words.
func (w *words) render(next string) string {
	return jobPhrases.Replace(hint.Render(next, w.field))
}

// warning renders a warning or notice of config's, which names inputs as
// {field}, in the command line's words: each input as the flag the user
// gave, with its value where that says more.
func (w *words) warning(s string) string {
	return hint.Render(s, func(field string) (string, bool) { return w.message(field), true })
}

// env returns the variable the key is read from.
func (w *words) env() string {
	if w.keyEnv == "" {
		return defaultKeyEnv
	}
	return w.keyEnv
}

// permName returns GitHub's name of the permission a permission-* input
// names: pull-requests is pull_requests.
func permName(s string) string { return strings.ReplaceAll(s, "-", "_") }

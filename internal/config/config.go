// Package config turns the action's inputs and the runner's GITHUB_*
// environment into a validated [Config] for the main step and a
// [PostConfig] for the post step. It is the only package that reads inputs.
// Bad input is reported as an [*InputError] that names the input and the
// next step, and never contains the private key.
package config

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sethvargo/go-githubactions"
)

const (
	defaultAPIURL    = "https://api.github.com"
	defaultServerURL = "https://github.com"

	// maxRepositories is GitHub's limit on repositories plus repository IDs
	// in one installation token request.
	maxRepositories = 500
)

// Config is the validated input of the main step.
type Config struct {
	Issuer     string // client-id if set, else app-id
	PrivateKey string // raw input; appjwt.ParseKey parses it

	Owner             string   // owner input as given ("" if unset)
	RepoOwner         string   // Owner, else GITHUB_REPOSITORY_OWNER, else the owner of GITHUB_REPOSITORY, else the owner named in repositories
	Repositories      []string // bare names, deduplicated case-insensitively, in input order
	RepositoryIDs     []int64  // input repository-ids, deduplicated, in input order
	InstallationID    int64    // input installation-id; 0 if unset
	Enterprise        string   // input enterprise
	CurrentRepository string   // GITHUB_REPOSITORY, "owner/name"

	// Permissions maps permission names ("pull_requests") to levels
	// ("write"). It is nil when no permission-* input is set, which means
	// all of the installation's permissions.
	Permissions map[string]string

	SkipTokenRevoke bool
	APIURL          string // github-api-url, else GITHUB_API_URL, else https://api.github.com; no trailing slash
	ServerURL       string // GITHUB_SERVER_URL, else https://github.com; no trailing slash
	Summary         bool   // input summary, default true
	GitUser         bool   // input git-user, default false
	Debug           bool   // RUNNER_DEBUG == "1"

	// Warnings are problems with the input that do not stop the step, such
	// as an unknown permission name that is forwarded as is. The caller
	// reports each one.
	Warnings []string
}

// PostConfig is the input of the post step.
type PostConfig struct {
	SkipTokenRevoke bool
	APIURL          string
	Debug           bool
	Token           string // STATE_token; "" means there is nothing to revoke
	ExpiresAt       string // STATE_expires-at, RFC 3339; may be ""
}

// InputError is a bad input value. Error returns "<input>: <problem>" on one
// line; Fix is the next step, a whole sentence. Neither contains the private
// key.
type InputError struct {
	Input   string // the input's name, e.g. "permission-issues"
	Problem string // e.g. `must be read or write, got "admin"`
	Fix     string
}

func (e *InputError) Error() string { return e.Input + ": " + e.Problem }

// Load reads the inputs of the main step from a, and discovers the
// permission-* inputs from environ, a list of "KEY=value" entries as
// returned by os.Environ. The error is an [*InputError].
func Load(a *githubactions.Action, environ []string) (*Config, error) {
	l := &loader{a: a, environ: environ}
	for _, step := range []func() error{l.app, l.scope, l.permissions, l.flags, l.apiURL} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	l.c.ServerURL = serverURL(a)
	l.c.Debug = a.Getenv("RUNNER_DEBUG") == "1"
	return &l.c, nil
}

// LoadPost reads the inputs and saved state of the post step from a. It
// never fails: an invalid skip-token-revoke counts as false, an unevaluated
// ${{ }} expression in github-api-url counts as unset, and an invalid API
// URL is returned unchecked, so that the post step still tries to revoke
// the token.
func LoadPost(a *githubactions.Action) PostConfig {
	skip, ok := parseBool(a.GetInput("skip-token-revoke"), false)
	in := a.GetInput("github-api-url")
	if strings.Contains(in, "${{") {
		in = ""
	}
	return PostConfig{
		SkipTokenRevoke: skip && ok,
		APIURL:          resolveAPIURL(a, in),
		Debug:           a.Getenv("RUNNER_DEBUG") == "1",
		Token:           strings.TrimSpace(a.Getenv("STATE_token")),
		ExpiresAt:       strings.TrimSpace(a.Getenv("STATE_expires-at")),
	}
}

// loader holds the state of one Load call; each of its steps fills part of c.
type loader struct {
	a       *githubactions.Action
	environ []string
	c       Config
}

// input returns the trimmed value of input name, once [checkValue] has
// passed it.
func (l *loader) input(name string) (string, error) {
	v := l.a.GetInput(name)
	if err := checkValue(name, v); err != nil {
		return "", err
	}
	return v, nil
}

// checkValue refuses the text of an expression the runner did not
// evaluate, without repeating it, since it may be the private key's, and a
// private key (or its BEGIN line) in any input but private-key, since the
// errors about a bad value quote it. Every input value passes through it
// before anything else looks at it.
func checkValue(name, v string) error {
	if strings.Contains(v, "${{") {
		return &InputError{
			Input:   name,
			Problem: "contains an unexpanded ${{ }} expression",
			Fix:     "The runner passed the expression's text instead of its value, which happens where expressions are not evaluated; set " + name + " in the step's with: block and check the expression's syntax.",
		}
	}
	if name != "private-key" && strings.Contains(v, "PRIVATE KEY") {
		return &InputError{
			Input:   name,
			Problem: "contains a private key",
			Fix:     "Pass the private key to private-key only, and check which secret " + name + " gets; consider generating a new key if the log of an earlier run showed it.",
		}
	}
	return nil
}

func (l *loader) app() error {
	clientID, err := l.input("client-id")
	if err != nil {
		return err
	}
	appID, err := l.input("app-id")
	if err != nil {
		return err
	}
	name, issuer := "client-id", clientID
	if issuer == "" {
		name, issuer = "app-id", appID
	}
	if issuer == "" {
		return &InputError{
			Input:   "client-id",
			Problem: "neither client-id nor app-id is set",
			Fix:     "Set client-id to the GitHub App's client ID, for example client-id: ${{ vars.APP_CLIENT_ID }}. Secrets are not passed to workflows triggered from forks, so a pull request from a fork gets empty values; a client ID is not secret and can be a variable.",
		}
	}
	if clientID != "" && appID != "" && clientID != appID {
		l.c.Warnings = append(l.c.Warnings, "app-id is ignored because client-id is set; remove app-id")
	}
	if err := checkIssuer(name, issuer); err != nil {
		return err
	}
	key, err := l.input("private-key")
	if err != nil {
		return err
	}
	if key == "" {
		return &InputError{
			Input:   "private-key",
			Problem: "is empty",
			Fix:     "Pass the GitHub App's private key from a secret, for example private-key: ${{ secrets.APP_PRIVATE_KEY }}, and check the secret's name. Secrets are not passed to workflows triggered from forks, so a pull request from a fork gets an empty value.",
		}
	}
	l.c.Issuer, l.c.PrivateKey = issuer, key
	return nil
}

// checkIssuer refuses an issuer that cannot be a client ID or an app ID:
// text with characters neither has. It does not guess at the IDs' shape
// beyond that (GitHub answers a wrong one with 401 or 404, which the action
// explains). The value is never repeated: it may be another secret passed
// by mistake ([checkValue] has already refused a private key).
func checkIssuer(name, v string) error {
	if len(v) > 100 || !allBytes(v, func(c byte) bool { return isAlnum(c) || c == '.' || c == '-' || c == '_' }) {
		return &InputError{
			Input:   name,
			Problem: "is not a client ID or app ID",
			Fix:     "Use the client ID (like Iv23li…) or the numeric app ID shown on the GitHub App's settings page.",
		}
	}
	return nil
}

func (l *loader) permissions() error {
	perms := map[string]string{}
	for _, kv := range l.environ {
		key, _, _ := strings.Cut(kv, "=")
		suffix, ok := cutPrefixFold(key, "INPUT_PERMISSION-")
		if !ok {
			// permission_issues is not a declared input, but ignoring it
			// would grant more than the workflow asked for.
			if suffix, ok = cutPrefixFold(key, "INPUT_PERMISSION_"); !ok {
				continue
			}
		}
		value := strings.TrimSpace(l.a.Getenv(key))
		if value == "" {
			continue
		}
		if suffix == "" || !allBytes(suffix, func(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }) {
			return &InputError{
				Input:   "permission-*",
				Problem: fmt.Sprintf("%s is not a valid permission name", quote(suffix)),
				Fix:     "Name permission inputs permission-<name>, where <name> is a GitHub App permission such as contents or pull-requests.",
			}
		}
		name := strings.ReplaceAll(strings.ToLower(suffix), "-", "_")
		input := "permission-" + strings.ReplaceAll(name, "_", "-")
		if err := checkValue(input, value); err != nil {
			return err
		}
		allowed, known := permissionLevels[name]
		if !known {
			allowed = allLevels
		}
		level := strings.ToLower(value)
		if !slices.Contains(allowed, level) {
			return &InputError{
				Input:   input,
				Problem: fmt.Sprintf("must be %s, got %s", joinWords(allowed, "or"), quote(value)),
				Fix:     fmt.Sprintf("Set %s to %s, or remove it.", input, joinWords(allowed, "or")),
			}
		}
		if prev, ok := perms[name]; ok && prev != level {
			return &InputError{
				Input:   input,
				Problem: fmt.Sprintf("is set twice, to %s and %s", quote(prev), quote(level)),
				Fix:     "Set each permission once.",
			}
		}
		if !known {
			l.c.Warnings = append(l.c.Warnings, fmt.Sprintf("%s: %q is not a known github.com permission; requesting it anyway (it may exist on GitHub Enterprise Server or be newer than this action)", input, name))
		}
		perms[name] = level
	}
	if len(perms) > 0 {
		l.c.Permissions = perms
	}
	return nil
}

// allLevels are the levels an unknown permission may have.
var allLevels = []string{"read", "write", "admin"}

func (l *loader) flags() error {
	var err error
	if l.c.SkipTokenRevoke, err = l.bool("skip-token-revoke", false); err != nil {
		return err
	}
	if l.c.Summary, err = l.bool("summary", true); err != nil {
		return err
	}
	l.c.GitUser, err = l.bool("git-user", false)
	return err
}

// bool returns the value of boolean input name, def if it is unset.
func (l *loader) bool(name string, def bool) (bool, error) {
	v, err := l.input(name)
	if err != nil {
		return false, err
	}
	b, ok := parseBool(v, def)
	if !ok {
		return false, &InputError{
			Input:   name,
			Problem: fmt.Sprintf("must be true or false, got %s", quote(v)),
			Fix:     fmt.Sprintf("Set %s to true or false, or leave it unset for %t.", name, def),
		}
	}
	return b, nil
}

// parseBool parses "true" or "false" in any case, and "" as def. It
// reports whether v was one of them.
func parseBool(v string, def bool) (b, ok bool) {
	switch {
	case v == "":
		return def, true
	case strings.EqualFold(v, "true"):
		return true, true
	case strings.EqualFold(v, "false"):
		return false, true
	}
	return false, false
}

func (l *loader) apiURL() error {
	in, err := l.input("github-api-url")
	if err != nil {
		return err
	}
	u := resolveAPIURL(l.a, in)
	warning, err := checkAPIURL(u)
	if err != nil {
		return err
	}
	if warning != "" {
		l.c.Warnings = append(l.c.Warnings, warning)
	}
	l.c.APIURL = u
	return nil
}

// resolveAPIURL returns in, else GITHUB_API_URL, else the github.com API,
// without trailing slashes.
func resolveAPIURL(a *githubactions.Action, in string) string {
	u := in
	if u == "" {
		u = strings.TrimSpace(a.Getenv("GITHUB_API_URL"))
	}
	if u == "" {
		u = defaultAPIURL
	}
	return strings.TrimRight(u, "/")
}

// checkAPIURL refuses a u that cannot be a GitHub REST API base URL, and
// returns a warning for one that is probably wrong.
func checkAPIURL(u string) (warning string, err error) {
	const name = "github-api-url"
	scheme, rest, hasScheme := strings.Cut(u, "://")
	if !hasScheme {
		rest = u
	}
	// Checked before any echo of u, with or without a scheme: credentials
	// in the URL must not be logged.
	if authority, _, _ := strings.Cut(rest, "/"); strings.Contains(authority, "@") {
		return "", &InputError{
			Input:   name,
			Problem: "contains credentials",
			Fix:     "Remove the user name and password from the URL; the action authenticates as the GitHub App.",
		}
	}
	// A query or fragment can hold a token (?access_token=…): it is not
	// echoed either.
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return "", &InputError{
			Input:   name,
			Problem: fmt.Sprintf("%s has a query or fragment (not shown)", quote(u[:i])),
			Fix:     "Use the URL of the GitHub REST API with no query or fragment, like https://api.github.com or https://HOST/api/v3.",
		}
	}
	if !hasScheme {
		return "", &InputError{
			Input:   name,
			Problem: fmt.Sprintf("%s has no scheme", quote(u)),
			Fix:     fmt.Sprintf("Use a full URL such as %s.", quote("https://"+u)),
		}
	}
	if s := strings.ToLower(scheme); s != "https" && s != "http" {
		return "", &InputError{
			Input:   name,
			Problem: fmt.Sprintf("%s must use https or http", quote(u)),
			Fix:     "Use the URL of the GitHub REST API, like https://api.github.com or https://HOST/api/v3.",
		}
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return "", &InputError{
			Input:   name,
			Problem: fmt.Sprintf("%s is not a valid API base URL", quote(u)),
			Fix:     "Use the URL of the GitHub REST API with a host, like https://api.github.com or https://HOST/api/v3.",
		}
	}
	switch host := strings.ToLower(p.Hostname()); {
	case host == "github.com" || host == "www.github.com":
		return "", &InputError{
			Input:   name,
			Problem: fmt.Sprintf("%s is github.com's web address, not its API", quote(u)),
			Fix:     "Use https://api.github.com, or leave github-api-url unset.",
		}
	case host == "api.github.com" && p.Path != "":
		return fmt.Sprintf("%s: %s has a path, but api.github.com serves its API at the root; requests will probably fail", name, quote(u)), nil
	case host != "api.github.com" && p.Path != "" && p.Path != "/api/v3":
		return fmt.Sprintf("%s: %s has path %s, but GitHub Enterprise Server serves its API at /api/v3; requests will probably fail", name, quote(u), quote(p.Path)), nil
	}
	return "", nil
}

func serverURL(a *githubactions.Action) string {
	if u := strings.TrimRight(strings.TrimSpace(a.Getenv("GITHUB_SERVER_URL")), "/"); u != "" {
		return u
	}
	return defaultServerURL
}

// quote returns s as a Go string literal, shortened to keep error messages
// readable.
func quote(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return strconv.Quote(s)
}

// joinWords returns "a", "a <conj> b", or "a, b <conj> c".
func joinWords(words []string, conj string) string {
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + conj + " " + words[len(words)-1]
}

// cutPrefixFold is strings.CutPrefix with an ASCII case-insensitive prefix.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := range len(s) {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

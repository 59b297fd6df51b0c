// Package config turns the action's inputs and the runner's GITHUB_*
// environment into a validated [Config] for the main step and a
// [PostConfig] for the post step. It is the only package that reads inputs.
// Bad input is reported as an [*InputError] that names the input and the
// next step, and never contains the private key.
package config

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sethvargo/go-githubactions"

	"github.com/ghapptoken/app-token-action/internal/hint"
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
	PrivateKey string // raw input; appjwt.ParseKey parses it; "" when Keyless is set

	// Keyless, when set, names the app's key in a KMS or Vault, and how
	// to authenticate to it, instead of PrivateKey.
	Keyless *Keyless

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
	InstallCLI      bool   // input install-cli, default false: leave the command line and a CLIFile for later steps
	Debug           bool   // RUNNER_DEBUG == "1"

	// CACertificates is input ca-certificates, checked: PEM text of one or
	// more CERTIFICATE blocks, each of which parses, and nothing else
	// (clean for x509.CertPool.AppendCertsFromPEM), or "". The caller adds
	// them to the system roots for every request, for a GitHub Enterprise
	// Server behind a private certificate authority.
	CACertificates string

	// Warnings are problems with the input that do not stop the step, such
	// as an unknown permission name that is forwarded as is. The caller
	// reports each one, rendering the inputs it names as {field} with
	// hint.Render, as it renders hints.
	Warnings []string

	// Notices say how the action understood an input written in another
	// form than it documents, such as a clone URL in repositories
	// ("repositories: understood \"https://github.com/o/r.git\" as \"o/r\"…").
	// They are not problems; the caller reports each one as a notice,
	// rendered as Warnings are.
	Notices []string
}

// PostConfig is the input of the post step.
type PostConfig struct {
	SkipTokenRevoke bool
	APIURL          string
	Debug           bool
	Token           string // STATE_token; "" means there is nothing to revoke
	ExpiresAt       string // STATE_expires-at, RFC 3339; may be ""
	// Unused (STATE_unused) says the main step minted the token but
	// handed it to nobody, as when the job was cancelled meanwhile.
	Unused bool
	// Started (STATE_main) says the runner passed the main step's state:
	// the main step saves it first, whatever happens next.
	Started bool

	// CACertificates is as in [Config], or "" if input ca-certificates is
	// unset or unusable: the post step does not fail on it, and its request
	// then fails on the certificate like any other.
	CACertificates string
}

// InputError is a bad input value. Error returns "<input>: <problem>" on one
// line; neither contains the private key. Parse returns it wrapped in a
// [hint.Error] that says what to change.
type InputError struct {
	Input string // the input's name, e.g. "permission-issues"
	// Problem says what is wrong, naming other inputs as {field} as hints
	// do, e.g. `must be read or write, got "admin"` or "cannot be combined
	// with {owner}".
	Problem string
}

// Error returns "<input>: <problem>", with the inputs the problem names
// (see Problem) written as they are.
func (e *InputError) Error() string { return e.Input + ": " + hint.Render(e.Problem, hint.Plain) }

// inputError returns an [*InputError] with the next step next (see package
// hint for its form).
func inputError(input, problem, next string) error {
	return hint.New(&InputError{Input: input, Problem: problem}, next)
}

// Inputs are the values a front end gathered, before any check: the
// action's inputs and the runner's variables.
type Inputs struct {
	// Values maps an input's name as action.yml spells it ("client-id",
	// "permission-issues") to its value. Absent and "" are the same;
	// values are trimmed, except that a list input (repositories,
	// repository-ids) of only whitespace counts as set and naming nothing,
	// which is an error.
	Values map[string]string
	// Getenv returns a runner variable, such as GITHUB_REPOSITORY or
	// RUNNER_DEBUG; nil means none is set.
	Getenv func(name string) string
}

func (in Inputs) getenv(name string) string {
	if in.Getenv == nil {
		return ""
	}
	return strings.TrimSpace(in.Getenv(name))
}

// coreInputNames are the inputs Load reads besides the permission-* inputs
// and the KMS providers' identity inputs (see [inputNames]).
var coreInputNames = []string{
	"client-id", "app-id", "private-key", "signing-key", "owner", "repositories", "repository-ids",
	"installation-id", "enterprise", "skip-token-revoke", "github-api-url", "summary", "git-user",
	"ca-certificates", "install-cli",
}

// inputNames returns the inputs Load reads besides the permission-*
// inputs: coreInputNames and the identity inputs of every KMS provider.
func inputNames() []string {
	return append(coreInputNames[:len(coreInputNames):len(coreInputNames)], keylessInputNames()...)
}

// listInputs are the inputs whose value, once set, must name something:
// each is unset or a list of at least one entry.
var listInputs = map[string]bool{"repositories": true, "repository-ids": true}

// Load reads the inputs of the main step from a, discovers the
// permission-* inputs from environ, a list of "KEY=value" entries as
// returned by os.Environ, and checks them with [Parse].
func Load(a *githubactions.Action, environ []string) (*Config, error) {
	return Parse(actionInputs(a, environ))
}

// actionInputs returns the inputs the runner passed to the step: every
// input in inputNames and every INPUT_PERMISSION… variable in environ,
// read through a.
func actionInputs(a *githubactions.Action, environ []string) Inputs {
	names := inputNames()
	values := make(map[string]string, len(names)+8)
	for _, name := range names {
		if listInputs[name] {
			// GetInput trims, but a list of only whitespace is set: it is
			// what a block scalar gives when its expression came out empty.
			values[name] = a.Getenv("INPUT_" + strings.ToUpper(name))
			continue
		}
		values[name] = a.GetInput(name)
	}
	for _, kv := range environ {
		key, _, _ := strings.Cut(kv, "=")
		// permission_issues is not a declared input, but ignoring it would
		// grant more than the workflow asked for: Parse reads both.
		if _, ok := cutPrefixFold(key, "INPUT_PERMISSION"); ok {
			values[strings.ToLower(key[len("INPUT_"):])] = strings.TrimSpace(a.Getenv(key))
		}
	}
	return Inputs{Values: values, Getenv: a.Getenv}
}

// Parse checks the inputs of the main step and returns the [Config] they
// describe. An error is an [*InputError] wrapped with its next step.
func Parse(in Inputs) (*Config, error) {
	l := &loader{in: in}
	return l.load(l.app, l.scope, l.permissions, l.flags, l.apiURL, l.caCertificates)
}

// ParseApp checks only the inputs that name the app, its key and the API:
// client-id, app-id, private-key, github-api-url and ca-certificates. The other fields of
// the Config it returns are zero. It serves commands that act as the app
// without minting a token, such as listing its installations.
func ParseApp(in Inputs) (*Config, error) {
	l := &loader{in: in}
	return l.load(l.app, l.apiURL, l.caCertificates)
}

// LoadPost reads the inputs and saved state of the post step from a. It
// never fails: an invalid skip-token-revoke counts as false, an unevaluated
// ${{ }} expression in github-api-url counts as unset, an invalid API
// URL is returned unchecked, and unusable ca-certificates are left out, so
// that the post step still tries to revoke the token.
func LoadPost(a *githubactions.Action) PostConfig {
	skip, ok := parseBool(a.GetInput("skip-token-revoke"), false)
	var certs string
	if v := a.GetInput("ca-certificates"); v != "" && checkValue("ca-certificates", v) == nil {
		certs, _ = parseCACertificates(v) // "" if unusable
	}
	return PostConfig{
		CACertificates:  certs,
		SkipTokenRevoke: skip && ok,
		APIURL:          PostAPIURL(a.GetInput("github-api-url"), a.Getenv),
		Debug:           a.Getenv("RUNNER_DEBUG") == "1",
		Token:           strings.TrimSpace(a.Getenv("STATE_token")),
		ExpiresAt:       strings.TrimSpace(a.Getenv("STATE_expires-at")),
		Unused:          strings.TrimSpace(a.Getenv("STATE_unused")) == "true",
		Started:         strings.TrimSpace(a.Getenv("STATE_main")) == "started",
	}
}

// PostAPIURL resolves the API URL for a call that must not fail on bad
// input, such as a revocation: in, else GITHUB_API_URL, else the github.com
// API, unchecked. An unevaluated ${{ }} expression counts as unset.
func PostAPIURL(in string, getenv func(string) string) string {
	in = strings.TrimSpace(in)
	if strings.Contains(in, "${{") {
		in = ""
	}
	return resolveAPIURL(Inputs{Getenv: getenv}, in)
}

// loader holds the state of one Parse call; each of its steps fills part
// of c.
type loader struct {
	in Inputs
	c  Config
}

// load runs steps in order, stopping at the first error, and adds what
// every Config has: the server's URL and the debug flag.
func (l *loader) load(steps ...func() error) (*Config, error) {
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	l.c.ServerURL = serverURL(l.in)
	l.c.Debug = l.in.getenv("RUNNER_DEBUG") == "1"
	return &l.c, nil
}

// input returns the trimmed value of input name, once [checkValue] has
// passed it.
func (l *loader) input(name string) (string, error) {
	v := strings.TrimSpace(l.in.Values[name])
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
		return inputError(name,
			"contains an unexpanded ${{ }} expression",
			"the runner passed the expression's text instead of its value, which happens where expressions are not evaluated; set {"+name+"} in the step's with: block and check the expression's syntax")
	}
	if name != "private-key" && strings.Contains(v, "PRIVATE KEY") {
		return inputError(name,
			"contains a private key",
			"pass the private key to {private-key} only, and check which secret {"+name+"} gets; consider generating a new key if the log of an earlier run showed it")
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
		return inputError("client-id",
			"neither client-id nor app-id is set",
			"set {client-id} to the GitHub App's client ID, for example client-id: ${{ vars.APP_CLIENT_ID }}; "+forkNote)
	}
	if clientID != "" && appID != "" && clientID != appID {
		l.c.Warnings = append(l.c.Warnings, "{app-id} is ignored because {client-id} is set; remove {app-id}")
	}
	if err := checkIssuer(name, issuer); err != nil {
		return err
	}
	key, err := l.input("private-key")
	if err != nil {
		return err
	}
	signingKey, err := l.input("signing-key")
	if err != nil {
		return err
	}
	switch {
	case key == "" && signingKey == "":
		return inputError("private-key",
			"is empty, and so is signing-key",
			"pass the GitHub App's private key in {private-key} from a secret, for example private-key: ${{ secrets.APP_PRIVATE_KEY }}, and check the secret's name, "+
				"or name the app's key in a KMS or Vault in {signing-key}; "+forkNote)
	case key != "" && signingKey != "":
		return inputError("signing-key",
			"cannot be combined with {private-key}",
			"keep the app's key in one place: remove {private-key} to sign with the key {signing-key} names, or remove {signing-key}")
	}
	l.c.Issuer, l.c.PrivateKey = issuer, key
	return l.keyless(signingKey)
}

// forkNote ends the hints for an empty client ID or private key: a pull
// request from a fork gets neither, whether the value is a secret or a
// configuration variable, so no input can fix it there.
//
// Secrets: "With the exception of GITHUB_TOKEN, secrets are not passed to
// the runner when a workflow is triggered from a forked repository"
// (https://docs.github.com/en/actions/how-tos/write-workflows/choose-what-workflows-do/use-secrets,
// "Using secrets in a workflow"). Configuration variables (vars): the
// repository's Settings > Secrets and variables > Actions page says both
// "are not passed to workflows that are triggered by a pull request from a
// fork", and GitHub staff confirmed it for variables in
// https://github.com/orgs/community/discussions/44322; the docs' variables
// pages (https://docs.github.com/en/actions/how-tos/write-workflows/choose-what-workflows-do/use-variables)
// do not say otherwise. So "use a variable" is no way out for forks.
const forkNote = "in a workflow triggered by a pull request from a fork, secrets and configuration variables are both empty, so skip this step there"

// checkIssuer refuses an issuer that cannot be a client ID or an app ID:
// text with characters neither has. It does not guess at the IDs' shape
// beyond that (GitHub answers a wrong one with 401 or 404, which the action
// explains). The value is never repeated: it may be another secret passed
// by mistake ([checkValue] has already refused a private key).
func checkIssuer(name, v string) error {
	if len(v) > 100 || !allBytes(v, func(c byte) bool { return isAlnum(c) || c == '.' || c == '-' || c == '_' }) {
		return inputError(name,
			"is not a client ID or app ID",
			"set {"+name+"} to the client ID (like Iv23li…) or the numeric app ID shown on the GitHub App's settings page")
	}
	return nil
}

func (l *loader) permissions() error {
	perms := map[string]string{}
	for _, key := range slices.Sorted(maps.Keys(l.in.Values)) {
		suffix, ok := cutPrefixFold(key, "permission-")
		if !ok {
			// permission_issues is not a declared input, but ignoring it
			// would grant more than the workflow asked for.
			if suffix, ok = cutPrefixFold(key, "permission_"); !ok {
				continue
			}
		}
		value := strings.TrimSpace(l.in.Values[key])
		if value == "" {
			continue
		}
		if suffix == "" || !allBytes(suffix, func(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }) {
			return inputError("permission-*",
				fmt.Sprintf("%s is not a valid permission name", quote(suffix)),
				"name permission inputs permission-<name>, where <name> is a GitHub App permission such as contents or pull-requests")
		}
		name := strings.ReplaceAll(strings.ToLower(suffix), "-", "_")
		input := "permission-" + strings.ReplaceAll(name, "_", "-")
		if err := checkValue(input, value); err != nil {
			return err
		}
		allowed, known := permissionLevels[name]
		retired := false
		if !known {
			if allowed, retired = retiredPermissions[name]; !retired {
				allowed = allLevels
			}
		}
		level := strings.ToLower(value)
		if !slices.Contains(allowed, level) {
			return inputError(input,
				fmt.Sprintf("must be %s, got %s", joinWords(allowed, "or"), quote(value)),
				fmt.Sprintf("set {%s} to %s, or remove it", input, joinWords(allowed, "or")))
		}
		if prev, ok := perms[name]; ok && prev != level {
			return inputError(input,
				fmt.Sprintf("is set twice, to %s and %s", quote(prev), quote(level)),
				"set {"+input+"} once")
		}
		switch {
		case retired:
			l.c.Warnings = append(l.c.Warnings, fmt.Sprintf("{%s}: %q is no longer in GitHub's list of app permissions; requesting it anyway, as actions/create-github-app-token does, but GitHub may ignore it", input, name))
		case !known:
			l.c.Warnings = append(l.c.Warnings, fmt.Sprintf("{%s}: %q is not a known github.com permission; requesting it anyway (it may exist on GitHub Enterprise Server or be newer than this action)", input, name))
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

// retiredPermissions are the permissions that actions/create-github-app-token
// declares as inputs but GitHub's OpenAPI description (and so
// permissionLevels) no longer lists, with the levels they had. action.yml
// declares them outside its generated block; like unknown permissions, they
// are requested with a warning.
var retiredPermissions = map[string][]string{
	"team_discussions": {"read", "write"},
}

func (l *loader) flags() error {
	var err error
	if l.c.SkipTokenRevoke, err = l.bool("skip-token-revoke", false); err != nil {
		return err
	}
	if l.c.Summary, err = l.bool("summary", true); err != nil {
		return err
	}
	if l.c.GitUser, err = l.bool("git-user", false); err != nil {
		return err
	}
	l.c.InstallCLI, err = l.bool("install-cli", false)
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
		return false, inputError(name,
			fmt.Sprintf("must be true or false, got %s", quote(v)),
			fmt.Sprintf("set {%s} to true or false, or leave it unset for %t", name, def))
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
	u := resolveAPIURL(l.in, in)
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
func resolveAPIURL(env Inputs, in string) string {
	u := in
	if u == "" {
		u = env.getenv("GITHUB_API_URL")
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
		return "", inputError(name,
			"contains credentials",
			"remove the user name and password from {github-api-url}; the action authenticates as the GitHub App")
	}
	// A query or fragment can hold a token (?access_token=…): it is not
	// echoed either.
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return "", inputError(name,
			fmt.Sprintf("%s has a query or fragment (not shown)", quote(u[:i])),
			"set {github-api-url} to the URL of the GitHub REST API with no query or fragment, like https://api.github.com or https://HOST/api/v3")
	}
	if !hasScheme {
		return "", inputError(name,
			fmt.Sprintf("%s has no scheme", quote(u)),
			fmt.Sprintf("set {github-api-url} to a full URL such as %s", quote("https://"+u)))
	}
	if s := strings.ToLower(scheme); s != "https" && s != "http" {
		return "", inputError(name,
			fmt.Sprintf("%s must use https or http", quote(u)),
			"set {github-api-url} to the URL of the GitHub REST API, like https://api.github.com or https://HOST/api/v3")
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return "", inputError(name,
			fmt.Sprintf("%s is not a valid API base URL", quote(u)),
			"set {github-api-url} to the URL of the GitHub REST API with a host, like https://api.github.com or https://HOST/api/v3")
	}
	switch host := strings.ToLower(p.Hostname()); {
	case host == "github.com" || host == "www.github.com":
		return "", inputError(name,
			fmt.Sprintf("%s is github.com's web address, not its API", quote(u)),
			"set {github-api-url} to https://api.github.com, or leave it unset")
	case host == "api.github.com" && p.Path != "":
		return fmt.Sprintf("{%s}: %s has a path, but api.github.com serves its API at the root; requests will probably fail", name, quote(u)), nil
	case host != "api.github.com" && p.Path != "" && p.Path != "/api/v3":
		return fmt.Sprintf("{%s}: %s has path %s, but GitHub Enterprise Server serves its API at /api/v3; requests will probably fail", name, quote(u), quote(p.Path)), nil
	}
	return "", nil
}

func serverURL(in Inputs) string {
	if u := strings.TrimRight(in.getenv("GITHUB_SERVER_URL"), "/"); u != "" {
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

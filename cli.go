package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/githubapi"
)

// The command-line interface runs the action's logic outside a workflow:
// locally, on other CI systems, or to debug an app. It speaks to people and
// scripts, never in workflow commands: results go to stdout, warnings to
// stderr, and errors, reported by main through [reportCLI], to stderr as
// "app-token: <message>" and "hint: <next step>".

// defaultKeyEnv is the environment variable the app's private key is read
// from when -private-key-file is not given.
const defaultKeyEnv = "APP_PRIVATE_KEY"

// maxInput bounds what is read from a key file, a token file or stdin, so
// that a wrong path such as /dev/zero ends in an error instead of a hang.
const maxInput = 1 << 20

// cli is the outside world of a CLI subcommand: deps, whose action serves
// only to read the environment, and the standard streams deps lacks.
type cli struct {
	deps
	stdin  io.Reader
	stderr io.Writer
}

func newCLI(d deps) cli { return cli{deps: d, stdin: os.Stdin, stderr: os.Stderr} }

// reportCLI prints err to w for a person at a terminal, as
// "app-token: <message>" and "hint: <next step>", and returns the exit
// status: 2 for a usage error, else 1.
func reportCLI(w io.Writer, err error) int {
	msg, h := err.Error(), hint(err)
	var u *usageError
	usage := errors.As(err, &u)
	if usage && h == "" {
		h = "run `app-token help` for the commands and their flags"
	}
	// An unknown command or flag is echoed; a key pasted as one must not be.
	if looksLikeKey(msg) {
		msg, h = "an argument holds a private key (not shown)", keyArgHint
	}
	fmt.Fprintf(w, "app-token: %s\n", msg)
	if h != "" {
		fmt.Fprintf(w, "hint: %s\n", h)
	}
	if usage {
		return 2
	}
	return 1
}

const keyArgHint = "pass the key with -private-key-file PATH or in $" + defaultKeyEnv +
	", never on the command line, where shell history and ps show it; remove it from your shell history"

// looksLikeKey reports whether s holds PEM key text, or a PEM file encoded
// in base64 ("-----BEGIN" encodes as "LS0tLS1CRUdJTi").
func looksLikeKey(s string) bool {
	return strings.Contains(s, "-----BEGIN") || strings.Contains(s, "-----END") || strings.Contains(s, "LS0tLS1CRUdJTi")
}

// command describes a subcommand for its help text.
type command struct {
	name    string
	summary string // one line for `app-token help`
	doc     string // paragraphs after the usage line
	flags   func() *flag.FlagSet
}

// commands lists the subcommands in the order help shows them.
var commands = []command{
	{"token", "mint an installation token and print it", tokenDoc, func() *flag.FlagSet { fs, _ := tokenFlags(); return fs }},
	{"revoke", "revoke an installation token", revokeDoc, func() *flag.FlagSet { fs, _ := revokeFlags(); return fs }},
	{"installations", "list the app's installations", installationsDoc, func() *flag.FlagSet { fs, _ := installationsFlags(); return fs }},
	{"demo", "run the action against a built-in GitHub API emulator", demoDoc, nil},
	{"version", "print the version", "Version prints the version of app-token.\n", nil},
}

const usageText = `App-token mints GitHub App installation access tokens.

In a GitHub Actions job it is the action's main step (run with no arguments)
and post step. Elsewhere, its commands mint, list and revoke tokens from the
command line.

Usage:

	app-token <command> [flags]

The commands are:

`

const usageFooter = `
Use "app-token help <command>" or "app-token <command> -h" for more
information about a command.

The exit status is 0 on success, 1 on failure and 2 for a usage error.
`

const appDoc = `The app is named by -client-id, or -app-id, and authenticates with its
private key, read from the file -private-key-file or from the environment
variable APP_PRIVATE_KEY (another one with -private-key-env). The key is
never accepted as a flag's value, where shell history and ps would show it.
`

const tokenDoc = `Token mints an installation access token for a GitHub App and prints it on
standard output, followed by a newline; nothing else is printed there. With
-json it prints a JSON object with the fields token, expires_at,
installation_id, app_slug, permissions and repositories.

` + appDoc + `
The installation and the token's repositories are chosen as the action
chooses them. With -repositories, the token covers those repositories, all
of one owner (-owner, or the owner written as owner/name). With -owner
alone, it covers all of the owner's installation. -installation-id and
-enterprise pick an installation directly. With none of these, the token is
for the current repository: -repository, by default $GITHUB_REPOSITORY.

Each -permission NAME=LEVEL narrows the token to that permission, for
example -permission contents=read -permission pull_requests=write; with
none, the token gets all of the installation's permissions. Values are
checked exactly as the action checks its inputs, and errors name the
corresponding input.

The token is valid for an hour; revoke it early with app-token revoke.
`

const revokeDoc = `Revoke revokes an installation access token, read from standard input or
from the file -token-file, and prints "token revoked". The input is the
token alone, or the JSON object app-token token -json prints:

	app-token token -client-id ID -owner octo-org -json > token.json
	app-token revoke -token-file token.json

Unlike the action's post step, revoke fails when GitHub refuses, for
instance because the token was already revoked or has expired.
`

const installationsDoc = `Installations lists the app's installations, one per line with the columns
ID, ACCOUNT, TYPE, REPOSITORIES (all or selected), SUSPENDED and
PERMISSIONS. With -json it prints a JSON array of objects with the fields
id, account, account_type, repository_selection, suspended and permissions.

` + appDoc

const demoDoc = `Demo runs the action's main and post steps, as the runner would, against a
built-in emulator of GitHub's API, and shows the requests, the log and the
outputs. It needs no GitHub App and no network, and takes no flags.
`

// runHelp prints the help for the command args names, or the list of
// commands, on w.
func runHelp(w io.Writer, args []string) error {
	switch len(args) {
	case 0:
		var b strings.Builder
		b.WriteString(usageText)
		for _, c := range commands {
			fmt.Fprintf(&b, "\t%-14s %s\n", c.name, c.summary)
		}
		b.WriteString(usageFooter)
		_, err := io.WriteString(w, b.String())
		return err
	case 1:
		for _, c := range commands {
			if c.name == args[0] {
				return printHelp(w, c)
			}
		}
		return &usageError{fmt.Sprintf("help: unknown command %q", args[0])}
	}
	return &usageError{"help takes at most one command"}
}

// printHelp prints c's help in the style of `go help build`.
func printHelp(w io.Writer, c command) error {
	var b bytes.Buffer
	if c.flags == nil {
		fmt.Fprintf(&b, "usage: app-token %s\n\n%s", c.name, c.doc)
	} else {
		fmt.Fprintf(&b, "usage: app-token %s [flags]\n\n%s\nFlags (-flag and --flag are the same):\n", c.name, c.doc)
		fs := c.flags()
		fs.SetOutput(&b)
		fs.PrintDefaults()
	}
	_, err := w.Write(b.Bytes())
	return err
}

// parseFlags parses args into fs, the flags of command name. It reports
// whether -h asked for the help, which it then printed on c.stdout.
func parseFlags(c cli, name string, fs *flag.FlagSet, args []string) (help bool, err error) {
	for _, a := range args {
		if looksLikeKey(a) {
			return false, &hintError{err: &usageError{name + ": an argument holds a private key (not shown)"}, hint: keyArgHint}
		}
	}
	fs.SetOutput(io.Discard)
	err = fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		for _, cmd := range commands {
			if cmd.name == name {
				return true, printHelp(c.stdout, cmd)
			}
		}
	case err != nil:
		return false, usage(name, err.Error())
	case fs.NArg() > 0:
		// The arguments are not echoed: one could be a secret.
		return false, usage(name, fmt.Sprintf("takes no arguments, got %d", fs.NArg()))
	}
	return false, nil
}

// usage returns a usage error of command name.
func usage(name, msg string) error {
	return &hintError{err: &usageError{name + ": " + msg}, hint: "run `app-token " + name + " -h` for its flags"}
}

// appFlags are the flags that name the app and its key.
type appFlags struct {
	clientID, appID string
	keyFile, keyEnv string
	apiURL          string
	debug           bool
}

func (o *appFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.clientID, "client-id", "", "the GitHub App's client `ID` (Iv23li…); wins over -app-id")
	fs.StringVar(&o.appID, "app-id", "", "the GitHub App's numeric `ID`, if no -client-id")
	fs.StringVar(&o.keyFile, "private-key-file", "", "read the app's private key from the file at `path` (- for standard input)")
	fs.StringVar(&o.keyEnv, "private-key-env", defaultKeyEnv, "read the app's private key from the environment variable `name`, if no -private-key-file")
	o.registerAPI(fs)
}

func (o *appFlags) registerAPI(fs *flag.FlagSet) {
	fs.StringVar(&o.apiURL, "api-url", "", "the base `URL` of GitHub's REST API (default $GITHUB_API_URL, else https://api.github.com)")
	fs.BoolVar(&o.debug, "debug", false, "log each request to GitHub (never its credentials) on standard error")
}

// inputs returns the action's inputs and the runner's variables that say
// what o says, as the runner passes them to the main step, with the key
// read as o asks. The caller adds its own and calls [loadConfig].
func (o *appFlags) inputs(c cli, name string, fs *flag.FlagSet) (map[string]string, error) {
	if o.clientID == "" && o.appID == "" {
		return nil, usage(name, "-client-id or -app-id is required")
	}
	key, err := o.readKey(c, name, fs)
	if err != nil {
		return nil, err
	}
	return map[string]string{
		"INPUT_CLIENT-ID":      o.clientID,
		"INPUT_APP-ID":         o.appID,
		"INPUT_PRIVATE-KEY":    key,
		"INPUT_GITHUB-API-URL": o.apiURL,
		// Nothing saves the token for a post step, so none need be written.
		"INPUT_SKIP-TOKEN-REVOKE": "true",
		"GITHUB_API_URL":          c.action.Getenv("GITHUB_API_URL"),
		"GITHUB_SERVER_URL":       c.action.Getenv("GITHUB_SERVER_URL"),
	}, nil
}

// readKey returns the app's private key from -private-key-file or from the
// environment. The key appears in no error.
func (o *appFlags) readKey(c cli, name string, fs *flag.FlagSet) (string, error) {
	envSet := false
	fs.Visit(func(f *flag.Flag) { envSet = envSet || f.Name == "private-key-env" })
	if o.keyFile == "" {
		if !validEnvName(o.keyEnv) {
			return "", usage(name, "-private-key-env must name an environment variable")
		}
		key := c.action.Getenv(o.keyEnv)
		if strings.TrimSpace(key) == "" {
			return "", &hintError{
				err:  &usageError{fmt.Sprintf("%s: no private key: -private-key-file is not set and $%s is empty", name, o.keyEnv)},
				hint: fmt.Sprintf("pass -private-key-file PATH with the .pem file from the app's settings > Private keys, or export %s", o.keyEnv),
			}
		}
		return key, nil
	}
	if envSet {
		return "", usage(name, "-private-key-file and -private-key-env cannot be combined")
	}
	if strings.ContainsAny(o.keyFile, "\r\n") {
		return "", usage(name, "-private-key-file takes the path of a file (not shown: it holds a line break)")
	}
	b, err := readInput(c, o.keyFile)
	if err != nil {
		return "", fmt.Errorf("read the private key: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return "", &hintError{
			err:  fmt.Errorf("read the private key: %s is empty", inputName(o.keyFile)),
			hint: "pass the .pem file GitHub generated under the app's settings > Private keys",
		}
	}
	return string(b), nil
}

// validEnvName reports whether s can name an environment variable.
func validEnvName(s string) bool {
	if s == "" || '0' <= s[0] && s[0] <= '9' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// readInput reads at most maxInput bytes from the file at path, or from
// stdin if path is "-" or "".
func readInput(c cli, path string) ([]byte, error) {
	r := c.stdin
	if path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", inputName(path), err)
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("%s is larger than %d bytes", inputName(path), maxInput)
	}
	return b, nil
}

func inputName(path string) string {
	if path == "" || path == "-" {
		return "standard input"
	}
	return path
}

// loadConfig validates env, inputs and runner variables as the runner
// would pass them, and environ, their names, with [config.Load], so that
// the CLI accepts what the action accepts, with the same messages. A bad
// value is a usage error.
func loadConfig(c cli, env map[string]string, environ []string) (*config.Config, error) {
	cfg, err := config.Load(envAction(env, io.Discard), environ)
	var in *config.InputError
	if errors.As(err, &in) {
		return nil, &hintError{err: &usageError{in.Error()}, hint: in.Fix}
	}
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(c.stderr, "app-token: warning: %s\n", w)
	}
	return cfg, nil
}

// apiClient returns a client for cfg's API that talks to stderr, not in
// workflow commands.
func (o *appFlags) apiClient(c cli, apiURL, issuer string, key *rsa.PrivateKey) *githubapi.Client {
	api := c.client(apiURL, issuer, key, false)
	api.OnSkew = func(offset time.Duration) {
		fmt.Fprintf(c.stderr, "app-token: warning: this machine's clock differs from GitHub's by %s; signing with GitHub's time\n", offset.Round(time.Second))
	}
	if o.debug {
		api.Debugf = func(format string, args ...any) {
			fmt.Fprintf(c.stderr, "app-token: debug: "+format+"\n", args...)
		}
	}
	return api
}

// signer parses cfg's key and returns a client that signs with it.
func (o *appFlags) signer(c cli, cfg *config.Config) (*githubapi.Client, error) {
	key, err := appjwt.ParseKey(cfg.PrivateKey)
	if err != nil {
		src := "$" + o.keyEnv
		if o.keyFile != "" {
			src = inputName(o.keyFile)
		}
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	return o.apiClient(c, cfg.APIURL, cfg.Issuer, key), nil
}

// tokenOptions are the flags of app-token token.
type tokenOptions struct {
	appFlags
	owner, repositories, repositoryIDs string
	installationID, enterprise         string
	repository                         string
	permissions                        permissionFlags
	json                               bool
}

func tokenFlags() (*flag.FlagSet, *tokenOptions) {
	o := &tokenOptions{}
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	o.register(fs)
	fs.StringVar(&o.owner, "owner", "", "the `login` of the user or organization the app is installed on")
	fs.StringVar(&o.repositories, "repositories", "", "scope the token to these repositories: comma-separated `names` or owner/names")
	fs.StringVar(&o.repositoryIDs, "repository-ids", "", "scope the token to the repositories with these comma-separated `IDs`")
	fs.StringVar(&o.installationID, "installation-id", "", "use the installation with this `ID` (see app-token installations)")
	fs.StringVar(&o.enterprise, "enterprise", "", "use the app's installation on the enterprise with this `slug`")
	fs.StringVar(&o.repository, "repository", "", "the current repository `owner/name`, used if no other flag chooses the installation (default $GITHUB_REPOSITORY)")
	fs.Var(&o.permissions, "permission", "narrow the token to `NAME=LEVEL`, like contents=read; repeat for each permission")
	fs.BoolVar(&o.json, "json", false, "print the token and its details as a JSON object")
	return fs, o
}

// permissionFlags collects repeated -permission NAME=LEVEL flags.
type permissionFlags [][2]string

func (p *permissionFlags) String() string { return "" }

func (p *permissionFlags) Set(s string) error {
	name, level, ok := strings.Cut(s, "=")
	name, level = strings.TrimSpace(name), strings.TrimSpace(level)
	if !ok || name == "" || level == "" {
		return errors.New("want NAME=LEVEL, like contents=read")
	}
	*p = append(*p, [2]string{name, level})
	return nil
}

// inputs adds p to env as the action's permission-* inputs, and returns
// their names as an environment list for [config.Load].
func (p permissionFlags) inputs(env map[string]string) ([]string, error) {
	var environ []string
	levels := map[string]string{}
	for _, nl := range p {
		name, level := nl[0], nl[1]
		norm := strings.ReplaceAll(strings.ToLower(name), "-", "_")
		if prev, ok := levels[norm]; ok && !strings.EqualFold(prev, level) {
			return nil, usage("token", fmt.Sprintf("-permission %s is set twice, to %q and %q", norm, prev, level))
		}
		levels[norm] = level
		key := "INPUT_PERMISSION-" + name
		env[key] = level
		environ = append(environ, key+"="+level)
	}
	return environ, nil
}

// runToken is app-token token: it mints a token as the main step would and
// prints it. It makes two requests: the installation's lookup and the
// token's creation.
func runToken(ctx context.Context, c cli, args []string) error {
	fs, o := tokenFlags()
	if help, err := parseFlags(c, "token", fs, args); help || err != nil {
		return err
	}
	env, err := o.inputs(c, "token", fs)
	if err != nil {
		return err
	}
	repository := o.repository
	if repository == "" {
		repository = c.action.Getenv("GITHUB_REPOSITORY")
	}
	for k, v := range map[string]string{
		"INPUT_OWNER":           o.owner,
		"INPUT_REPOSITORIES":    o.repositories,
		"INPUT_REPOSITORY-IDS":  o.repositoryIDs,
		"INPUT_INSTALLATION-ID": o.installationID,
		"INPUT_ENTERPRISE":      o.enterprise,
		// The owner of the repositories comes from here, as in a workflow.
		"GITHUB_REPOSITORY": repository,
	} {
		env[k] = v
	}
	environ, err := o.permissions.inputs(env)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(c, env, environ)
	if err != nil {
		return err
	}
	api, err := o.signer(c, cfg)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, deadline(c.mainDeadline, mainDeadline))
	defer cancel()
	inst, tok, err := mint(ctx, api, cfg)
	if err != nil {
		return err
	}
	if err := printToken(c.stdout, o.json, inst, tok); err != nil {
		_ = revokeUnused(ctx, api, tok)
		return fmt.Errorf("print the token: %w", err)
	}
	return nil
}

// cliToken is the JSON form of a token.
type cliToken struct {
	Token          string            `json:"token"`
	ExpiresAt      string            `json:"expires_at"`
	InstallationID int64             `json:"installation_id"`
	AppSlug        string            `json:"app_slug"`
	Permissions    map[string]string `json:"permissions"`
	Repositories   []string          `json:"repositories"`
}

func printToken(w io.Writer, asJSON bool, inst githubapi.Installation, tok githubapi.Token) error {
	if !asJSON {
		_, err := fmt.Fprintln(w, tok.Value)
		return err
	}
	return printJSON(w, cliToken{
		Token:          tok.Value,
		ExpiresAt:      tok.ExpiresAt.UTC().Format(time.RFC3339),
		InstallationID: inst.ID,
		AppSlug:        inst.AppSlug,
		Permissions:    nonNilMap(tok.Permissions),
		Repositories:   append([]string{}, tok.Repositories...),
	})
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// revokeOptions are the flags of app-token revoke.
type revokeOptions struct {
	appFlags  // only -api-url and -debug
	tokenFile string
}

func revokeFlags() (*flag.FlagSet, *revokeOptions) {
	o := &revokeOptions{}
	fs := flag.NewFlagSet("revoke", flag.ContinueOnError)
	fs.StringVar(&o.tokenFile, "token-file", "", "read the token from the file at `path` instead of standard input")
	o.registerAPI(fs)
	return fs, o
}

// runRevoke is app-token revoke: one request, DELETE /installation/token.
func runRevoke(ctx context.Context, c cli, args []string) error {
	fs, o := revokeFlags()
	if help, err := parseFlags(c, "revoke", fs, args); help || err != nil {
		return err
	}
	if strings.ContainsAny(o.tokenFile, "\r\n") {
		return usage("revoke", "-token-file takes the path of a file (not shown: it holds a line break)")
	}
	b, err := readInput(c, o.tokenFile)
	if err != nil {
		return fmt.Errorf("read the token: %w", err)
	}
	tok, err := parseTokenInput(b, inputName(o.tokenFile))
	if err != nil {
		return err
	}
	// The post step's configuration resolves the API URL as the action does.
	env := map[string]string{"INPUT_GITHUB-API-URL": o.apiURL, "GITHUB_API_URL": c.action.Getenv("GITHUB_API_URL")}
	pc := config.LoadPost(envAction(env, io.Discard))

	ctx, cancel := context.WithTimeout(ctx, deadline(c.postDeadline, postDeadline))
	defer cancel()
	if err := o.apiClient(c, pc.APIURL, "", nil).RevokeToken(ctx, tok); err != nil {
		err = fmt.Errorf("revoke the token: %w", err)
		var apiErr *githubapi.Error
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized {
			return &hintError{err: err, hint: "the token was already revoked or has expired, or it is not an installation token of this GitHub (check -api-url)"}
		}
		return withTransientHint(err)
	}
	_, err = fmt.Fprintln(c.stdout, "token revoked")
	return err
}

// parseTokenInput returns the token in b: the token alone, or the JSON
// object app-token token -json prints. The token appears in no error.
func parseTokenInput(b []byte, source string) (string, error) {
	b = bytes.TrimSpace(b)
	tok := string(b)
	if bytes.HasPrefix(b, []byte("{")) {
		var v cliToken
		if err := json.Unmarshal(b, &v); err != nil {
			return "", fmt.Errorf("read the token: %s is not a JSON object from app-token token -json", source)
		}
		tok = v.Token
	}
	switch {
	case tok == "":
		return "", &hintError{
			err:  fmt.Errorf("no token to revoke: %s is empty", source),
			hint: "pass the token on standard input, e.g. app-token revoke < token.txt, or with -token-file",
		}
	case strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "", fmt.Errorf("read the token: %s holds more than a token (it has spaces or line breaks)", source)
	}
	return tok, nil
}

// installationsOptions are the flags of app-token installations.
type installationsOptions struct {
	appFlags
	json bool
}

func installationsFlags() (*flag.FlagSet, *installationsOptions) {
	o := &installationsOptions{}
	fs := flag.NewFlagSet("installations", flag.ContinueOnError)
	o.register(fs)
	fs.BoolVar(&o.json, "json", false, "print the installations as a JSON array")
	return fs, o
}

// runInstallations is app-token installations: one request per page of
// 100 installations.
func runInstallations(ctx context.Context, c cli, args []string) error {
	fs, o := installationsFlags()
	if help, err := parseFlags(c, "installations", fs, args); help || err != nil {
		return err
	}
	env, err := o.inputs(c, "installations", fs)
	if err != nil {
		return err
	}
	// config checks the scope of a token too; listing needs none, so it
	// gets a placeholder installation ID that is never used.
	env["INPUT_INSTALLATION-ID"] = "1"
	cfg, err := loadConfig(c, env, nil)
	if err != nil {
		return err
	}
	api, err := o.signer(c, cfg)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, deadline(c.mainDeadline, mainDeadline))
	defer cancel()
	list, err := api.ListInstallations(ctx)
	if err != nil {
		err = fmt.Errorf("list the app's installations: %w", err)
		var apiErr *githubapi.Error
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized {
			return &hintError{err: err, hint: jwtHint(cfg, apiErr)}
		}
		return withTransientHint(err)
	}
	if o.json {
		return printJSON(c.stdout, cliInstallations(list))
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tACCOUNT\tTYPE\tREPOSITORIES\tSUSPENDED\tPERMISSIONS")
	for _, in := range list {
		suspended := "no"
		if in.Suspended {
			suspended = "yes"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.Account, in.AccountType, in.RepositorySelection, suspended, formatPermissions(in.Permissions))
	}
	return tw.Flush()
}

// cliInstallation is the JSON form of an installation.
type cliInstallation struct {
	ID                  int64             `json:"id"`
	Account             string            `json:"account"`
	AccountType         string            `json:"account_type"`
	RepositorySelection string            `json:"repository_selection"`
	Suspended           bool              `json:"suspended"`
	Permissions         map[string]string `json:"permissions"`
}

func cliInstallations(list []githubapi.Installation) []cliInstallation {
	out := make([]cliInstallation, 0, len(list))
	for _, in := range list {
		out = append(out, cliInstallation{
			ID:                  in.ID,
			Account:             in.Account,
			AccountType:         in.AccountType,
			RepositorySelection: in.RepositorySelection,
			Suspended:           in.Suspended,
			Permissions:         nonNilMap(in.Permissions),
		})
	}
	return out
}

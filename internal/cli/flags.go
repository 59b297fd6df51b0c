package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/githubapi"
	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/kms"
)

// Environment variables the app's identity and key are read from when no
// flag gives them.
const (
	defaultClientIDEnv = "APP_CLIENT_ID"
	defaultKeyEnv      = "APP_PRIVATE_KEY"
)

// maxInput bounds what is read from a key file, a token file or stdin, so
// that a wrong path such as /dev/zero ends in an error instead of a hang.
const maxInput = 1 << 20

// appKeyDoc is the help's paragraph on the flags that name the app and
// its private key.
const appKeyDoc = `The app is named by --client-id, or --app-id, or else by the environment
variable APP_CLIENT_ID. It authenticates with its private key, read from the
file --private-key-file or else from the environment variable APP_PRIVATE_KEY
(another one with --private-key-env). The key is never accepted as a flag's
value, where shell history and ps would show it.
`

// appDoc returns the help's paragraphs on the flags of [appFlags]. What
// each KMS provider reads from the environment is the registry's word
// (kms.Ambient). It is built with each command's entry (see commands),
// that is on every run of the command line: a few string joins.
func appDoc() string {
	return appKeyDoc + "\n" + fill("Keyless: with --signing-key, the app's key stays in a KMS or Vault and "+
		"signs there. Credentials come from the identity flags (with the GitHub "+
		"Actions OIDC variables) or from the environment: "+kms.Ambient()+".", 72)
}

// fill breaks text into lines of at most width bytes, between words, each
// ending in a newline (a longer word has a line of its own).
func fill(text string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(text) {
		if n > 0 && n+1+len(w) > width {
			b.WriteByte('\n')
			n = 0
		}
		if n > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	b.WriteByte('\n')
	return b.String()
}

// appFlags are the flags that name the app, its key and GitHub's API.
type appFlags struct {
	clientID, appID string
	keyFile, keyEnv string
	keyless         map[string]*string // keyless inputs by name: --signing-key and the identity flags
	apiFlags
}

// signingKeyUsage is the usage of --signing-key.
const signingKeyUsage = "sign with the app's key in a KMS or Vault, named by `URI` ("

// keylessFlags calls f with the name and usage of each flag of keyless
// signing: --signing-key, then each identity input of every provider in
// the registry (kms.Providers) that is not a secret. A secret is no flag:
// on the command line, shell history and ps would show it; it comes from
// its environment variable (see [secretEnv]).
func keylessFlags(f func(name, usage string)) {
	f("signing-key", signingKeyUsage+kms.Forms()+"), instead of a private key")
	for _, p := range kms.Providers() {
		for _, in := range p.Inputs {
			if !in.Secret {
				f(in.Name, in.Usage)
			}
		}
	}
}

// secretEnv returns the environment variable the command line reads the
// secret identity input name from, if name is one.
func secretEnv(name string) (string, bool) {
	for _, p := range kms.Providers() {
		for _, in := range p.Inputs {
			if in.Name == name && in.Secret {
				return in.Env, true
			}
		}
	}
	return "", false
}

// apiFlags are the flags that name GitHub's API, the certificates to
// trust for it, and ask for its log.
type apiFlags struct {
	apiURL string
	caFile string
	debug  bool
}

func (o *appFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.clientID, "client-id", "", "the GitHub App's client `ID` (Iv23li…); wins over -app-id (default $"+defaultClientIDEnv+")")
	fs.StringVar(&o.appID, "app-id", "", "the GitHub App's numeric `ID`, if no -client-id")
	fs.StringVar(&o.keyFile, "private-key-file", "", "read the app's private key from the file at `path` (- for standard input)")
	fs.StringVar(&o.keyEnv, "private-key-env", defaultKeyEnv, "read the app's private key from the environment variable `name`, if no -private-key-file")
	o.keyless = map[string]*string{}
	keylessFlags(func(name, usage string) { o.keyless[name] = fs.String(name, "", usage) })
	o.apiFlags.register(fs)
}

func (o *apiFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.apiURL, "api-url", "", "the base `URL` of GitHub's REST API (default $GITHUB_API_URL, else https://api.github.com)")
	fs.StringVar(&o.caFile, "ca-certificates", "", "also trust the CA certificates in the PEM file at `path`, for GitHub Enterprise Server behind a private certificate authority")
	fs.BoolVar(&o.debug, "debug", false, "log each request to GitHub (never its credentials) on standard error")
}

// caCertificates returns the PEM text of --ca-certificates, or "".
func (o *apiFlags) caCertificates(c Command, name string) (string, error) {
	if o.caFile == "" {
		return "", nil
	}
	if strings.ContainsAny(o.caFile, "\r\n") {
		return "", usage(name, "--ca-certificates takes the path of a file (not shown: it holds a line break)")
	}
	b, err := readInput(c, o.caFile)
	if err != nil {
		return "", fmt.Errorf("read the CA certificates: %w", err)
	}
	return string(b), nil
}

// inputs returns the configuration inputs o names for command name: the
// app's identity, its key, read as o asks, and the API URL. It records the
// key's source in w.
func (o *appFlags) inputs(c Command, name string, fs *flag.FlagSet, w *words) (map[string]string, error) {
	clientID, appID := o.clientID, o.appID
	if clientID == "" && appID == "" {
		clientID = c.getenv(defaultClientIDEnv)
	}
	if clientID == "" && appID == "" {
		return nil, hint.New(
			&usageError{msg: fmt.Sprintf("%s: no app: --client-id and --app-id are not set and $%s is empty", name, defaultClientIDEnv)},
			fmt.Sprintf("pass --client-id with the client ID from the app's settings > General, or export %s", defaultClientIDEnv))
	}
	if clientID != "" && appID != "" {
		if clientID != appID {
			c.warn("--app-id is ignored because --client-id is set")
		}
		appID = ""
	}
	key := ""
	if *o.keyless["signing-key"] == "" || o.keyFile != "" {
		var err error
		if key, err = o.readKey(c, name, fs, w); err != nil {
			return nil, err
		}
	}
	ca, err := o.caCertificates(c, name)
	if err != nil {
		return nil, err
	}
	values := map[string]string{
		"client-id":       clientID,
		"app-id":          appID,
		"private-key":     key,
		"github-api-url":  o.apiURL,
		"ca-certificates": ca,
	}
	for name, v := range o.keyless {
		values[name] = *v
	}
	// Secret inputs (access tokens) come from the environment only: on
	// the command line, shell history and ps would show them. They count
	// only for their provider's key: exported for other work, they are no
	// input of this run, and config would warn that they are ignored.
	if p, ok := kms.Lookup(values["signing-key"]); ok {
		for _, in := range p.Inputs {
			if in.Secret {
				values[in.Name] = c.getenv(in.Env)
			}
		}
	}
	return values, nil
}

// readKey returns the app's private key from --private-key-file or from
// the environment, and records its source in w. The key appears in no
// error.
func (o *appFlags) readKey(c Command, name string, fs *flag.FlagSet, w *words) (string, error) {
	envSet := false
	fs.Visit(func(f *flag.Flag) { envSet = envSet || f.Name == "private-key-env" })
	w.keyEnv = o.keyEnv
	if o.keyFile == "" {
		if !validEnvName(o.keyEnv) {
			w.keyEnv = defaultKeyEnv
			return "", usage(name, "--private-key-env must name an environment variable")
		}
		w.keySource = "$" + o.keyEnv
		key := c.getenv(o.keyEnv)
		if key == "" {
			return "", hint.New(
				&usageError{msg: fmt.Sprintf("%s: no private key: --private-key-file is not set and $%s is empty", name, o.keyEnv)},
				fmt.Sprintf("pass --private-key-file PATH with the .pem file from the app's settings > Private keys, or export %s", o.keyEnv))
		}
		return key, nil
	}
	if envSet {
		return "", usage(name, "--private-key-file and --private-key-env cannot be combined")
	}
	if strings.ContainsAny(o.keyFile, "\r\n") {
		return "", usage(name, "--private-key-file takes the path of a file (not shown: it holds a line break)")
	}
	w.keySource = inputName(o.keyFile)
	b, err := readInput(c, o.keyFile)
	if err != nil {
		return "", fmt.Errorf("read the private key: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return "", hint.New(fmt.Errorf("read the private key: %s is empty", inputName(o.keyFile)),
			"pass the .pem file GitHub generated under the app's settings > Private keys")
	}
	return string(b), nil
}

// asApp prepares a run that acts as the app cfg names: it prints cfg's
// warnings and notices, and returns c's options, trusting cfg's CA
// certificates, with the environment a KMS provider reads credentials
// from (--signing-key). The core chooses the signer from cfg's key.
func (c Command) asApp(cfg *config.Config, debug bool, w *words) (apptoken.Options, error) {
	for _, s := range cfg.Warnings {
		c.warn("%s", w.warning(s))
	}
	for _, s := range cfg.Notices {
		fmt.Fprintf(c.Stderr, "app-token: notice: %s\n", w.warning(s))
	}
	opts, err := c.options(debug).WithCACertificates(cfg.CACertificates)
	opts.Getenv = c.getenv
	return opts, err
}

// runnerEnv returns the runner variables config reads, from c's
// environment, with overrides.
func runnerEnv(c Command, overrides map[string]string) func(string) string {
	return func(name string) string {
		if v, ok := overrides[name]; ok {
			return v
		}
		switch name {
		case "GITHUB_API_URL", "GITHUB_SERVER_URL":
			return c.getenv(name)
		}
		// Nothing else of a workflow's environment applies outside one.
		return ""
	}
}

// options returns c.Core with the command's voice: warnings, and with
// debug a line per request, on standard error.
func (c Command) options(debug bool) apptoken.Options {
	o := c.Core
	if o.UserAgent == "" {
		o.UserAgent = "app-token-action/" + c.Version
	}
	o.OnSkew = func(offset time.Duration) {
		c.warn("this machine's clock differs from GitHub's by %s; signing with GitHub's time", offset.Round(time.Second))
	}
	o.Debugf = nil
	if debug {
		o.Debugf = func(format string, args ...any) {
			fmt.Fprintf(c.Stderr, "app-token: debug: "+format+"\n", args...)
		}
	}
	o.OnWait = func(w githubapi.Wait) { c.printWait(w.Delay, w.Reason) }
	return o
}

// printWait prints one line on standard error about a wait of d before
// the next request, and why, so that a script's user knows why the
// command is slow: "app-token: waiting 30s: rate limited by GitHub".
func (c Command) printWait(d time.Duration, reason string) {
	fmt.Fprintf(c.Stderr, "app-token: waiting %s: %s\n", d.Round(time.Second/10), reason)
}

// listFlag collects a list flag: each use adds its comma-separated entries.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// value returns the list as one comma-separated config value.
func (l listFlag) value() string { return strings.Join(l, ",") }

// permissionFlag collects repeated --permission NAME=LEVEL flags, and
// their comma-separated lists.
type permissionFlag [][2]string

func (p *permissionFlag) String() string { return "" }

func (p *permissionFlag) Set(s string) error {
	for entry := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		name, level, ok := strings.Cut(entry, "=")
		name, level = strings.TrimSpace(name), strings.TrimSpace(level)
		if !ok || name == "" || level == "" {
			return errors.New("want NAME=LEVEL, like contents=read")
		}
		*p = append(*p, [2]string{name, level})
	}
	return nil
}

// inputs adds p to values as permission-* inputs, and records the levels
// in w. A permission given twice with different levels is a usage error.
func (p permissionFlag) inputs(values map[string]string, w *words) error {
	for _, nl := range p {
		name, level := nl[0], nl[1]
		norm := strings.ReplaceAll(strings.ToLower(name), "-", "_")
		if prev, ok := w.permissions[norm]; ok && !strings.EqualFold(prev, level) {
			return usage("token", fmt.Sprintf("--permission %s is set twice, to %q and %q", norm, prev, level))
		}
		w.permissions[norm] = level
		values["permission-"+norm] = level
	}
	return nil
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
// standard input if path is "-" or "".
func readInput(c Command, path string) ([]byte, error) {
	r := c.stdin()
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

// inputName names path in messages.
func inputName(path string) string {
	if path == "" || path == "-" {
		return "standard input"
	}
	return path
}

package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const execDoc = `Exec runs CMD with GH_TOKEN and GITHUB_TOKEN (and, for a GitHub Enterprise
host, GH_ENTERPRISE_TOKEN) set to an installation token with at least
--min-lifetime left: the token cache's, shared with git-credential, or a new
one minted with the same flags and scope rules as app-token token. CMD's
standard streams are exec's, every signal exec receives is passed on to
it, and exec exits with CMD's exit status (128+N if a signal N ended it).

A token handed to a running process cannot be swapped underneath it, and
GitHub's tokens live one hour: set --min-lifetime to CMD's expected
running time (at most about 59m), or run exec once per unit of work, as in
a loop; each run reuses the cached token while it has --min-lifetime left
and mints a new one only then. Git inside CMD fetches fresh tokens itself:
exec points git's credential helper for the git server of the API the
token comes from (see app-token help git-credential) at app-token
git-credential (through GIT_CONFIG_COUNT, which git 2.31 and later read),
ahead of any helper or extra header configured for that host, and that
helper asks exec, which stays running while CMD runs, for a token with
--min-lifetime left: exec mints it, through the same cache, over a loopback
connection that only holders of a secret in CMD's environment may use.

The private key's environment variable (--private-key-env, default
APP_PRIVATE_KEY) is removed from CMD's environment: CMD and its git get
tokens, never the key.

`

func execCommand() command {
	return command{
		name:      "exec",
		summary:   "run a command with a fresh token in GH_TOKEN and GITHUB_TOKEN",
		doc:       execDoc + appDoc(),
		takesArgs: true,
		args:      " -- CMD [ARGS]",
		setup: func(c Command, fs *flag.FlagSet, w *words) func(context.Context, []string) error {
			o := &cachedFlags{}
			o.register(fs, defaultExecMinLifetime)
			return func(ctx context.Context, args []string) error { return o.exec(ctx, c, fs, w, args) }
		},
	}
}

// defaultExecMinLifetime is the least time the token exec hands to its
// command has left by default.
const defaultExecMinLifetime = 10 * time.Minute

// exitStatus ends [Command.Main] with code, after printing err if it is
// not nil.
type exitStatus struct {
	code int
	err  error
}

func (e *exitStatus) Error() string {
	if e.err == nil {
		return "exit status " + strconv.Itoa(e.code)
	}
	return e.err.Error()
}

func (e *exitStatus) Unwrap() error { return e.err }

// exec runs the command args with a fresh token.
func (o *cachedFlags) exec(ctx context.Context, c Command, fs *flag.FlagSet, w *words, args []string) error {
	if len(args) == 0 {
		return usage("exec", "names no command to run: app-token exec [flags] -- CMD [ARGS]")
	}
	if err := o.checkMinLifetime("exec"); err != nil {
		return err
	}
	file, err := o.configFile(c, "exec")
	if err != nil {
		return err
	}
	req, err := o.requestFrom(c, "exec", fs, w, file)
	if err != nil {
		return err
	}
	// The token, and git's helper, are for the git server of the API the
	// token comes from, and only if the environment declares no other.
	server, serr := gitServer(req.cfg.APIURL)
	if err := checkServer("exec", server, serr, declaredServer(c, file)); err != nil {
		return err
	}
	cache, err := c.tokenCache()
	if err != nil {
		return err
	}
	e, err := req.cachedToken(ctx, cache, o.minLifetime)
	if err != nil {
		return err
	}
	if left := e.ExpiresAt.Sub(c.Core.Time()); left < o.minLifetime {
		c.warn("the token expires in %s, sooner than --min-lifetime %s: GitHub's tokens live one hour", left.Round(time.Second), o.minLifetime)
	}
	env := withoutVars(c.environ(), "GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", o.keyEnv, brokerAddrEnv, brokerSecretEnv, brokerServerEnv)
	env = append(env, "GH_TOKEN="+e.Token, "GITHUB_TOKEN="+e.Token)
	if u, err := url.Parse(server); err == nil && !strings.EqualFold(u.Host, "github.com") {
		// gh reads GH_ENTERPRISE_TOKEN for a host other than github.com.
		env = append(env, "GH_ENTERPRISE_TOKEN="+e.Token)
	}
	broker, err := startBroker(ctx, c, req, cache, o.minLifetime)
	if err != nil {
		c.warn("git inside the command will not get new tokens: %s", err.Error())
	} else {
		defer broker.close()
		env = append(env, brokerAddrEnv+"="+broker.addr, brokerSecretEnv+"="+broker.secret, brokerServerEnv+"="+server)
		if helper, err := selfHelper(); err != nil {
			c.warn("git inside the command will not get new tokens: %s", err.Error())
		} else {
			env = withGitHelper(env, server, helper)
		}
	}
	return c.runCommand(args, env)
}

// selfHelper returns the value of credential.helper that runs this
// program as git-credential.
func selfHelper() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find this program: %w", err)
	}
	return "!" + shellQuote(exe) + " git-credential", nil
}

// withGitHelper returns env with git configured, for serverURL, to ask
// only helper for credentials and to send no extra header (actions/checkout
// leaves one with the job's GITHUB_TOKEN), through GIT_CONFIG_COUNT after
// any entries env already holds. An empty value resets a multi-valued key
// (git help config: credential.helper, http.extraHeader).
func withGitHelper(env []string, serverURL, helper string) []string {
	n := 0
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GIT_CONFIG_COUNT="); ok {
			n, _ = strconv.Atoi(v)
		}
	}
	env = withoutVars(env, "GIT_CONFIG_COUNT")
	base := strings.TrimSuffix(serverURL, "/") + "/"
	for _, kv := range [][2]string{
		{"credential." + base + ".helper", ""},
		{"credential." + base + ".helper", helper},
		{"http." + base + ".extraheader", ""},
	} {
		env = append(env, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", n, kv[0]), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", n, kv[1]))
		n++
	}
	return append(env, "GIT_CONFIG_COUNT="+strconv.Itoa(n))
}

// runCommand runs args with env and c's streams, passes on the signals
// this process receives, and returns an [*exitStatus] unless the command
// succeeds.
func (c Command) runCommand(args, env []string) error {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr, cmd.Env = c.Stdin, c.Stdout, c.Stderr, env
	if cmd.Stdin == nil {
		cmd.Stdin = strings.NewReader("")
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		// 127 is what a shell answers for a command it cannot run.
		return &exitStatus{code: 127, err: fmt.Errorf("exec: %w", err)}
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &exitStatus{code: 128 + int(ws.Signal())}
		}
		return &exitStatus{code: ee.ExitCode()}
	}
	if err != nil {
		return &exitStatus{code: exitFailure, err: fmt.Errorf("exec: %w", err)}
	}
	return nil
}

// forwardedSignals are the signals exec passes on to its command: those
// of a terminal, of the runner's cancellation (SIGINT, then SIGTERM) and
// of a closed session.
var forwardedSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// withoutVars returns env without the variables named.
func withoutVars(env []string, names ...string) []string {
	out := make([]string, 0, len(env)+8)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || name == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// shellQuote quotes s for a POSIX shell, which is how git runs a helper
// that starts with !.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

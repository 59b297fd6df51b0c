package cli

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/tokencache"
)

const gitCredentialDoc = `Git-credential is a git credential helper (see git help credential): git
runs it with get, store or erase and a request on standard input. For the
GitHub host of $GITHUB_SERVER_URL (default github.com, or the host of the
configuration file's server), get answers username=x-access-token and an
installation token with at least --min-lifetime left, from the token cache
or minted anew with the same flags and scope rules as app-token token; for
any other host it answers nothing, and git asks its next helper. erase, which
git runs after the server refused a credential, drops the host's tokens
from the cache; store does nothing, since the cache already holds the token.

Set it up once (git runs the value after ! in a shell; flags may follow
git-credential):

	git config --global credential.https://github.com.helper '!app-token git-credential'

The token cache is a file readable by its owner only, holding tokens and
never a key: in a GitHub Actions job, app-token/tokens.json in $RUNNER_TEMP,
where the action's post step revokes every token in it and removes it;
elsewhere in $XDG_RUNTIME_DIR, else in the user's cache directory;
$APP_TOKEN_CACHE names another file. The app and scope come from the flags,
or from the file the action's install-cli input wrote ($APP_TOKEN_CONFIG).

`

func gitCredentialCommand() command {
	return command{
		name:      "git-credential",
		summary:   "a git credential helper that answers with fresh tokens",
		doc:       gitCredentialDoc + appDoc(),
		takesArgs: true,
		args:      " get|store|erase",
		setup: func(c Command, fs *flag.FlagSet, w *words) func(context.Context, []string) error {
			o := &cachedFlags{}
			o.register(fs, defaultGitMinLifetime)
			return func(ctx context.Context, args []string) error { return o.credential(ctx, c, fs, w, args) }
		},
	}
}

// defaultGitMinLifetime is the least time a token git-credential hands
// to git has left: enough for a long clone or push.
const defaultGitMinLifetime = 10 * time.Minute

// cachedFlags are the flags of the commands whose tokens go through the
// token cache: git-credential and exec.
type cachedFlags struct {
	tokenFlags
	minLifetime time.Duration
}

func (o *cachedFlags) register(fs *flag.FlagSet, minLifetime time.Duration) {
	o.tokenFlags.register(fs)
	fs.DurationVar(&o.minLifetime, "min-lifetime", minLifetime, "hand out a cached token only if it has this `duration` left, else mint a new one; GitHub's tokens live one hour")
}

// credential runs one git credential helper operation.
func (o *cachedFlags) credential(ctx context.Context, c Command, fs *flag.FlagSet, w *words, args []string) error {
	if len(args) != 1 {
		return usage("git-credential", fmt.Sprintf("takes one operation, get, store or erase, got %d arguments", len(args)))
	}
	if err := o.checkMinLifetime("git-credential"); err != nil {
		return err
	}
	attrs, err := readCredential(c.stdin())
	if err != nil {
		return err
	}
	switch args[0] {
	case "get", "erase":
	default:
		// git help credential: a helper ignores operations it does not
		// know; store needs nothing, as the cache holds the token.
		return nil
	}
	if addr := c.getenv(brokerAddrEnv); addr != "" {
		// Inside app-token exec's command: exec holds the key and mints.
		if !forServer(c.getenv(brokerServerEnv), attrs) {
			return nil
		}
		t, err := askBroker(ctx, addr, c.getenv(brokerSecretEnv), args[0], attrs["password"])
		if err != nil || args[0] == "erase" {
			return err
		}
		return writeCredential(c, t.Token, t.ExpiresAt)
	}
	// A request for another host is none of this helper's business, even
	// when no app is configured: git asks its next helper.
	file, err := o.configFile(c, "git-credential")
	if err != nil {
		return err
	}
	if !forServer(serverURL(c, file), attrs) {
		return nil
	}
	req, err := o.request(c, "git-credential", fs, w)
	if err != nil {
		return err
	}
	cache, err := c.tokenCache()
	if err != nil {
		return err
	}
	scope := scopeKey(req)
	if args[0] == "erase" {
		_, err := cache.Erase(scope, attrs["password"])
		return err
	}
	e, err := c.cachedToken(ctx, req, cache, scope, o.minLifetime)
	if err != nil {
		return err
	}
	return writeCredential(c, e.Token, e.ExpiresAt)
}

// writeCredential answers git's get with token.
func writeCredential(c Command, token string, expires time.Time) error {
	// password_expiry_utc (git 2.41) lets git drop the token when it
	// expires; older versions ignore the attribute.
	_, err := fmt.Fprintf(c.Stdout, "username=x-access-token\npassword=%s\npassword_expiry_utc=%d\n", token, expires.Unix())
	return err
}

// maxMinLifetime bounds --min-lifetime: GitHub's tokens live one hour, and
// a longer wish could never be met.
const maxMinLifetime = 59 * time.Minute

// checkMinLifetime checks --min-lifetime for command name.
func (o *cachedFlags) checkMinLifetime(name string) error {
	if o.minLifetime < 0 || o.minLifetime > maxMinLifetime {
		return usage(name, fmt.Sprintf("--min-lifetime %s is not between 0s and %s: GitHub's tokens live one hour", o.minLifetime, maxMinLifetime))
	}
	return nil
}

// readCredential reads git's request: key=value lines up to a blank line
// or the end of the input.
func readCredential(r io.Reader) (map[string]string, error) {
	attrs := map[string]string{}
	sc := bufio.NewScanner(io.LimitReader(r, maxInput))
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			attrs[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("git-credential: read git's request: %w", err)
	}
	return attrs, nil
}

// serverURL returns the GitHub server of c's environment: $GITHUB_SERVER_URL,
// else the configuration file's, else github.com, as config resolves it.
func serverURL(c Command, file config.CLIFile) string {
	for _, u := range []string{c.getenv("GITHUB_SERVER_URL"), file.ServerURL} {
		if u = strings.TrimRight(u, "/"); u != "" {
			return u
		}
	}
	return "https://github.com"
}

// forServer reports whether git's request attrs is for the GitHub server
// at serverURL: the same protocol and host (with its port, if any).
func forServer(serverURL string, attrs map[string]string) bool {
	u, err := url.Parse(serverURL)
	return err == nil && u.Host != "" &&
		strings.EqualFold(attrs["protocol"], u.Scheme) && strings.EqualFold(attrs["host"], u.Host)
}

// tokenCache returns the token cache of c's environment.
func (c Command) tokenCache() (tokencache.Cache, error) {
	path, err := tokencache.Path(c.getenv, os.UserCacheDir)
	if err != nil {
		return tokencache.Cache{}, err
	}
	return tokencache.Cache{Path: path, Now: c.Core.Now}, nil
}

// cachedToken returns a token for req with at least minLeft left: the
// cache's, or a new one, which it adds to the cache. A cache that cannot
// be read or written is a warning: the token still serves.
func (c Command) cachedToken(ctx context.Context, req *appRequest, cache tokencache.Cache, scope string, minLeft time.Duration) (tokencache.Entry, error) {
	e, ok, err := cache.Get(scope, minLeft)
	if err != nil {
		c.warn("%s; minting a new token", err.Error())
	}
	if ok {
		return e, nil
	}
	res, _, err := req.mint(ctx)
	if err != nil {
		return tokencache.Entry{}, err
	}
	e = tokencache.Entry{
		Scope:          scope,
		APIURL:         req.cfg.APIURL,
		InstallationID: res.Installation.ID,
		Token:          res.Token.Value,
		ExpiresAt:      res.Token.ExpiresAt,
	}
	if err := cache.Put(e); err != nil {
		c.warn("%s; the new token is not cached, and the action's post step cannot revoke it", err.Error())
	}
	return e, nil
}

// scopeKey identifies what req mints a token for: the API, the app, the
// installation, the repositories and the permissions. Tokens are shared
// only between requests of one scope.
func scopeKey(req *appRequest) string {
	cfg := req.cfg
	b, _ := json.Marshal([]any{
		cfg.APIURL, cfg.Issuer, cfg.Owner, cfg.RepoOwner, cfg.Repositories, cfg.RepositoryIDs,
		cfg.InstallationID, cfg.Enterprise, cfg.CurrentRepository, cfg.Permissions,
	})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

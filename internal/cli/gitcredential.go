package cli

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/jobdir"
	"github.com/ghapptoken/app-token-action/internal/tokencache"
)

const gitCredentialDoc = `Git-credential is a git credential helper (see git help credential): git
runs it with get, store or erase and a request on standard input. It
answers for one git server only: the one the API its tokens come from
serves (https://api.github.com: github.com; https://api.SUBDOMAIN.ghe.com:
SUBDOMAIN.ghe.com; https://HOST/api/v3: HOST). There, get answers
username=x-access-token and an installation token with at least
--min-lifetime left, from the token cache or minted anew with the same
flags and scope rules as app-token token; for any other host it answers
nothing, and git asks its next helper. If $GITHUB_SERVER_URL (or the
configuration file's server) names another server than the API's, it
refuses, naming both. erase, which git runs after the server refused a
credential, stops the cache from handing out the scope's tokens and
revokes the refused one; store does nothing, since the cache already holds
the token.

Set it up once (git runs the value after ! in a shell; flags may follow
git-credential):

	git config --global credential.https://github.com.helper '!app-token git-credential'

The token cache is a file readable by its owner only, holding tokens and
never a key: in a GitHub Actions job, app-token/tokens.json in $RUNNER_TEMP,
where the action's post step revokes every token minted in the job;
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
		// Inside app-token exec's command: exec holds the key and mints,
		// and names the one git server its tokens are for.
		if !forServer(c.getenv(brokerServerEnv), attrs) {
			return nil
		}
		t, err := askBroker(ctx, addr, c.getenv(brokerSecretEnv), args[0], attrs["password"])
		if err != nil || args[0] == "erase" {
			return err
		}
		return writeCredential(c, t.Token, t.ExpiresAt)
	}
	file, err := o.configFile(c, "git-credential")
	if err != nil {
		return err
	}
	o.fill(file)
	// A request for another host is none of this helper's business, even
	// when no app is configured: git asks its next helper.
	server, serr := gitServer(config.PostAPIURL(o.apiURL, runnerEnv(c, nil)))
	declared := declaredServer(c, file)
	if !(serr == nil && forServer(server, attrs)) && !(declared != "" && forServer(declared, attrs)) {
		return nil
	}
	if err := checkServer("git-credential", server, serr, declared); err != nil {
		return err
	}
	req, err := o.requestFrom(c, "git-credential", fs, w, file)
	if err != nil {
		return err
	}
	cache, err := c.tokenCache()
	if err != nil {
		return err
	}
	if args[0] == "erase" {
		return req.erase(ctx, cache, attrs["password"])
	}
	e, err := req.cachedToken(ctx, cache, o.minLifetime)
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

// declaredServer returns the GitHub server c's environment declares:
// $GITHUB_SERVER_URL, else the configuration file's, else "".
func declaredServer(c Command, file config.CLIFile) string {
	for _, u := range []string{c.getenv("GITHUB_SERVER_URL"), file.ServerURL} {
		if u = strings.TrimRight(u, "/"); u != "" {
			return u
		}
	}
	return ""
}

// gitServer returns the git server, SCHEME://HOST[:PORT], of the GitHub
// whose REST API is apiURL: the server whose git may be handed the
// tokens that API mints. https://api.github.com serves github.com; a
// GHE.com data residency API, https://api.SUBDOMAIN.ghe.com, serves
// SUBDOMAIN.ghe.com; GitHub Enterprise Server's API, https://HOST/api/v3,
// serves HOST; an API at a host's root (an emulator, a proxy) serves that
// host. Plain http is for a loopback host only. (docs.github.com: GitHub
// Enterprise Server's REST API is at http(s)://HOSTNAME/api/v3, GHE.com's
// at api.SUBDOMAIN.ghe.com.) Any other API URL is an error, which never
// shows credentials or a query the URL may hold: a token goes to no host
// it was not minted for.
func gitServer(apiURL string) (string, error) {
	u, err := url.Parse(strings.TrimRight(apiURL, "/"))
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", errors.New("the API URL (not shown) names no git server: it is not an http(s) URL of a host, without credentials or a query")
	}
	host := strings.ToLower(u.Host)
	shown := u.Scheme + "://" + u.Host + u.Path
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		// git would send the token in the clear over the network.
		return "", fmt.Errorf("the API URL %s is not https: tokens go to git over https only (or plain http on this machine's loopback)", shown)
	}
	switch {
	case host == "api.github.com" && u.Scheme == "https":
		return "https://github.com", nil
	case strings.HasPrefix(host, "api.") && strings.HasSuffix(host, ".ghe.com") && u.Path == "" && u.Scheme == "https":
		return "https://" + strings.TrimPrefix(host, "api."), nil
	case u.Path == "/api/v3" || u.Path == "" && host != "api.github.com":
		return u.Scheme + "://" + host, nil
	}
	return "", fmt.Errorf("the API URL %s is not a GitHub API (https://api.github.com, https://api.SUBDOMAIN.ghe.com or https://HOST/api/v3), so its git server is unknown", shown)
}

// isLoopback reports whether host names this machine's loopback
// interface, where an emulator or a tunnel serves plain http.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkServer refuses, for command name, a token whose git server is
// server (or unknown: serr) while the environment declares another GitHub
// server, declared (GITHUB_SERVER_URL): git would hand one host's token
// to the other.
func checkServer(name, server string, serr error, declared string) error {
	if serr != nil {
		return hint.New(fmt.Errorf("%s: %w", name, serr),
			"set --api-url to the API of the GitHub that serves git, like https://api.github.com or https://HOST/api/v3")
	}
	if declared != "" && !sameServer(server, declared) {
		return hint.New(fmt.Errorf("%s: the token's API serves git at %s, but GITHUB_SERVER_URL is %s: its tokens go to neither", name, server, declared),
			"make them agree: set --api-url to the API of "+declared+", or GITHUB_SERVER_URL to "+server+" for this command")
	}
	return nil
}

// sameServer reports whether the server URLs a and b name the same
// scheme, host and port.
func sameServer(a, b string) bool {
	ua, erra := url.Parse(a)
	ub, errb := url.Parse(b)
	return erra == nil && errb == nil && strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
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
	path, err := jobdir.CachePath(c.getenv, os.UserCacheDir)
	if err != nil {
		return tokencache.Cache{}, err
	}
	return tokencache.Cache{Path: path, Now: c.Core.Now}, nil
}

// cachedToken returns a token for r with at least minLeft left: the
// cache's, or a new one minted under the cache's lock and added to it
// (see [tokencache.Cache.GetOrMint]). It is the one way git-credential,
// exec and exec's broker get a token. A cache that cannot be read or
// written is a warning: the token still serves.
func (r *appRequest) cachedToken(ctx context.Context, cache tokencache.Cache, minLeft time.Duration) (tokencache.Entry, error) {
	e, err := cache.GetOrMint(ctx, scopeKey(r), minLeft, func(ctx context.Context) (tokencache.Entry, error) {
		res, _, err := r.mint(ctx)
		if err != nil {
			return tokencache.Entry{}, err
		}
		return r.entry(res, false), nil
	})
	if errors.Is(err, tokencache.ErrNotSaved) {
		r.c.warn("%s; the action's post step cannot revoke it", err.Error())
		return e, nil
	}
	return e, err
}

// entry returns the cache's record of res, a token minted for r;
// retired, it is never handed out (see [tokencache.Entry]).
func (r *appRequest) entry(res apptoken.Result, retired bool) tokencache.Entry {
	return tokencache.Entry{
		Scope:          scopeKey(r),
		APIURL:         r.cfg.APIURL,
		InstallationID: res.Installation.ID,
		Token:          res.Token.Value,
		ExpiresAt:      res.Token.ExpiresAt,
		Retired:        retired,
	}
}

// erase answers git's erase, which git sends after the server refused
// the token password: the cache stops handing out r's scope's tokens (the
// next get mints anew) and keeps them for the post step to revoke. A
// password the cache minted is revoked at once, and leaves the cache; a
// password it does not know is never sent anywhere.
func (r *appRequest) erase(ctx context.Context, cache tokencache.Cache, password string) error {
	if _, err := cache.Erase(scopeKey(r), password); err != nil || password == "" {
		return err
	}
	records, err := cache.Records()
	if err != nil || !slices.ContainsFunc(records, func(e tokencache.Entry) bool { return e.Token == password }) {
		return err
	}
	opts, err := r.c.asApp(r.cfg, r.debug, r.w)
	if err == nil {
		err = apptoken.Revoke(ctx, opts, r.cfg.APIURL, password)
	}
	if err != nil && !errors.Is(err, apptoken.ErrTokenInvalid) {
		r.c.warn("could not revoke the token the server refused: %s; the action's post step will try again", err.Error())
		return nil
	}
	return cache.SetRevoked(password)
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

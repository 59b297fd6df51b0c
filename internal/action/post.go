package action

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/jobdir"
	"github.com/ghapptoken/app-token-action/internal/tokencache"
)

// expiryMargin is how close to its expiry a token is left alone: revoking
// it could race its expiry and would gain nothing.
const expiryMargin = time.Minute

// Post is the post step: it revokes the token the main step saved. It
// never fails the job; what goes wrong is a warning.
func Post(ctx context.Context, e Env) {
	pc := config.LoadPost(e.Action)
	o, cerr := e.options(pc.Debug).WithCACertificates(pc.CACertificates)
	// The command line's tokens (install-cli) go whatever happened to the
	// step's own.
	defer revokeCached(ctx, e, o)
	switch {
	case pc.SkipTokenRevoke && !pc.Unused:
		e.Action.Infof("Token revocation skipped: skip-token-revoke is true")
		return
	case pc.Token == "" && !pc.Started:
		e.Action.Warningf("%s", noStateText(e.Action.Getenv("ACT") == "true", pc.APIURL))
		return
	case pc.Token == "":
		e.Action.Infof("No token to revoke: the main step did not create one")
		return
	}
	expires, err := time.Parse(time.RFC3339, pc.ExpiresAt)
	if err == nil && !o.Time().Add(expiryMargin).Before(expires) {
		e.Action.Infof("Token revocation skipped: the token expired or expires within a minute (%s)", pc.ExpiresAt)
		return
	}
	if cerr != nil {
		// The post step never fails: try with the system's roots.
		e.Action.Warningf("%s", cerr.Error())
	}
	err = apptoken.Revoke(ctx, o, pc.APIURL, pc.Token)
	switch {
	case err == nil:
		e.Action.Infof("Token revoked")
	case errors.Is(err, apptoken.ErrTokenInvalid):
		e.Action.Infof("Token was already revoked or has expired")
	default:
		msg := "Could not revoke the installation token: " + err.Error()
		if pc.ExpiresAt != "" {
			msg += "; it stays valid until it expires at " + pc.ExpiresAt
		}
		e.Action.Warningf("%s", msg)
	}
}

// revokeCached revokes every token the command line minted in the job
// (install-cli) that is still live, and says how many of how many. The
// token cache is where the command line keeps it: $APP_TOKEN_CACHE, else
// the job directory in the runner's temp directory (jobdir.CachePath).
// Then it removes the cache and the job directory: the binary, its
// configuration and the cache. It never fails the post step: what goes
// wrong is a warning.
func revokeCached(ctx context.Context, e Env, o apptoken.Options) {
	getenv := e.Action.Getenv
	dir, inJob := jobdir.Dir(getenv)
	named := strings.TrimSpace(getenv(jobdir.CacheEnv))
	if !inJob && named == "" {
		return
	}
	path, err := jobdir.CachePath(getenv, os.UserCacheDir)
	if err != nil {
		e.Action.Warningf("Could not find the command line's token cache: %s", err.Error())
		return
	}
	if _, err := os.Stat(filepath.Dir(path)); named != "" && err != nil {
		// The runner mounts only its temp directory, the workspace and
		// HOME into a container action.
		e.Action.Warningf("The command line's token cache $%s (%s) is not visible to this step: %s; tokens minted with it stay valid until they expire. Point $%s into $RUNNER_TEMP, or leave it unset",
			jobdir.CacheEnv, path, err.Error(), jobdir.CacheEnv)
		return
	}
	cache := tokencache.Cache{Path: path, Now: o.Now}
	records, err := cache.Records()
	if err != nil {
		e.Action.Warningf("Could not read the command line's token cache: %s; its tokens stay valid until they expire", err.Error())
	} else {
		if len(records) > 0 {
			e.Action.Infof("%s", revokeRecords(ctx, e, o, records))
		}
		if err := cache.Remove(); err != nil {
			e.Action.Warningf("Could not remove the command line's token cache: %s", err.Error())
		}
	}
	if inJob {
		if err := os.RemoveAll(dir); err != nil {
			e.Action.Warningf("Could not remove the command line's files: %s", err.Error())
		}
	}
}

// revokeRecords revokes the live tokens of records, and returns the
// sentence that counts them: revoked, and why the others were not.
func revokeRecords(ctx context.Context, e Env, o apptoken.Options, records []tokencache.Entry) string {
	var revoked, earlier, expired, invalid, failed int
	for _, t := range records {
		switch {
		case t.Revoked:
			earlier++
			continue
		case t.Token == "" || !o.Time().Before(t.ExpiresAt):
			expired++
			continue
		}
		// A token is revoked with itself: the mask comes first all the same.
		e.Action.AddMask(t.Token)
		err := apptoken.Revoke(ctx, o, t.APIURL, t.Token)
		switch {
		case err == nil:
			revoked++
		case errors.Is(err, apptoken.ErrTokenInvalid):
			invalid++
		default:
			failed++
			e.Action.Warningf("Could not revoke a token the command line minted for installation %d: %s; it stays valid until it expires at %s",
				t.InstallationID, err.Error(), t.ExpiresAt.UTC().Format(time.RFC3339))
		}
	}
	msg := fmt.Sprintf("Revoked %d of the %d tokens the command line minted in this job", revoked, len(records))
	var why []string
	for _, c := range []struct {
		n    int
		what string
	}{
		{earlier, "revoked earlier, when git reported them refused"},
		{expired, "had expired"},
		{invalid, "were already revoked or expired"},
		{failed, "could not be revoked (see the warnings)"},
	} {
		if c.n > 0 {
			why = append(why, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if len(why) > 0 {
		msg += ": " + strings.Join(why, ", ")
	}
	return msg
}

// noStateText says what the post step can say when the runner passed it
// none of the main step's state: not whether a token exists, only how long
// one would live and how to end it sooner. nektos/act restores saved state
// for JavaScript actions only (pkg/runner/action.go runPostStep: only the
// IsNode case calls populateEnvsFromSavedState).
func noStateText(act bool, apiURL string) string {
	runner := "the runner passed this post step no state from the main step"
	if act {
		runner = "nektos/act passes a container action's post step no state from its main step"
	}
	return "Cannot revoke the token: " + runner + ". A token the main step created stays valid until its expires-at output, 1 hour after it was created;" +
		" to end it sooner, revoke it in a later step with the token output in TOKEN: curl -fsS -X DELETE -H \"Authorization: Bearer $TOKEN\" " +
		strings.TrimSuffix(apiURL, "/") + "/installation/token, or app-token revoke <<< \"$TOKEN\" where the command line is installed"
}

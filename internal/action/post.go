package action

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/config"
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
	now := time.Now
	if e.Core.Now != nil {
		now = e.Core.Now
	}
	expires, err := time.Parse(time.RFC3339, pc.ExpiresAt)
	if err == nil && !now().Add(expiryMargin).Before(expires) {
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

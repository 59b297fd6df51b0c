package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/githubapi"
)

// postDeadline bounds the post step.
const postDeadline = time.Minute

// expiryMargin is how close to its expiry a token is left alone: revoking
// it could race its expiry and would gain nothing.
const expiryMargin = time.Minute

// runPost is the post step: it revokes the token the main step saved. It
// never fails the job; what goes wrong is a warning.
func runPost(ctx context.Context, d deps) {
	pc := config.LoadPost(d.action)
	switch {
	case pc.SkipTokenRevoke:
		d.action.Infof("Token revocation skipped: skip-token-revoke is true")
		return
	case pc.Token == "":
		d.action.Infof("No token to revoke: the main step did not create one")
		return
	}
	expires, err := time.Parse(time.RFC3339, pc.ExpiresAt)
	if err == nil && !d.now().Add(expiryMargin).Before(expires) {
		d.action.Infof("Token revocation skipped: the token expired or expires within a minute (%s)", pc.ExpiresAt)
		return
	}

	ctx, cancel := context.WithTimeout(ctx, deadline(d.postDeadline, postDeadline))
	defer cancel()
	err = d.client(pc.APIURL, "", nil, pc.Debug).RevokeToken(ctx, pc.Token)
	var apiErr *githubapi.Error
	switch {
	case err == nil:
		d.action.Infof("Token revoked")
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized:
		d.action.Infof("Token was already revoked or has expired")
	default:
		msg := "Could not revoke the installation token: " + err.Error()
		if pc.ExpiresAt != "" {
			msg += "; it stays valid until it expires at " + pc.ExpiresAt
		}
		d.action.Warningf("%s", msg)
	}
}

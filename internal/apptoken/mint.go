package apptoken

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/githubapi"
	"github.com/ghapptoken/app-token-action/internal/hint"
)

// Mint signs the app's JWT with r's key, finds the installation r
// chooses, checks that it grants the requested permissions, and creates a
// token scoped as r asks: two requests to GitHub when all goes well,
// three with GitUser. The JWT is signed before the first request, so that
// a key that cannot sign fails as a [*SignError], with no request to
// GitHub. Its errors carry a next step (see package hint).
//
// Options.OnToken is called with the new token before it is used for
// anything else, so that a front end can mask it first.
//
// When ctx is cancelled while the token request is in flight, Mint still
// waits a few seconds for GitHub's answer, and revokes a token that
// arrives. A non-nil error with a non-empty Result.Token means that a token
// exists that nobody has received and that Mint could not revoke (after a
// cancellation; the error then wraps context.Canceled), or that failed a
// later step (the bot lookup of GitUser): the caller must revoke it, at
// once with [RevokeUnused] or later, as the action's post step does.
func Mint(ctx context.Context, o Options, r Request) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, o.mintDeadline())
	defer cancel()
	k, err := o.key(r)
	if err != nil {
		return Result{}, err
	}
	if err := k.signFirst(ctx, o); err != nil {
		return Result{}, err
	}
	c := o.client(r.APIURL, k)

	lookup, repos := chooseLookup(r)
	inst, err := c.FindInstallation(ctx, lookup)
	if err != nil {
		return Result{}, k.explainRefusal(ctx, explainLookup(ctx, c, r, lookup, err))
	}
	if err := checkPermissions(r.Permissions, inst); err != nil {
		return Result{}, err
	}
	tok, err := createToken(ctx, c, inst.ID, githubapi.TokenRequest{
		Repositories:  repos,
		RepositoryIDs: r.RepositoryIDs,
		Permissions:   r.Permissions,
	})
	if err != nil {
		return Result{}, explainToken(r, inst, err)
	}
	res := Result{Installation: inst, Token: tok}
	if o.OnToken != nil {
		o.OnToken(tok.Value)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		// The token came in the grace after a cancellation. (One that
		// beat the deadline is the caller's, like any other.)
		return revokeLate(ctx, o, c, res)
	}
	if r.GitUser {
		if res.GitUserName, res.GitUserEmail, err = gitUser(ctx, c, r, inst, tok); err != nil {
			return res, err
		}
	}
	return res, nil
}

// createToken mints the token under a context that outlives ctx's
// cancellation by [cancelGrace], so that a token GitHub mints for a request
// already sent is not lost: it comes back to be revoked.
func createToken(ctx context.Context, c *githubapi.Client, id int64, tr githubapi.TokenRequest) (githubapi.Token, error) {
	gctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancel(nil)
	if d, ok := ctx.Deadline(); ok {
		var cancelDeadline context.CancelFunc
		gctx, cancelDeadline = context.WithDeadline(gctx, d)
		defer cancelDeadline()
	}
	stop := context.AfterFunc(ctx, func() {
		// The grace ends when the request does (the deferred cancel), at
		// ctx's deadline (which gctx shares), or after cancelGrace.
		t := time.NewTimer(cancelGrace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel(context.Cause(ctx))
		case <-gctx.Done():
		}
	})
	defer stop()
	tok, err := c.CreateToken(gctx, id, tr)
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		// Cancelled with no token: say so, and why (a signal's cause names
		// it), whatever the last attempt in the grace saw.
		return tok, fmt.Errorf("%w: %w", context.Cause(ctx), err)
	}
	return tok, err
}

// revokeLate revokes a token that arrived after ctx was cancelled. It
// returns the cancellation's error, and res with the token only when the
// revocation failed.
func revokeLate(ctx context.Context, o Options, c *githubapi.Client, res Result) (Result, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelRevokeDeadline)
	defer cancel()
	cancelled := hint.New(fmt.Errorf("create an installation token for installation %d: %w", res.Installation.ID, context.Canceled),
		"the job was cancelled while GitHub minted the token; nothing to change")
	if err := c.RevokeToken(rctx, res.Token.Value); err != nil {
		return res, fmt.Errorf("%w; revoking the token that GitHub minted meanwhile failed too: %w", cancelled, err)
	}
	return Result{}, fmt.Errorf("%w (the token GitHub minted meanwhile was revoked)", cancelled)
}

// chooseLookup picks the installation lookup and the repositories to scope
// the token to, the same way the official action does.
func chooseLookup(r Request) (githubapi.Lookup, []string) {
	switch {
	case r.InstallationID != 0:
		return githubapi.Lookup{ID: r.InstallationID}, r.Repositories
	case r.Enterprise != "":
		return githubapi.Lookup{Enterprise: r.Enterprise}, nil
	case len(r.Repositories) > 0:
		return githubapi.Lookup{Repo: r.RepoOwner + "/" + r.Repositories[0]}, r.Repositories
	case r.Owner != "":
		return githubapi.Lookup{Owner: r.Owner}, nil
	case len(r.RepositoryIDs) > 0:
		return githubapi.Lookup{Owner: r.RepoOwner}, nil
	}
	_, name, _ := strings.Cut(r.CurrentRepository, "/")
	return githubapi.Lookup{Repo: r.CurrentRepository}, []string{name}
}

// levels orders permission levels.
var levels = map[string]int{"read": 1, "write": 2, "admin": 3}

// checkPermissions fails when the installation does not grant a requested
// permission at the requested level, since GitHub would answer 422.
func checkPermissions(want map[string]string, inst githubapi.Installation) error {
	var short []string
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if levels[inst.Permissions[name]] < levels[want[name]] {
			have := inst.Permissions[name]
			if have == "" {
				have = "none"
			}
			short = append(short, fmt.Sprintf("%s: %s (installation has %s)", name, want[name], have))
		}
	}
	if len(short) == 0 {
		return nil
	}
	return hint.New(
		fmt.Errorf("installation %d of %s does not grant the requested permissions: %s; it grants %s",
			inst.ID, inst.AppSlug, strings.Join(short, ", "), FormatPermissions(inst.Permissions)),
		"request no more than the installation grants in {permission-*}, or add the permission in the app's settings "+
			"(Permissions & events) and have an owner of "+AccountName(inst)+" accept it on the installation")
}

// gitUser returns the app's bot identity for commits.
func gitUser(ctx context.Context, c *githubapi.Client, r Request, inst githubapi.Installation, tok githubapi.Token) (name, email string, err error) {
	name = inst.AppSlug + "[bot]"
	u, err := c.GetUser(ctx, tok.Value, name)
	if err != nil {
		return "", "", explain(fmt.Errorf("look up the app's bot user for git-user: %w", err))
	}
	host := "github.com"
	if h := hostOf(r.ServerURL); h != "" {
		host = h
	}
	return name, fmt.Sprintf("%d+%s@users.noreply.%s", u.ID, name, host), nil
}

// FormatPermissions returns "name: level" pairs in name order, or "none".
func FormatPermissions(m map[string]string) string {
	if len(m) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+": "+m[k])
	}
	return strings.Join(parts, ", ")
}

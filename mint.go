package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/githubapi"
)

// mainDeadline bounds the whole main step, retries and rate-limit waits
// included, so that a hung GitHub ends in an error rather than a hung job.
const mainDeadline = 3 * time.Minute

// runMain is the main step: it reads the inputs, finds the installation,
// mints the token, masks it and sets the outputs and the state for the post
// step.
func runMain(ctx context.Context, d deps) error {
	cfg, err := config.Load(d.action, d.environ)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		d.action.Warningf("%s", w)
	}
	if err := checkFileCommands(d, cfg.SkipTokenRevoke); err != nil {
		return err
	}
	key, err := appjwt.ParseKey(cfg.PrivateKey)
	if err != nil {
		return fmt.Errorf("private-key: %w", err)
	}

	ctx, cancel := context.WithTimeout(ctx, deadline(d.mainDeadline, mainDeadline))
	defer cancel()
	c := d.client(cfg.APIURL, cfg.Issuer, key, cfg.Debug)

	inst, tok, err := mint(ctx, c, cfg)
	if err != nil {
		return err
	}
	// The mask comes first: nothing may show the token before it.
	d.action.AddMask(tok.Value)

	if err := publish(ctx, d, c, cfg, inst, tok); err != nil {
		if revokeUnused(ctx, c, tok) == nil {
			d.action.Infof("Revoked the new token because the step failed")
		}
		return err
	}
	d.action.Infof("Created a token for installation %d of %s (%s), %s, expires at %s",
		inst.ID, inst.AppSlug, accountName(inst), scopeText(cfg, inst), tok.ExpiresAt.UTC().Format(time.RFC3339))
	return nil
}

// mint finds the installation cfg chooses, checks that it grants the
// requested permissions, and creates a token scoped as cfg asks: two
// requests when all goes well. Its errors carry a hint (see [hint]).
func mint(ctx context.Context, c *githubapi.Client, cfg *config.Config) (githubapi.Installation, githubapi.Token, error) {
	lookup, repos := chooseLookup(cfg)
	inst, err := c.FindInstallation(ctx, lookup)
	if err != nil {
		return githubapi.Installation{}, githubapi.Token{}, lookupError(ctx, c, cfg, lookup, err)
	}
	if err := checkPermissions(cfg.Permissions, inst); err != nil {
		return inst, githubapi.Token{}, err
	}
	tok, err := c.CreateToken(ctx, inst.ID, githubapi.TokenRequest{
		Repositories:  repos,
		RepositoryIDs: cfg.RepositoryIDs,
		Permissions:   cfg.Permissions,
	})
	if err != nil {
		return inst, githubapi.Token{}, tokenError(cfg, inst, err)
	}
	return inst, tok, nil
}

// revokeUnused revokes a token that nobody received, so that it does not
// stay valid for an hour. It runs even when ctx is done (the step may be
// failing for that very reason), bounded as the post step is.
func revokeUnused(ctx context.Context, c *githubapi.Client, tok githubapi.Token) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), postDeadline)
	defer cancel()
	return c.RevokeToken(ctx, tok.Value)
}

// chooseLookup picks the installation lookup and the repositories to scope
// the token to, the same way the official action does: with neither owner
// nor repositories, the current repository; with an owner only, all of the
// owner's installation; with repositories, the installation of the first,
// scoped to all of them. An explicit installation id or enterprise wins.
func chooseLookup(cfg *config.Config) (githubapi.Lookup, []string) {
	switch {
	case cfg.InstallationID != 0:
		return githubapi.Lookup{ID: cfg.InstallationID}, cfg.Repositories
	case cfg.Enterprise != "":
		return githubapi.Lookup{Enterprise: cfg.Enterprise}, nil
	case len(cfg.Repositories) > 0:
		return githubapi.Lookup{Repo: cfg.RepoOwner + "/" + cfg.Repositories[0]}, cfg.Repositories
	case cfg.Owner != "":
		return githubapi.Lookup{Owner: cfg.Owner}, nil
	case len(cfg.RepositoryIDs) > 0:
		return githubapi.Lookup{Owner: cfg.RepoOwner}, nil
	}
	_, name, _ := strings.Cut(cfg.CurrentRepository, "/")
	return githubapi.Lookup{Repo: cfg.CurrentRepository}, []string{name}
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
	return &hintError{
		err: fmt.Errorf("installation %d of %s does not grant the requested permissions: %s; it grants %s",
			inst.ID, inst.AppSlug, strings.Join(short, ", "), formatPermissions(inst.Permissions)),
		hint: "request no more than the installation grants, or add the permission in the app's settings " +
			"(Permissions & events) and have an owner of " + accountName(inst) + " accept it on the installation",
	}
}

// publish writes the outputs, the state for the post step and the summary.
func publish(ctx context.Context, d deps, c *githubapi.Client, cfg *config.Config, inst githubapi.Installation, tok githubapi.Token) error {
	expires := tok.ExpiresAt.UTC().Format(time.RFC3339)
	granted, err := json.Marshal(tok.Permissions)
	if err != nil {
		return fmt.Errorf("encode permissions: %w", err)
	}
	outputs := [][2]string{
		{"token", tok.Value},
		{"installation-id", strconv.FormatInt(inst.ID, 10)},
		{"app-slug", inst.AppSlug},
		{"expires-at", expires},
		{"permissions", string(granted)},
	}
	if cfg.GitUser {
		name, email, err := gitUser(ctx, c, cfg, inst, tok)
		if err != nil {
			return err
		}
		outputs = append(outputs, [2]string{"git-user-name", name}, [2]string{"git-user-email", email})
	}
	var state [][2]string
	if !cfg.SkipTokenRevoke {
		state = [][2]string{{"token", tok.Value}, {"expires-at", expires}}
	}
	return fileCommands(func() error {
		for _, kv := range outputs {
			if err := oneLine(kv[0], kv[1]); err != nil {
				return err
			}
			d.action.SetOutput(kv[0], kv[1])
		}
		for _, kv := range state {
			d.action.SaveState(kv[0], kv[1])
		}
		if cfg.Summary && d.action.Getenv("GITHUB_STEP_SUMMARY") != "" {
			d.action.AddStepSummary(summary(cfg, inst, tok))
		}
		return nil
	})
}

// gitUser returns the app's bot identity for commits.
func gitUser(ctx context.Context, c *githubapi.Client, cfg *config.Config, inst githubapi.Installation, tok githubapi.Token) (name, email string, err error) {
	name = inst.AppSlug + "[bot]"
	u, err := c.GetUser(ctx, tok.Value, name)
	if err != nil {
		return "", "", fmt.Errorf("look up the app's bot user for git-user: %w", err)
	}
	host := "github.com"
	if h := hostOf(cfg.ServerURL); h != "" {
		host = h
	}
	return name, fmt.Sprintf("%d+%s@users.noreply.%s", u.ID, name, host), nil
}

// checkFileCommands fails early, before any request, when the runner's
// output files are missing.
func checkFileCommands(d deps, skipRevoke bool) error {
	need := []string{"GITHUB_OUTPUT"}
	if !skipRevoke {
		need = append(need, "GITHUB_STATE")
	}
	for _, name := range need {
		if d.action.Getenv(name) == "" {
			return &hintError{
				err:  fmt.Errorf("%s is not set: this step must run inside a GitHub Actions job", name),
				hint: "outside GitHub Actions, run `app-token demo` to try the action against the built-in emulator",
			}
		}
	}
	return nil
}

// fileCommands runs fn, turning go-githubactions' panics on file-command I/O
// errors into an error.
func fileCommands(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("write step outputs: %w", e)
				return
			}
			err = fmt.Errorf("write step outputs: %v", r)
		}
	}()
	return fn()
}

// oneLine refuses a value that would break the runner's file-command format.
func oneLine(name, value string) error {
	if strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("refusing to write output %s: the value contains a line break", name)
	}
	return nil
}

// lookupError explains a failed installation lookup.
func lookupError(ctx context.Context, c *githubapi.Client, cfg *config.Config, l githubapi.Lookup, err error) error {
	err = fmt.Errorf("find the app installation for %s: %w", lookupTarget(l), err)
	var apiErr *githubapi.Error
	if !errors.As(err, &apiErr) {
		return withTransientHint(err)
	}
	switch apiErr.Status {
	case http.StatusNotFound:
		if strings.EqualFold(apiErr.Message, "Integration not found") {
			// GitHub's answer to a JWT whose issuer is a number but no app's ID.
			return &hintError{err: fmt.Errorf("%w: GitHub knows no app %q", err, cfg.Issuer),
				hint: "check client-id: set it to the client ID (like Iv23li…) shown on the GitHub App's settings page (General); app-id, if used instead, must be the app ID shown there"}
		}
		hint := fmt.Sprintf("install the app on %s and give it access to the repositories the token needs", lookupOwner(l))
		app, aerr := c.GetApp(ctx)
		var appErr *githubapi.Error
		switch {
		case errors.As(aerr, &appErr) && appErr.Status == http.StatusNotFound:
			// GitHub's API never answers 404 to GET /app with a JWT it
			// accepted: the base URL is not GitHub's API.
			return &hintError{err: err, hint: fmt.Sprintf("check github-api-url: %s answered 404 to GET /app too, so it is not the GitHub REST API; "+
				"use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server, or leave github-api-url unset", cfg.APIURL)}
		case l.ID != 0:
			hint = "check installation-id: list the app's installations with `app-token installations`"
		case aerr == nil:
			hint = fmt.Sprintf("install the app %q on %s (%s/installations/new)", app.Slug, lookupOwner(l), appURL(cfg, app))
			if l.Repo != "" {
				hint += fmt.Sprintf(", or if it is installed with selected repositories, add %s under Repository access; also check that the repository exists", l.Repo)
			}
		}
		return &hintError{err: fmt.Errorf("%w: %s", err, notFoundText(l)), hint: hint}
	case http.StatusUnauthorized:
		return &hintError{err: err, hint: jwtHint(cfg, apiErr)}
	}
	return withTransientHint(err)
}

// notFoundText says what GitHub's 404 to lookup l means.
func notFoundText(l githubapi.Lookup) string {
	switch {
	case l.Repo != "":
		return "the app is not installed there, or the repository does not exist or is not selected for the installation"
	case l.Enterprise != "":
		return "no installation of the app was found on that enterprise"
	case l.ID != 0:
		return "the app has no installation with that id"
	}
	return "the app is not installed on that account"
}

// tokenError explains a failed token request.
func tokenError(cfg *config.Config, inst githubapi.Installation, err error) error {
	err = fmt.Errorf("create an installation token for installation %d: %w", inst.ID, err)
	var apiErr *githubapi.Error
	if !errors.As(err, &apiErr) {
		return withTransientHint(err)
	}
	msg := strings.ToLower(apiErr.Message)
	switch {
	case apiErr.Status == http.StatusUnauthorized:
		return &hintError{err: err, hint: jwtHint(cfg, apiErr)}
	case apiErr.Status == http.StatusForbidden && strings.Contains(msg, "suspend"):
		return &hintError{err: err, hint: "an owner of " + accountName(inst) + " must unsuspend the installation (Settings > GitHub Apps > Configure)"}
	case apiErr.Status == http.StatusUnprocessableEntity && strings.Contains(msg, "permission"):
		return &hintError{err: err, hint: "request only permissions the installation grants, or add them in the app's settings and have " + accountName(inst) + " accept them"}
	case apiErr.Status == http.StatusUnprocessableEntity && strings.Contains(msg, "repositor"):
		return &hintError{err: err, hint: fmt.Sprintf("every repository in `repositories` must exist under %s and be selected for the installation (Settings > GitHub Apps > Configure > Repository access)", accountName(inst))}
	}
	return withTransientHint(err)
}

// withTransientHint adds a next step to network failures, timeouts, rate
// limits and server errors.
func withTransientHint(err error) error {
	var apiErr *githubapi.Error
	if errors.As(err, &apiErr) && apiErr.Status < 500 && apiErr.Status != http.StatusTooManyRequests && apiErr.Status != http.StatusForbidden {
		return err
	}
	return &hintError{err: err, hint: "GitHub did not answer in time or is rate limiting; re-run the job, and check https://www.githubstatus.com if it persists"}
}

// jwtHint explains a 401 to an app JWT.
func jwtHint(cfg *config.Config, apiErr *githubapi.Error) string {
	if strings.Contains(apiErr.Message, "'Issuer' claim") {
		return "check client-id (or app-id): GitHub knows no app by that ID; use the client ID (or the numeric app ID) shown on the GitHub App's settings page (General)"
	}
	return fmt.Sprintf("the private key does not belong to the app %q, or the runner's clock is off: "+
		"pass client-id and private-key of the same app (the app's settings > General), and generate a new key if this one was deleted", cfg.Issuer)
}

func lookupTarget(l githubapi.Lookup) string {
	switch {
	case l.ID != 0:
		return "installation id " + strconv.FormatInt(l.ID, 10)
	case l.Enterprise != "":
		return "enterprise " + l.Enterprise
	case l.Owner != "":
		return l.Owner
	}
	return l.Repo
}

func lookupOwner(l githubapi.Lookup) string {
	if l.Repo != "" {
		owner, _, _ := strings.Cut(l.Repo, "/")
		return owner
	}
	return lookupTarget(l)
}

func appURL(cfg *config.Config, app githubapi.App) string {
	if app.HTMLURL != "" {
		return app.HTMLURL
	}
	return strings.TrimSuffix(cfg.ServerURL, "/") + "/apps/" + app.Slug
}

func accountName(inst githubapi.Installation) string {
	if inst.Account == "" {
		return "the installation's account"
	}
	return inst.Account
}

// scopeText says which repositories cfg scopes the token to, for the log.
func scopeText(cfg *config.Config, inst githubapi.Installation) string {
	n := len(cfg.Repositories) + len(cfg.RepositoryIDs)
	switch {
	case n == 0 && cfg.Owner == "" && cfg.Enterprise == "" && cfg.InstallationID == 0:
		return "scoped to " + cfg.CurrentRepository
	case n == 0:
		if inst.RepositorySelection == "selected" {
			return "for the installation's selected repositories"
		}
		return "for all repositories of the installation"
	case n == 1:
		return "scoped to 1 repository"
	}
	return fmt.Sprintf("scoped to %d repositories", n)
}

func hostOf(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	host, _, _ := strings.Cut(u, "/")
	return host
}

func formatPermissions(m map[string]string) string {
	if len(m) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+": "+m[k])
	}
	return strings.Join(parts, ", ")
}

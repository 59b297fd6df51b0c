package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/jobdir"
)

const tokenDoc = `Token mints an installation access token for a GitHub App and prints it on
standard output, followed by a newline; nothing else is printed there. With
--json it prints a JSON object with the fields token, expires_at,
installation_id, app_slug, permissions, repository_selection ("all" or
"selected") and, for selected repositories, repositories.

`

// tokenDocMore follows the paragraphs on the app's flags in tokenDoc.
const tokenDocMore = `
The installation and the token's repositories are chosen as the action
chooses them. With --repositories, the token covers those repositories, all
of one owner (--owner, or the owner written as owner/name). With --owner
alone, it covers all of the owner's installation. --installation-id and
--enterprise pick an installation directly. With none of these, the token is
for the current repository: --repository, by default $GITHUB_REPOSITORY.

Each --permission NAME=LEVEL narrows the token to that permission, for
example --permission contents=read --permission pull_requests=write; with
none, the token gets all of the installation's permissions. List flags add
up: --repositories app --repositories infra is --repositories app,infra.

The token is valid for an hour; revoke it early with app-token revoke. In a
GitHub Actions job the token also goes on record in the token cache (see
app-token help git-credential), never handed out to git-credential or exec,
and the action's post step revokes it with the others. If
the command is interrupted while GitHub mints the token, it revokes the
token; should that fail, it says until when the token stays valid.
`

func tokenCommand() command {
	return command{
		name:    "token",
		summary: "mint an installation token and print it",
		doc:     tokenDoc + appDoc() + tokenDocMore,
		setup: func(c Command, fs *flag.FlagSet, w *words) func(context.Context, []string) error {
			o := &tokenFlags{}
			o.register(fs)
			fs.BoolVar(&o.json, "json", false, "print the token and what it covers as a JSON object")
			return func(ctx context.Context, _ []string) error { return o.run(ctx, c, fs, w) }
		},
	}
}

// tokenFlags are the flags of app-token token.
type tokenFlags struct {
	appFlags
	owner, installationID, enterprise string
	repository                        string
	repositories, repositoryIDs       listFlag
	permissions                       permissionFlag
	json                              bool
	config                            string
}

func (o *tokenFlags) register(fs *flag.FlagSet) {
	o.appFlags.register(fs)
	fs.StringVar(&o.owner, "owner", "", "the `login` of the user or organization the app is installed on")
	fs.Var(&o.repositories, "repositories", "scope the token to these repositories: comma-separated `names` or owner/names; repeat to add more")
	fs.Var(&o.repositoryIDs, "repository-ids", "scope the token to the repositories with these comma-separated `IDs`; repeat to add more")
	fs.StringVar(&o.installationID, "installation-id", "", "use the installation with this `ID` (see app-token installations)")
	fs.StringVar(&o.enterprise, "enterprise", "", "use the app's installation on the enterprise with this `slug`")
	fs.StringVar(&o.repository, "repository", "", "the current repository `owner/name`, used if no other flag chooses the installation (default $GITHUB_REPOSITORY)")
	fs.Var(&o.permissions, "permission", "narrow the token to `NAME=LEVEL`, like contents=read; repeat for each permission")
	fs.StringVar(&o.config, "config", "", "read the app, its signing key, the scope and the API from the `file` the action's install-cli input wrote; flags win (default $"+jobdir.ConfigEnv+")")
}

// run mints a token as the action's main step would, and prints it: two
// requests, the installation's lookup and the token's creation.
func (o *tokenFlags) run(ctx context.Context, c Command, fs *flag.FlagSet, w *words) error {
	req, err := o.request(c, "token", fs, w)
	if err != nil {
		return err
	}
	res, opts, err := req.mint(ctx)
	if err != nil {
		return err
	}
	if _, inJob := jobdir.Dir(c.getenv); inJob {
		// In a job, the token goes on record for the action's post step
		// to revoke, retired: this command's tokens are its caller's
		// alone, never handed out to git or exec.
		if cache, err := c.tokenCache(); err == nil {
			err = cache.Put(req.entry(res, true))
			if err != nil {
				c.warn("%s; the action's post step cannot revoke the token", err.Error())
			}
		}
	}
	if err := writeToken(c.Stdout, o.json, res); err != nil {
		if rerr := apptoken.RevokeUnused(ctx, opts, req.cfg.APIURL, res.Token.Value); rerr != nil {
			c.warnLive(res)
		}
		return fmt.Errorf("print the token: %w", err)
	}
	return nil
}

// appRequest is a token request as a minting command's flags, and the
// configuration file the action left (--config), describe it: the checked
// configuration, and what is needed to act as the app.
type appRequest struct {
	c     Command
	cfg   *config.Config
	debug bool
	w     *words
}

// request returns the token request that the flags of command name
// describe, completed from the configuration file (see
// [tokenFlags.configFile]): flags win, and the file's scope counts only
// when no flag gives one. It is the one path from flags to a request,
// shared by token, git-credential and exec.
func (o *tokenFlags) request(c Command, name string, fs *flag.FlagSet, w *words) (*appRequest, error) {
	file, err := o.configFile(c, name)
	if err != nil {
		return nil, err
	}
	return o.requestFrom(c, name, fs, w, file)
}

// requestFrom is [tokenFlags.request] with the configuration file
// already read, for a command that reads it first.
func (o *tokenFlags) requestFrom(c Command, name string, fs *flag.FlagSet, w *words, file config.CLIFile) (*appRequest, error) {
	o.fill(file)
	values, err := o.inputs(c, name, fs, w)
	if err != nil {
		return nil, err
	}
	current := o.repository
	if current == "" {
		current = file.Repository
	}
	if current == "" {
		current = c.getenv("GITHUB_REPOSITORY")
	} else if owner, repo, ok := strings.Cut(current, "/"); !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, usage(name, fmt.Sprintf("--repository %q is not owner/name", current))
	}
	values["owner"] = o.owner
	values["repositories"] = o.repositories.value()
	values["repository-ids"] = o.repositoryIDs.value()
	values["installation-id"] = o.installationID
	values["enterprise"] = o.enterprise
	if err := o.permissions.inputs(values, w); err != nil {
		return nil, err
	}
	if o.scopeless() {
		for _, in := range []string{"owner", "repositories", "repository-ids", "installation-id", "enterprise"} {
			values[in] = file.Inputs[in]
		}
	}
	for in, v := range file.Inputs {
		if strings.HasPrefix(in, "permission-") && len(o.permissions) == 0 {
			values[in] = v
		}
	}
	if values["ca-certificates"] == "" {
		values["ca-certificates"] = file.Inputs["ca-certificates"]
	}
	env := map[string]string{"GITHUB_REPOSITORY": current}
	if c.getenv("GITHUB_SERVER_URL") == "" && file.ServerURL != "" {
		env["GITHUB_SERVER_URL"] = file.ServerURL
	}
	// The owner of bare repository names comes from the current
	// repository, as in a workflow.
	cfg, err := config.Parse(config.Inputs{Values: values, Getenv: runnerEnv(c, env)})
	if err != nil {
		return nil, err
	}
	return &appRequest{c: c, cfg: cfg, debug: o.debug, w: w}, nil
}

// mint acts as the app and mints the token r asks for. It returns the
// options it used, for a revocation. A token minted as ctx ended, whose
// revocation failed, is reported as live.
func (r *appRequest) mint(ctx context.Context) (apptoken.Result, apptoken.Options, error) {
	opts, err := r.c.asApp(r.cfg, r.debug, r.w)
	if err != nil {
		return apptoken.Result{}, opts, err
	}
	res, err := apptoken.Mint(ctx, opts, r.cfg.Request())
	if err != nil && res.Token.Value != "" {
		// Interrupted while GitHub minted it, and its revocation failed.
		r.c.warnLive(res)
	}
	return res, opts, err
}

// scopeless reports whether no flag chooses the installation or the
// repositories.
func (o *tokenFlags) scopeless() bool {
	return o.owner == "" && len(o.repositories) == 0 && len(o.repositoryIDs) == 0 && o.installationID == "" && o.enterprise == ""
}

// warnLive warns that res's token, which nobody received, could not be
// revoked. It never shows the token.
func (c Command) warnLive(res apptoken.Result) {
	c.warn("the token GitHub minted for installation %d could not be revoked; it stays valid until %s",
		res.Installation.ID, res.Token.ExpiresAt.UTC().Format(time.RFC3339))
}

// tokenJSON is the --json form of a token.
type tokenJSON struct {
	Token          string            `json:"token"`
	ExpiresAt      string            `json:"expires_at"`
	InstallationID int64             `json:"installation_id"`
	AppSlug        string            `json:"app_slug"`
	Permissions    map[string]string `json:"permissions"`
	// RepositorySelection is "all" or "selected"; Repositories lists the
	// selected ones, when GitHub lists them, and is absent for "all".
	RepositorySelection string   `json:"repository_selection"`
	Repositories        []string `json:"repositories,omitempty"`
}

// writeToken writes res's token on w, alone or as JSON.
func writeToken(w io.Writer, asJSON bool, res apptoken.Result) error {
	tok := res.Token
	if !asJSON {
		_, err := fmt.Fprintln(w, tok.Value)
		return err
	}
	v := tokenJSON{
		Token:               tok.Value,
		ExpiresAt:           tok.ExpiresAt.UTC().Format(time.RFC3339),
		InstallationID:      res.Installation.ID,
		AppSlug:             res.Installation.AppSlug,
		Permissions:         nonNilMap(tok.Permissions),
		RepositorySelection: repositorySelection(res),
	}
	if v.RepositorySelection == "selected" {
		v.Repositories = tok.Repositories
	}
	return writeJSON(w, v)
}

// repositorySelection returns what the token covers, "all" or "selected",
// from GitHub's answer.
func repositorySelection(res apptoken.Result) string {
	switch {
	case res.Token.RepositorySelection != "":
		return res.Token.RepositorySelection
	case len(res.Token.Repositories) > 0:
		return "selected"
	case res.Installation.RepositorySelection != "":
		return res.Installation.RepositorySelection
	}
	return "all"
}

// writeJSON writes v on w as indented JSON.
func writeJSON(w io.Writer, v any) error {
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

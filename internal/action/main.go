package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/config"
	"github.com/ghapptoken/app-token-action/internal/hint"
)

// Main is the main step: it reads the inputs, mints the token, masks it
// and sets the outputs, the state for the post step and the job summary.
func Main(ctx context.Context, e Env) error {
	markStarted(e)
	cfg, err := config.Load(e.Action, e.Environ)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		e.Action.Warningf("%s", hint.Render(w, hint.Plain))
	}
	for _, n := range cfg.Notices {
		e.Action.Noticef("%s", hint.Render(n, hint.Plain))
	}
	if err := checkFileCommands(e, cfg.SkipTokenRevoke); err != nil {
		return err
	}
	if cfg.InstallCLI {
		if err := installCLI(e, cfg); err != nil {
			return err
		}
	}
	o, err := e.options(cfg.Debug).WithCACertificates(cfg.CACertificates)
	if err != nil {
		return err
	}
	// The mask comes first: nothing may show the token, a secret input or
	// a KMS credential before it.
	o.OnToken, o.Mask, o.Getenv = e.Action.AddMask, e.Action.AddMask, e.Action.Getenv
	res, err := apptoken.Mint(ctx, o, cfg.Request())
	switch {
	case err != nil && res.Token.Value != "" && errors.Is(err, context.Canceled):
		// Minted as the job was cancelled, and not revoked: the post step,
		// which runs after a cancellation too, revokes it, even with
		// skip-token-revoke, since nobody received it.
		if serr := saveState(e, res, stateUnused); serr != nil {
			return fmt.Errorf("%w; %w", err, serr)
		}
		return err
	case err == nil:
		err = publish(e, cfg, res)
	}
	if err != nil {
		if res.Token.Value == "" {
			return err
		}
		if rerr := apptoken.RevokeUnused(ctx, o, cfg.APIURL, res.Token.Value); rerr != nil {
			e.Action.Warningf("Could not revoke the new token, which the step did not hand on: %s; it stays valid until it expires at %s",
				rerr.Error(), res.Token.ExpiresAt.UTC().Format(time.RFC3339))
		} else {
			e.Action.Infof("Revoked the new token because the step failed")
		}
		return err
	}
	if cfg.Summary && e.Action.Getenv("GITHUB_STEP_SUMMARY") != "" {
		// The summary is a report, not the product: a failure to write it
		// is a warning, and the step keeps its token.
		if err := fileCommands("write the job summary", func() { e.Action.AddStepSummary(summary(cfg, res)) }); err != nil {
			e.Action.Warningf("%s", err.Error())
		}
	}
	inst, tok := res.Installation, res.Token
	e.Action.Infof("Created a token for installation %d of %s (%s), %s, expires at %s",
		inst.ID, inst.AppSlug, apptoken.AccountName(inst), scopeText(cfg, res), tok.ExpiresAt.UTC().Format(time.RFC3339))
	return nil
}

// scopeText says which repositories the token covers, for the log: when
// the inputs scoped it, as GitHub's answer counts them (a repository named
// in repositories and in repository-ids is one); when they chose a whole
// installation, as the installation's selection.
func scopeText(cfg *config.Config, res apptoken.Result) string {
	inst, tok := res.Installation, res.Token
	selected := inst.RepositorySelection == "selected"
	switch n := len(tok.Repositories); {
	case len(cfg.Repositories) == 0 && len(cfg.RepositoryIDs) == 0 &&
		(cfg.Owner != "" || cfg.Enterprise != "" || cfg.InstallationID != 0):
		// A whole installation: its selection, whatever GitHub listed.
	case n == 1 && strings.EqualFold(inst.Account+"/"+tok.Repositories[0], cfg.CurrentRepository):
		return "scoped to " + cfg.CurrentRepository
	case n == 1:
		return "scoped to 1 repository"
	case n > 1:
		return fmt.Sprintf("scoped to %d repositories", n)
	default:
		// GitHub listed none: its selection for the token, if it says.
		selected = tok.RepositorySelection == "selected" || selected && tok.RepositorySelection == ""
	}
	if selected {
		return "for the installation's selected repositories"
	}
	return "for all repositories of the installation"
}

// publish writes the outputs and the state for the post step.
func publish(e Env, cfg *config.Config, res apptoken.Result) error {
	inst, tok := res.Installation, res.Token
	granted, err := json.Marshal(tok.Permissions)
	if err != nil {
		return fmt.Errorf("encode permissions: %w", err)
	}
	outputs := [][2]string{
		{"token", tok.Value},
		{"installation-id", strconv.FormatInt(inst.ID, 10)},
		{"app-slug", inst.AppSlug},
		{"expires-at", tok.ExpiresAt.UTC().Format(time.RFC3339)},
		{"permissions", string(granted)},
	}
	if cfg.GitUser {
		outputs = append(outputs, [2]string{"git-user-name", res.GitUserName}, [2]string{"git-user-email", res.GitUserEmail})
	}
	if err := writeValues("write step outputs", outputs, e.Action.SetOutput); err != nil || cfg.SkipTokenRevoke {
		return err
	}
	return saveState(e, res)
}

// saveState saves the token and its expiry for the post step.
func saveState(e Env, res apptoken.Result, extra ...[2]string) error {
	return writeValues("save state for the post step", append([][2]string{
		{"token", res.Token.Value},
		{"expires-at", res.Token.ExpiresAt.UTC().Format(time.RFC3339)},
	}, extra...), e.Action.SaveState)
}

// stateStarted is the state every main step saves first, before anything
// can fail, so that a post step without it knows that the runner passed it
// no state (nektos/act gives a container action's post step none), rather
// than that the main step created no token.
var stateStarted = [2]string{"main", "started"}

// markStarted saves [stateStarted] where the runner keeps state. It reports
// nothing: a missing or unwritable GITHUB_STATE is checkFileCommands' to
// report, where the post step needs the state.
func markStarted(e Env) {
	if e.Action.Getenv("GITHUB_STATE") != "" {
		_ = writeValues("save state for the post step", [][2]string{stateStarted}, e.Action.SaveState)
	}
}

// stateUnused marks saved state whose token nobody received: the post step
// revokes it whatever skip-token-revoke says.
var stateUnused = [2]string{"unused", "true"}

// writeValues writes each name and value with set, a file command, unless
// a value holds a line break: go-githubactions ends a value at a fixed
// delimiter line, which a line break could forge. (The API client already
// refuses line breaks in GitHub's answers; this guards what the step
// writes.)
func writeValues(what string, values [][2]string, set func(name, value string)) error {
	for _, kv := range values {
		if strings.ContainsAny(kv[1], "\r\n") {
			return fmt.Errorf("%s: refusing %s: the value contains a line break", what, kv[0])
		}
	}
	return fileCommands(what, func() {
		for _, kv := range values {
			set(kv[0], kv[1])
		}
	})
}

// checkFileCommands fails early, before any request, when the runner's
// output and state files are missing or cannot be written.
func checkFileCommands(e Env, skipRevoke bool) error {
	need := []string{"GITHUB_OUTPUT"}
	if !skipRevoke {
		need = append(need, "GITHUB_STATE")
	}
	for _, name := range need {
		path := e.Action.Getenv(name)
		if path == "" {
			return hint.New(fmt.Errorf("%s is not set: this step must run inside a GitHub Actions job", name),
				"outside GitHub Actions, use the command line (app-token token), or try the action against the emulator with go run ./cmd/demo")
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return hint.New(fmt.Errorf("%s cannot be written: %w", name, err),
				"the runner's file-command directory is not writable in this container; check the job's container options and volumes")
		}
		f.Close()
	}
	return nil
}

// Package action is the action's front end: its main step, which mints
// the token and hands it to the job as outputs and state, and its post
// step, which revokes it. It translates the runner's words (inputs, state,
// workflow commands, files) to the core's plain values and back; the use
// case itself is package apptoken.
package action

import (
	"fmt"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/ghapptoken/app-token-action/internal/apptoken"
	"github.com/ghapptoken/app-token-action/internal/githubapi"
	"github.com/ghapptoken/app-token-action/internal/hint"
)

// Env is the outside world of a step. Tests replace any of it.
type Env struct {
	Action  *githubactions.Action // inputs, variables, workflow commands and files
	Environ []string              // the process environment, to discover permission-* inputs
	Core    apptoken.Options      // HTTP client, clocks and timings of the use case
	Version string                // the action's version, for the User-Agent
	// Executable is the binary install-cli copies; "" means os.Executable().
	Executable string
}

// options returns e.Core with the runner's log as its voice.
func (e Env) options(debug bool) apptoken.Options {
	o := e.Core
	if o.UserAgent == "" {
		o.UserAgent = "app-token-action/" + e.Version
	}
	o.OnSkew = func(offset time.Duration) {
		e.Action.Warningf("The runner's clock differs from GitHub's by %s; signing with GitHub's time. Check the runner's time synchronization.", offset.Round(time.Second))
	}
	o.OnWait = func(w githubapi.Wait) { e.Action.Infof("%s", waitLine(w)) }
	if debug {
		o.Debugf = e.Action.Debugf
	} else {
		o.Debugf = nil
	}
	return o
}

// waitLine describes a wait for the log, e.g. "GitHub's secondary rate
// limit: waiting 1m0s before retrying POST /app/installations/42/access_tokens
// (attempt 2; the step gives up in 2m40s)".
func waitLine(w githubapi.Wait) string {
	line := fmt.Sprintf("%s: waiting %s before retrying %s %s (attempt %d", w.Reason, w.Delay.Round(time.Second/10), w.Method, w.Path, w.Attempt)
	if w.Left > 0 {
		line += fmt.Sprintf("; the step gives up in %s", w.Left.Round(time.Second))
	}
	return line + ")"
}

// Report prints err as one ::error:: workflow command whose second line,
// in the annotation, is the next step to take, with its fields named as
// the action's inputs.
func Report(a *githubactions.Action, err error) {
	msg := err.Error()
	if next := hint.Next(err); next != "" {
		msg += "\nhint: " + hint.Render(next, hint.Plain)
	}
	a.Errorf("%s", msg)
}

// fileCommands runs fn, turning go-githubactions' panics on file-command I/O
// errors into an error.
func fileCommands(what string, fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("%s: %w", what, e)
				return
			}
			err = fmt.Errorf("%s: %v", what, r)
		}
	}()
	fn()
	return nil
}

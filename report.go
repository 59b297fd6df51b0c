package main

import (
	"errors"

	"github.com/sethvargo/go-githubactions"

	"github.com/ghapptoken/app-token-action/internal/appjwt"
	"github.com/ghapptoken/app-token-action/internal/config"
)

// hintError adds a next step for the user to an error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// report prints err as one ::error:: workflow command whose second line, in
// the annotation, is the next step to take.
func report(a *githubactions.Action, err error) {
	msg := err.Error()
	if h := hint(err); h != "" {
		msg += "\nhint: " + h
	}
	a.Errorf("%s", msg)
}

// hint returns the next step for err, or "".
func hint(err error) string {
	var h *hintError
	var in *config.InputError
	var key *appjwt.KeyError
	switch {
	case errors.As(err, &h):
		return h.hint
	case errors.As(err, &in):
		return in.Fix
	case errors.As(err, &key):
		return key.Hint
	}
	return ""
}

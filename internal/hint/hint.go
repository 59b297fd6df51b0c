// Package hint attaches the next step a user should take to an error, so
// that the front ends can print it under the error: "hint: <next step>".
//
// Every hint follows one casing rule: it starts in lower case and has no
// final period, like an error message; clauses are joined with "; ". A hint
// names what the user should change as a field in braces, such as
// {client-id} or {permission-issues}: the field is the action's input name,
// and each front end renders it in its own words with [Render] (the action
// as the input name, the CLI as its flag). Hints never hold secrets.
package hint

import (
	"errors"
	"strings"
)

// Error is an error with the next step for the user.
type Error struct {
	Err  error
	Next string // the next step; see the package comment for its form
}

// New returns err with the next step next. It returns nil for a nil err.
func New(err error, next string) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Next: next}
}

// Error returns the message of the wrapped error: the hint is printed apart.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// Next returns the next step of the outermost [*Error] in err's chain, or
// "" if there is none.
func Next(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Next
	}
	return ""
}

// Render returns next with each field reference {name} replaced by word's
// rendering of it. A reference word does not know (ok false), and braces
// that do not hold a field name (as in ${{ secrets.KEY }}), are kept.
func Render(next string, word func(field string) (string, bool)) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(next, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(next[i:], '}')
		if j < 0 {
			break
		}
		name := next[i+1 : i+j]
		w, ok := "", false
		if isField(name) {
			w, ok = word(name)
		}
		if !ok {
			w = next[i : i+j+1]
		}
		b.WriteString(next[:i])
		b.WriteString(w)
		next = next[i+j+1:]
	}
	b.WriteString(next)
	return b.String()
}

// Plain renders each field as its own name, as the action's inputs are
// named.
func Plain(field string) (string, bool) { return field, true }

// isField reports whether s can be a field name: lower-case letters, digits
// and hyphens, starting with a letter.
func isField(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '*') {
			return false
		}
	}
	return true
}

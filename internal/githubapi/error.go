package githubapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode"
)

// Error is an HTTP error answer from GitHub, in GitHub's own words. It never
// holds a query string, header, token or JWT.
type Error struct {
	Method string // e.g. "POST"
	Path   string // the escaped URL path below the base URL, without the query
	Status int    // the HTTP status code

	// Message is GitHub's "message", or for a body that is not GitHub's
	// JSON, its first line of text or the status text.
	Message          string
	DocumentationURL string // GitHub's "documentation_url", may be ""
	RequestID        string // the X-GitHub-Request-Id header, may be ""
}

// Error returns the method, path, status, message and request ID, e.g.
// "POST /app/installations/42/access_tokens: 422 The permissions requested
// are not granted to this installation. (request ID ABCD:1234)".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.Path, e.Status)
	if e.Message != "" {
		b.WriteString(" " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request ID " + e.RequestID + ")")
	}
	return b.String()
}

// IPAllowList reports whether e is GitHub's refusal of the caller's IP
// address by an organization's IP allow list: a 403 whose message says
// "…the `ORG` organization has an IP allow list enabled, and your IP
// address is not permitted to access this resource." (databricks/cli#2702).
// It is not transient: retrying from the same address cannot pass.
func (e *Error) IPAllowList() bool {
	return e.Status == http.StatusForbidden && strings.Contains(strings.ToLower(e.Message), "ip allow list")
}

// maxTextMessage is how much of a body that is not JSON becomes a message.
const maxTextMessage = 200

// newError builds the *Error for an error answer to r. secret, the token
// or JWT that r was sent with, is blanked should the body echo it.
func newError(r *request, resp *response, secret string) *Error {
	e := &Error{Method: r.method, Path: r.path, Status: resp.status}
	if id := resp.header.Get("X-GitHub-Request-Id"); !strings.ContainsAny(id, "\r\n") {
		e.RequestID = id
	}
	var body struct {
		Message          string `json:"message"`
		DocumentationURL string `json:"documentation_url"`
	}
	if err := json.Unmarshal(resp.body, &body); err == nil {
		// GitHub's messages can span lines ("Invalid request.\n\n..."); an
		// error is one line, and a line break in it could start a workflow
		// command where it is printed unescaped.
		e.Message = strings.Join(strings.Fields(body.Message), " ")
		if !strings.ContainsFunc(body.DocumentationURL, unicode.IsSpace) {
			e.DocumentationURL = body.DocumentationURL
		}
	} else {
		e.Message = textMessage(resp, secret)
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.status)
	}
	e.Message = blank(e.Message, secret)
	e.DocumentationURL = blank(e.DocumentationURL, secret)
	return e
}

// textMessage returns the start of a plain-text error body on one line, or
// "" for HTML and binary bodies, which read badly in an error. secret is
// blanked before the body is cut short, which could leave a part of it.
func textMessage(resp *response, secret string) string {
	ct := strings.ToLower(resp.header.Get("Content-Type"))
	if strings.Contains(ct, "html") || strings.HasPrefix(strings.TrimSpace(string(resp.body)), "<") {
		return ""
	}
	s := blank(strings.ToValidUTF8(string(resp.body), ""), secret)
	if len(s) > maxTextMessage {
		s = strings.ToValidUTF8(s[:maxTextMessage], "")
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' && r != '\n' && r != '\r' && r != '\t' }) {
		return ""
	}
	return strings.Join(strings.Fields(s), " ")
}

// blank replaces every occurrence of secret in s with "***".
func blank(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "***")
}

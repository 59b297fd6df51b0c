package githubapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFindInstallation(t *testing.T) {
	t.Parallel()
	enterprise := `{"id":5,"app_id":7,"app_slug":"my-app","account":{"id":1,"slug":"my-ent","name":"My Ent"},` +
		`"repository_selection":"all","permissions":{"enterprise_people":"read"},"suspended_at":"2024-01-01T00:00:00Z","target_type":"Enterprise"}`
	org := Installation{
		ID: 42, AppID: 7, AppSlug: "my-app", Account: "octo-org", AccountType: "Organization",
		RepositorySelection: "all", Permissions: map[string]string{"contents": "read", "issues": "write"},
	}
	tests := []struct {
		name   string
		lookup Lookup
		body   string
		path   string
		want   Installation
	}{
		{name: "repository", lookup: Lookup{Repo: "octo-org/app"}, body: instJSON, path: "/repos/octo-org/app/installation", want: org},
		{name: "owner", lookup: Lookup{Owner: "octo-org"}, body: instJSON, path: "/users/octo-org/installation", want: org},
		{name: "id", lookup: Lookup{ID: 42}, body: instJSON, path: "/app/installations/42", want: org},
		{
			name: "enterprise", lookup: Lookup{Enterprise: "my ent"}, body: enterprise, path: "/enterprises/my%20ent/installation",
			want: Installation{
				ID: 5, AppID: 7, AppSlug: "my-app", Account: "my-ent", AccountType: "Enterprise",
				RepositorySelection: "all", Permissions: map[string]string{"enterprise_people": "read"}, Suspended: true,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, reply{body: tt.body})
			c, _ := newClient(t, srv.URL)
			got, err := c.FindInstallation(t.Context(), tt.lookup)
			if err != nil {
				t.Fatalf("FindInstallation() error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FindInstallation() = %+v, want %+v", got, tt.want)
			}
			if p := srv.requests()[0].path; p != tt.path {
				t.Errorf("path = %s, want %s", p, tt.path)
			}
		})
	}
}

func TestLookupInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		lookup  Lookup
		wantErr string
	}{
		{name: "none", lookup: Lookup{}, wantErr: "exactly one"},
		{name: "two", lookup: Lookup{Owner: "o", ID: 1}, wantErr: "exactly one"},
		{name: "no slash", lookup: Lookup{Repo: "octo"}, wantErr: `invalid repository "octo": want owner/name`},
		{name: "no owner", lookup: Lookup{Repo: "/r"}, wantErr: "invalid repository"},
		{name: "no name", lookup: Lookup{Repo: "o/"}, wantErr: "invalid repository"},
		{name: "two slashes", lookup: Lookup{Repo: "o/r/x"}, wantErr: "invalid repository"},
		{name: "negative id", lookup: Lookup{ID: -1}, wantErr: "invalid installation id -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newClient(t, "http://127.0.0.1:1")
			_, err := c.FindInstallation(t.Context(), tt.lookup)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("FindInstallation(%+v) error = %v, want %q", tt.lookup, err, tt.wantErr)
			}
		})
	}
}

func TestCreateToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  TokenRequest
		body string
	}{
		{name: "empty", req: TokenRequest{}, body: `{}`},
		{name: "empty slices", req: TokenRequest{Repositories: []string{}, Permissions: map[string]string{}}, body: `{}`},
		{name: "repositories", req: TokenRequest{Repositories: []string{"a", "b"}}, body: `{"repositories":["a","b"]}`},
		{name: "ids", req: TokenRequest{RepositoryIDs: []int64{1, 2}}, body: `{"repository_ids":[1,2]}`},
		{
			name: "all",
			req:  TokenRequest{Repositories: []string{"a"}, RepositoryIDs: []int64{3}, Permissions: map[string]string{"issues": "write", "contents": "read"}},
			body: `{"repositories":["a"],"repository_ids":[3],"permissions":{"contents":"read","issues":"write"}}`,
		},
	}
	want := Token{
		Value:               "ghs_secret",
		ExpiresAt:           time.Date(2025, 6, 1, 13, 0, 0, 0, time.UTC),
		Permissions:         map[string]string{"contents": "read"},
		RepositorySelection: "selected",
		Repositories:        []string{"r"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, reply{status: 201, body: tokenJSON})
			c, _ := newClient(t, srv.URL)
			got, err := c.CreateToken(t.Context(), 42, tt.req)
			if err != nil {
				t.Fatalf("CreateToken() error = %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Error("CreateToken() returned a different token than GitHub sent")
			}
			if b := srv.requests()[0].body; b != tt.body {
				t.Errorf("body = %s, want %s", b, tt.body)
			}
		})
	}
	t.Run("invalid installation id", func(t *testing.T) {
		t.Parallel()
		c, _ := newClient(t, "http://127.0.0.1:1")
		if _, err := c.CreateToken(t.Context(), 0, TokenRequest{}); err == nil || err.Error() != "invalid installation id 0" {
			t.Errorf("CreateToken(0) error = %v, want invalid installation id 0", err)
		}
	})
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	create := func(ctx context.Context, c *Client) error {
		_, err := c.CreateToken(ctx, 42, TokenRequest{})
		return err
	}
	find := func(ctx context.Context, c *Client) error {
		_, err := c.FindInstallation(ctx, Lookup{ID: 42})
		return err
	}
	app := func(ctx context.Context, c *Client) error {
		_, err := c.GetApp(ctx)
		return err
	}
	user := func(ctx context.Context, c *Client) error {
		_, err := c.GetUser(ctx, "ghs_user", "someone")
		return err
	}
	list := func(ctx context.Context, c *Client) error {
		_, err := c.ListInstallations(ctx)
		return err
	}
	tests := []struct {
		name        string
		call        func(context.Context, *Client) error
		body        string
		contentType string
		wantErr     string
	}{
		{name: "token malformed", call: create, body: `{"token":"ghs_secret",`, wantErr: "POST /app/installations/42/access_tokens: malformed 200 response: unexpected end of JSON input"},
		{name: "token html", call: create, body: `<html>proxy</html>`, contentType: "text/html", wantErr: `malformed 200 response (content type "text/html")`},
		{name: "token trailing data", call: create, body: tokenJSON + `{}`, wantErr: "malformed 200 response"},
		{name: "token wrong type", call: create, body: `{"token":1}`, wantErr: "malformed 200 response: json: cannot unmarshal number"},
		{name: "no token", call: create, body: `{"expires_at":"2025-06-01T13:00:00Z"}`, wantErr: "response has no token"},
		{name: "no expires_at", call: create, body: `{"token":"ghs_secret"}`, wantErr: "response has no expires_at"},
		{name: "bad expires_at", call: create, body: `{"token":"ghs_secret","expires_at":"tomorrow"}`, wantErr: `invalid expires_at "tomorrow"`},
		{name: "expires_at repeats the token", call: create, body: `{"token":"ghs_secret","expires_at":"ghs_secret"}`, wantErr: `invalid expires_at "***"`},
		{name: "permission repeats the token", call: create, body: `{"token":"ghs_secret","expires_at":"2025-06-01T13:00:00Z","permissions":{"ghs_secret":"read write"}}`, wantErr: `invalid level "read write" for permission ***`},
		{name: "newline in token", call: create, body: `{"token":"ghs_secret\nx","expires_at":"2025-06-01T13:00:00Z"}`, wantErr: "unexpected newline in token"},
		{name: "CR in token", call: create, body: `{"token":"ghs_secret\r","expires_at":"2025-06-01T13:00:00Z"}`, wantErr: "unexpected newline in token"},
		{name: "newline in expires_at", call: create, body: `{"token":"ghs_secret","expires_at":"2025-06-01T13:00:00Z\n"}`, wantErr: "unexpected newline in expires_at"},
		{name: "newline in permission level", call: create, body: `{"token":"ghs_secret","expires_at":"2025-06-01T13:00:00Z","permissions":{"contents":"read\n"}}`, wantErr: "unexpected newline in permission contents"},
		{name: "newline in permission name", call: create, body: `{"token":"ghs_secret","expires_at":"2025-06-01T13:00:00Z","permissions":{"con\ntents":"read"}}`, wantErr: "unexpected newline in permission name"},
		{name: "newline in repository", call: create, body: `{"token":"ghs_secret","expires_at":"2025-06-01T13:00:00Z","repositories":[{"name":"a\nb"}]}`, wantErr: "unexpected newline in repository name"},
		{name: "installation malformed", call: find, body: `[]`, wantErr: "GET /app/installations/42: malformed 200 response"},
		{name: "no installation id", call: find, body: `{"app_slug":"my-app"}`, wantErr: "GET /app/installations/42: response has no installation id"},
		{name: "newline in app_slug", call: find, body: `{"id":42,"app_slug":"my\napp"}`, wantErr: "unexpected newline in app_slug"},
		{name: "newline in account login", call: find, body: `{"id":42,"account":{"login":"o\n"}}`, wantErr: "unexpected newline in account login"},
		{name: "newline in installation permission", call: find, body: `{"id":42,"permissions":{"issues":"write\r\n"}}`, wantErr: "unexpected newline in permission issues"},
		{name: "no app id", call: app, body: `{"slug":"my-app"}`, wantErr: "GET /app: response has no app id"},
		{name: "no app slug", call: app, body: `{"id":7}`, wantErr: "response has no app slug"},
		{name: "newline in app slug", call: app, body: `{"id":7,"slug":"a\nb"}`, wantErr: "unexpected newline in slug"},
		{name: "no user id", call: user, body: `{"login":"someone"}`, wantErr: "GET /users/someone: response has no user id"},
		{name: "newline in user login", call: user, body: `{"id":1,"login":"some\none"}`, wantErr: "unexpected newline in login"},
		{name: "list not an array", call: list, body: `{"installations":[]}`, wantErr: "GET /app/installations: malformed 200 response"},
		{name: "list entry without id", call: list, body: `[` + instJSON + `,{}]`, wantErr: "GET /app/installations: response has no installation id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			header := map[string]string{}
			if tt.contentType != "" {
				header["Content-Type"] = tt.contentType
			}
			srv := startServer(t, reply{body: tt.body, header: header})
			c, _ := newClient(t, srv.URL)
			err := tt.call(t.Context(), c)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want it to contain %q", err, tt.wantErr)
			}
			noSecrets(t, err)
			if n := len(srv.requests()); n != 1 {
				t.Errorf("server got %d requests, want 1 (drift is not retried)", n)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  Error
		want string
	}{
		{
			err:  Error{Method: "POST", Path: "/app/installations/42/access_tokens", Status: 422, Message: "The permissions requested are not granted to this installation.", RequestID: "ABCD:1234"},
			want: "POST /app/installations/42/access_tokens: 422 The permissions requested are not granted to this installation. (request ID ABCD:1234)",
		},
		{err: Error{Method: "GET", Path: "/app", Status: 404, Message: "Not Found"}, want: "GET /app: 404 Not Found"},
		{err: Error{Method: "GET", Path: "/app", Status: 599}, want: "GET /app: 599"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			wrapped := fmt.Errorf("create token: %w", &tt.err)
			if got, ok := errors.AsType[*Error](wrapped); !ok || got.Status != tt.err.Status {
				t.Errorf("errors.As(%v) = %v, want the *Error", wrapped, ok)
			}
		})
	}
}

func TestErrorFromResponse(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 100)
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   Error
	}{
		{
			name: "GitHub JSON", status: 422,
			header: map[string]string{"X-GitHub-Request-Id": "AB:CD"},
			body:   `{"message":"Validation Failed","errors":[{"code":"invalid"}],"documentation_url":"https://docs.github.com/x","status":"422"}`,
			want:   Error{Status: 422, Message: "Validation Failed", DocumentationURL: "https://docs.github.com/x", RequestID: "AB:CD"},
		},
		{name: "JSON without message", status: 404, body: `{}`, want: Error{Status: 404, Message: "Not Found"}},
		{name: "empty body", status: 400, want: Error{Status: 400, Message: "Bad Request"}},
		{name: "plain text", status: 400, header: map[string]string{"Content-Type": "text/plain"}, body: "bad\r\nrequest\n", want: Error{Status: 400, Message: "bad request"}},
		{name: "long text trimmed", status: 400, header: map[string]string{"Content-Type": "text/plain"}, body: long, want: Error{Status: 400, Message: strings.TrimSpace(long[:200])}},
		{name: "html", status: 400, header: map[string]string{"Content-Type": "text/html"}, body: "<!DOCTYPE html><p>proxy error</p>", want: Error{Status: 400, Message: "Bad Request"}},
		{name: "binary", status: 400, header: map[string]string{"Content-Type": "application/octet-stream"}, body: "\x00\x01", want: Error{Status: 400, Message: "Bad Request"}},
		{name: "echoed JWT blanked", status: 401, body: `{"message":"bad JWT jwt-1"}`, want: Error{Status: 401, Message: "bad JWT ***"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.header == nil {
				tt.header = map[string]string{}
			}
			if tt.header["Content-Type"] == "" {
				tt.header["Content-Type"] = "application/json"
			}
			srv := startServer(t, reply{status: tt.status, header: tt.header, body: tt.body})
			c, _ := newClient(t, srv.URL)
			_, err := c.GetApp(t.Context())
			got, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatalf("GetApp() error = %v, want *Error", err)
			}
			want := tt.want
			want.Method, want.Path = "GET", "/app"
			if *got != want {
				t.Errorf("GetApp() error = %#v, want %#v", *got, want)
			}
		})
	}
}

func TestListInstallations(t *testing.T) {
	t.Parallel()
	const base = "/api/v3"
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != base+"/app/installations" || r.URL.Query().Get("per_page") != "100" || r.Header.Get("Authorization") == "" {
			t.Errorf("request %s %s, want GET %s/app/installations?per_page=100 with a JWT", r.Method, r.URL, base)
			http.NotFound(w, r)
			return
		}
		page := r.URL.Query().Get("page")
		link := func(n int) string {
			return fmt.Sprintf(`<%s%s/app/installations?per_page=100&page=%d>; rel="next", <%s%s/app/installations?per_page=100&page=3>; rel="last"`, srv.URL, base, n, srv.URL, base)
		}
		switch page {
		case "":
			w.Header().Set("Link", link(2))
			fmt.Fprint(w, `[{"id":1,"account":{"login":"a","type":"User"}},{"id":2,"account":{"login":"b","type":"Organization"}}]`)
		case "2":
			w.Header().Set("Link", link(3))
			fmt.Fprint(w, `[{"id":3,"account":{"login":"c","type":"User"}}]`)
		default:
			w.Header().Set("Link", fmt.Sprintf(`<%s%s/app/installations?per_page=100&page=1>; rel="first"`, srv.URL, base))
			fmt.Fprint(w, `[{"id":4,"account":{"login":"d","type":"User"}}]`)
		}
	}))
	t.Cleanup(srv.Close)
	c, h := newClient(t, srv.URL+base)
	got, err := c.ListInstallations(t.Context())
	if err != nil {
		t.Fatalf("ListInstallations() error = %v", err)
	}
	var ids []string
	for _, inst := range got {
		ids = append(ids, fmt.Sprintf("%d:%s:%s", inst.ID, inst.Account, inst.AccountType))
	}
	if want := "1:a:User 2:b:Organization 3:c:User 4:d:User"; strings.Join(ids, " ") != want {
		t.Errorf("ListInstallations() = %v, want %s", ids, want)
	}
	if signed, _, _, _ := h.snapshot(); len(signed) != 3 {
		t.Errorf("Sign called %d times, want 3 (one per page)", len(signed))
	}
}

func TestListInstallationsLinkElsewhere(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, link string }{
		{name: "other host", link: `<https://evil.example/app/installations?page=2>; rel="next"`},
		{name: "outside base path", link: `</other/app/installations?page=2>; rel="next"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, reply{body: "[]", header: map[string]string{"Link": tt.link}})
			c, _ := newClient(t, srv.URL+"/api/v3")
			_, err := c.ListInstallations(t.Context())
			if err == nil || !strings.Contains(err.Error(), "pagination link outside") {
				t.Errorf("ListInstallations() error = %v, want a refused link", err)
			}
			if n := len(srv.requests()); n != 1 {
				t.Errorf("server got %d requests, want 1", n)
			}
		})
	}
}

func TestListInstallationsPageLimit(t *testing.T) {
	t.Parallel()
	// Every page links to the next, forever.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		w.Header().Set("Link", fmt.Sprintf(`</app/installations?per_page=100&page=%d>; rel="next"`, page+1))
		io.WriteString(w, "[]")
	}))
	t.Cleanup(srv.Close)
	c, h := newClient(t, srv.URL)
	_, err := c.ListInstallations(t.Context())
	if err == nil || !strings.Contains(err.Error(), "more than 1000 pages") {
		t.Errorf("ListInstallations() error = %v, want more than 1000 pages", err)
	}
	if signed, _, _, _ := h.snapshot(); len(signed) != maxPages {
		t.Errorf("Sign called %d times, want %d (one per page)", len(signed), maxPages)
	}
}

func TestListInstallationsErrorPath(t *testing.T) {
	t.Parallel()
	srv := startServer(t, reply{status: http.StatusNotFound, body: `{"message":"Not Found"}`})
	c, _ := newClient(t, srv.URL)
	_, err := c.ListInstallations(t.Context())
	apiErr, ok := errors.AsType[*Error](err)
	if !ok || apiErr.Path != "/app/installations" || err.Error() != "GET /app/installations: 404 Not Found" {
		t.Errorf("ListInstallations() error = %v, want *Error for GET /app/installations without the query", err)
	}
}

func TestNextLink(t *testing.T) {
	t.Parallel()
	tests := []struct{ header, want string }{
		{header: "", want: ""},
		{header: `<https://x/a?page=2>; rel="next", <https://x/a?page=9>; rel="last"`, want: "https://x/a?page=2"},
		{header: `<https://x/a?page=1>; rel="prev",<https://x/a?page=3>; rel=next`, want: "https://x/a?page=3"},
		{header: `<https://x/a?page=1>; rel="first"`, want: ""},
		{header: `garbage; rel="next"`, want: ""},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set("Link", tt.header)
		}
		if got := nextLink(h); got != tt.want {
			t.Errorf("nextLink(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestRevokeToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		token      string
		reply      reply
		wantStatus int    // 0 = success
		wantErr    string // for errors without a status
	}{
		{name: "revoked", token: "ghs_a", reply: reply{status: 204}},
		{name: "already revoked", token: "ghs_a", reply: reply{status: 401, body: `{"message":"Bad credentials"}`}, wantStatus: 401},
		{name: "no token", wantErr: "no token to revoke"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tt.reply)
			c, h := newClient(t, srv.URL)
			c.Sign = nil // revoking needs no app key
			err := c.RevokeToken(t.Context(), tt.token)
			noSecrets(t, err)
			switch {
			case tt.wantErr != "":
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("RevokeToken() error = %v, want %q", err, tt.wantErr)
				}
			case tt.wantStatus != 0:
				if apiErr, ok := errors.AsType[*Error](err); !ok || apiErr.Status != tt.wantStatus || apiErr.Error() != "DELETE /installation/token: 401 Bad credentials" {
					t.Errorf("RevokeToken() error = %v, want *Error %d", err, tt.wantStatus)
				}
			case err != nil:
				t.Errorf("RevokeToken() error = %v", err)
			}
			if _, sleeps, _, _ := h.snapshot(); len(sleeps) != 0 {
				t.Errorf("slept %v, want no retries", sleeps)
			}
		})
	}
}

// TestRevokeTokenAfterNoAnswer checks that a 401 to a revocation whose
// earlier attempt got no answer counts as revoked: the earlier attempt may
// have reached GitHub and revoked the token, which is gone either way. A
// 401 after an attempt that GitHub answered stays an error.
func TestRevokeTokenAfterNoAnswer(t *testing.T) {
	t.Parallel()
	denied := reply{status: 401, body: `{"message":"Bad credentials"}`}
	tests := []struct {
		name    string
		replies []reply
		// requestTimeout bounds each attempt; it only has to end the
		// blocked one, so its length does not matter.
		requestTimeout time.Duration
		wantStatus     int // 0 = success
	}{
		{name: "reset, then 401", replies: []reply{{reset: true}, denied}},
		{name: "timeout, then 401", replies: []reply{{block: true}, denied}, requestTimeout: 2 * time.Second},
		{name: "500, then 401", replies: []reply{{status: 500}, denied}, wantStatus: 401},
		{name: "401 at once", replies: []reply{denied}, wantStatus: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, tt.replies...)
			c, _ := newClient(t, srv.URL)
			c.Sign = nil
			c.RequestTimeout = tt.requestTimeout
			err := c.RevokeToken(t.Context(), "ghs_a")
			apiErr, _ := errors.AsType[*Error](err)
			switch {
			case tt.wantStatus == 0 && err != nil:
				t.Errorf("RevokeToken() error = %v, want success", err)
			case tt.wantStatus != 0 && (apiErr == nil || apiErr.Status != tt.wantStatus):
				t.Errorf("RevokeToken() error = %v, want *Error %d", err, tt.wantStatus)
			}
			if n := len(srv.requests()); n < len(tt.replies) {
				t.Errorf("server got %d requests, want at least %d", n, len(tt.replies))
			}
		})
	}
}

func TestGetters(t *testing.T) {
	t.Parallel()
	t.Run("GetApp", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, reply{body: appJSON})
		c, _ := newClient(t, srv.URL)
		got, err := c.GetApp(t.Context())
		want := App{ID: 7, Slug: "my-app", Name: "My App", HTMLURL: "https://github.com/apps/my-app"}
		if err != nil || got != want {
			t.Errorf("GetApp() = %+v, %v, want %+v", got, err, want)
		}
	})
	t.Run("GetUser", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, reply{body: `{"id":41898282,"login":"my-app[bot]","type":"Bot"}`})
		c, _ := newClient(t, srv.URL)
		got, err := c.GetUser(t.Context(), "ghs_x", "my-app[bot]")
		want := User{ID: 41898282, Login: "my-app[bot]"}
		if err != nil || got != want {
			t.Errorf("GetUser() = %+v, %v, want %+v", got, err, want)
		}
	})
	t.Run("GetUser without token", func(t *testing.T) {
		t.Parallel()
		c, _ := newClient(t, "http://127.0.0.1:1")
		if _, err := c.GetUser(t.Context(), "", "x"); err == nil {
			t.Error("GetUser() without a token succeeded")
		}
	})
}

func BenchmarkCreateToken(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, tokenJSON)
	}))
	b.Cleanup(srv.Close)
	c := &Client{
		BaseURL: srv.URL,
		Sign:    func(context.Context, time.Time) (string, error) { return "jwt", nil },
	}
	req := TokenRequest{Repositories: []string{"app", "infra"}, Permissions: map[string]string{"contents": "read"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CreateToken(b.Context(), 42, req); err != nil {
			b.Fatal(err)
		}
	}
}

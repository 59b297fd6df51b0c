package githubapi_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ghapptoken/app-token-action/internal/githubapi"
	"github.com/ghapptoken/app-token-action/internal/githubapi/githubapitest"
)

// fakeClock is the one clock of a client and an emulator: the client's
// waits move it on instead of sleeping.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	return ctx.Err()
}

func (c *fakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// startEmulator starts the demo world with a renamed repository, and a
// client for it whose clock is the emulator's.
func startEmulator(tb testing.TB) (*githubapitest.Server, *githubapi.Client, *fakeClock) {
	tb.Helper()
	clock := &fakeClock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	cfg := githubapitest.DefaultConfig()
	cfg.Now = clock.Now
	cfg.Renamed = map[string]string{"octo-org/old-app": "octo-org/app"}
	srv := githubapitest.Start(tb, cfg)
	key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(srv.PrivateKeyPEM()))
	if err != nil {
		tb.Fatalf("parse the emulator's key: %v", err)
	}
	c := &githubapi.Client{
		BaseURL: srv.URL(),
		Now:     clock.Now,
		Sleep:   clock.Sleep,
		Sign: func(_ context.Context, now time.Time) (string, error) {
			claims := jwt.MapClaims{
				"iss": strconv.FormatInt(cfg.App.ID, 10),
				"iat": now.Add(-time.Minute).Unix(),
				"exp": now.Add(9 * time.Minute).Unix(),
			}
			return jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
		},
	}
	return srv, c, clock
}

// TestEmulatorFaults runs the client against the emulator's fault presets.
func TestEmulatorFaults(t *testing.T) {
	t.Parallel()
	const orgInstallation = 42000001
	t.Run("secondary rate limit", func(t *testing.T) {
		t.Parallel()
		srv, c, clock := startEmulator(t)
		srv.InjectFault(githubapitest.SecondaryRateLimit("POST", "/app/installations/*", 2))
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
		defer cancel()
		if _, err := c.CreateToken(ctx, orgInstallation, githubapi.TokenRequest{}); err != nil {
			t.Fatalf("CreateToken() error = %v", err)
		}
		waits := clock.Waits()
		if len(waits) != 2 || waits[0] < time.Minute || waits[1] <= waits[0] {
			t.Errorf("waits = %v, want a minute or more, then longer", waits)
		}
	})
	t.Run("secondary rate limit past the deadline", func(t *testing.T) {
		t.Parallel()
		srv, c, _ := startEmulator(t)
		srv.InjectFault(githubapitest.SecondaryRateLimit("POST", "", -1))
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		_, err := c.CreateToken(ctx, orgInstallation, githubapi.TokenRequest{})
		rl, ok := errors.AsType[*githubapi.RateLimitError](err)
		if !ok || !rl.Secondary || rl.Wait < time.Minute || len(srv.Requests()) != 1 {
			t.Errorf("CreateToken() error = %v after %d requests, want a secondary *RateLimitError at once", err, len(srv.Requests()))
		}
	})
	t.Run("IP allow list", func(t *testing.T) {
		t.Parallel()
		srv, c, clock := startEmulator(t)
		srv.InjectFault(srv.IPAllowList("octo-org"))
		_, err := c.CreateToken(t.Context(), orgInstallation, githubapi.TokenRequest{})
		apiErr, ok := errors.AsType[*githubapi.Error](err)
		if !ok || apiErr.Status != 403 || !strings.Contains(apiErr.Message, "the `octo-org` organization has an IP allow list enabled") {
			t.Fatalf("CreateToken() error = %v, want GitHub's 403 *Error", err)
		}
		if _, ok := errors.AsType[*githubapi.RateLimitError](err); ok || len(srv.Requests()) != 1 || len(clock.Waits()) != 0 {
			t.Errorf("CreateToken() = %v after %d requests and waits %v, want one attempt", err, len(srv.Requests()), clock.Waits())
		}
	})
	t.Run("too many repositories", func(t *testing.T) {
		t.Parallel()
		srv, c, _ := startEmulator(t)
		srv.InjectFault(githubapitest.TooManyRepositories(orgInstallation))
		_, err := c.CreateToken(t.Context(), orgInstallation, githubapi.TokenRequest{})
		if apiErr, ok := errors.AsType[*githubapi.Error](err); !ok || apiErr.Status != 422 || !strings.HasPrefix(apiErr.Message, "Too many repositories for installation") {
			t.Errorf("CreateToken() error = %v, want GitHub's 422", err)
		}
	})
	t.Run("invalid permission level", func(t *testing.T) {
		t.Parallel()
		_, c, _ := startEmulator(t)
		_, err := c.CreateToken(t.Context(), orgInstallation, githubapi.TokenRequest{Permissions: map[string]string{"contents": "none"}})
		apiErr, ok := errors.AsType[*githubapi.Error](err)
		if !ok || apiErr.Status != 422 || !strings.HasPrefix(apiErr.Message, "There is at least one permission action that is not supported.") ||
			apiErr.DocumentationURL != "https://docs.github.com/rest/reference/apps#create-an-installation-access-token-for-an-app" {
			t.Errorf("CreateToken() error = %v (%+v), want GitHub's 422 for the level", err, apiErr)
		}
	})
	t.Run("token lag", func(t *testing.T) {
		t.Parallel()
		srv, c, clock := startEmulator(t)
		srv.SetTokenLag(2 * time.Second)
		tok, err := c.CreateToken(t.Context(), orgInstallation, githubapi.TokenRequest{})
		if err != nil {
			t.Fatalf("CreateToken() error = %v", err)
		}
		if u, err := c.GetUser(t.Context(), tok.Value, "demo-app[bot]"); err != nil || u.Login != "demo-app[bot]" {
			t.Fatalf("GetUser() = %+v, %v, want the bot once the token is known", u, err)
		}
		if waits := clock.Waits(); len(waits) != 3 {
			t.Errorf("waits = %v, want 3 while the token lags", waits)
		}
		if err := c.RevokeToken(t.Context(), tok.Value); err != nil {
			t.Errorf("RevokeToken() error = %v", err)
		}
	})
	t.Run("token lag too long", func(t *testing.T) {
		t.Parallel()
		srv, c, _ := startEmulator(t)
		srv.SetTokenLag(time.Minute)
		tok, err := c.CreateToken(t.Context(), orgInstallation, githubapi.TokenRequest{})
		if err != nil {
			t.Fatalf("CreateToken() error = %v", err)
		}
		_, err = c.GetUser(t.Context(), tok.Value, "demo-app[bot]")
		if apiErr, ok := errors.AsType[*githubapi.Error](err); !ok || apiErr.Status != 401 || strings.Contains(err.Error(), tok.Value) {
			t.Errorf("GetUser() error = %v, want GitHub's 401 without the token", err)
		}
		// Revoking is not delayed: a 401 there would mean revoked already.
		if err := c.RevokeToken(t.Context(), tok.Value); err != nil {
			t.Errorf("RevokeToken() error = %v", err)
		}
	})
	t.Run("renamed repository", func(t *testing.T) {
		t.Parallel()
		srv, c, _ := startEmulator(t)
		in, err := c.FindInstallation(t.Context(), githubapi.Lookup{Repo: "octo-org/old-app"})
		if err != nil || in.ID != orgInstallation {
			t.Fatalf("FindInstallation() = %+v, %v, want installation %d", in, err, orgInstallation)
		}
		var got []string // no headers: they hold the JWT
		for _, r := range srv.Requests() {
			got = append(got, r.Method+" "+r.Path+" "+strconv.Itoa(r.Status))
		}
		want := []string{"GET /repos/octo-org/old-app/installation 301", "GET /repositories/700000101/installation 200"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("requests = %q, want %q", got, want)
		}
	})
}

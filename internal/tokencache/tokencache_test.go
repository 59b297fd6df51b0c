package tokencache

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestGetPicksFreshestOfScope(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := Cache{Path: filepath.Join(t.TempDir(), "d", FileName), Now: func() time.Time { return now }}
	for _, e := range []Entry{
		{Scope: "a", Token: "old", ExpiresAt: now.Add(5 * time.Minute)},
		{Scope: "a", Token: "new", ExpiresAt: now.Add(50 * time.Minute)},
		{Scope: "b", Token: "other", ExpiresAt: now.Add(55 * time.Minute)},
		{Scope: "a", Token: "expired", ExpiresAt: now.Add(-time.Second)},
	} {
		if err := c.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		scope   string
		minLeft time.Duration
		want    string
	}{
		{"freshest", "a", 10 * time.Minute, "new"},
		{"any left", "a", 0, "new"},
		{"too short", "a", 51 * time.Minute, ""},
		{"other scope", "b", 10 * time.Minute, "other"},
		{"unknown scope", "c", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok, err := c.Get(tt.scope, tt.minLeft)
			if err != nil {
				t.Fatal(err)
			}
			if got := map[bool]string{true: e.Token}[ok]; got != tt.want {
				t.Errorf("Get(%q, %v) = %q, want %q", tt.scope, tt.minLeft, got, tt.want)
			}
		})
	}
	b, err := os.ReadFile(c.Path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "expired") {
		t.Errorf("the cache file holds an expired token: %s", b)
	}
}

func TestEraseDropsScopeAndValue(t *testing.T) {
	t.Parallel()
	now := time.Now()
	c := Cache{Path: filepath.Join(t.TempDir(), FileName)}
	for _, e := range []Entry{
		{Scope: "a", Token: "t1", ExpiresAt: now.Add(time.Hour)},
		{Scope: "a", Token: "t2", ExpiresAt: now.Add(time.Hour)},
		{Scope: "b", Token: "t3", ExpiresAt: now.Add(time.Hour)},
		{Scope: "c", Token: "t4", ExpiresAt: now.Add(time.Hour)},
	} {
		if err := c.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	n, err := c.Erase("a", "t3")
	if err != nil || n != 3 {
		t.Fatalf("Erase() = %d, %v, want 3, nil", n, err)
	}
	entries, err := c.Entries()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Token != "t4" {
		t.Errorf("Entries() after Erase = %v, want only t4", entries)
	}
}

func TestFileIsPrivate(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits")
	}
	c := Cache{Path: filepath.Join(t.TempDir(), "new", FileName)}
	if err := c.Put(Entry{Scope: "a", Token: "t", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{c.Path: 0o600, filepath.Dir(c.Path): 0o700 | os.ModeDir} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("mode of %s = %v, want %v", path, fi.Mode(), want)
		}
	}
}

// TestConcurrentPutsKeepEveryToken stands in for many git processes
// minting at once: every token they add must be in the cache afterwards,
// so that the post step can revoke it.
func TestConcurrentPutsKeepEveryToken(t *testing.T) {
	t.Parallel()
	c := Cache{Path: filepath.Join(t.TempDir(), FileName)}
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- c.Put(Entry{Scope: "s", Token: fmt.Sprintf("t%d", i), ExpiresAt: time.Now().Add(time.Hour)})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	entries, err := c.Entries()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != n {
		t.Errorf("after %d concurrent Puts the cache holds %d tokens", n, len(entries))
	}
	if err := c.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.Path); !os.IsNotExist(err) {
		t.Errorf("after Remove, Stat(cache) = %v, want not exist", err)
	}
}

func TestStaleLockIsTakenOver(t *testing.T) {
	t.Parallel()
	c := Cache{Path: filepath.Join(t.TempDir(), FileName)}
	lock := c.Path + ".lock"
	if err := os.WriteFile(lock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * staleLock)
	if err := os.Chtimes(lock, old, old); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(Entry{Scope: "s", Token: "t", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Errorf("Put() with a stale lock = %v", err)
	}
}

func TestPath(t *testing.T) {
	t.Parallel()
	userCache := func() (string, error) { return "/home/u/.cache", nil }
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"override", map[string]string{"APP_TOKEN_CACHE": "/x/c.json", "RUNNER_TEMP": "/t", "GITHUB_ACTIONS": "true"}, "/x/c.json"},
		{"actions", map[string]string{"RUNNER_TEMP": "/t", "GITHUB_ACTIONS": "true", "XDG_RUNTIME_DIR": "/run/user/1"}, filepath.Join("/t", "app-token", "tokens.json")},
		{"runtime dir", map[string]string{"XDG_RUNTIME_DIR": "/run/user/1", "RUNNER_TEMP": "/t"}, filepath.Join("/run/user/1", "app-token", "tokens.json")},
		{"user cache", nil, filepath.Join("/home/u/.cache", "app-token", "tokens.json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Path(func(k string) string { return tt.env[k] }, userCache)
			if err != nil || got != tt.want {
				t.Errorf("Path() = %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}

package tokencache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/ghapptoken/app-token-action/internal/jobdir"
)

func TestGetPicksFreshestOfScope(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := Cache{Path: filepath.Join(t.TempDir(), "d", jobdir.CacheName), Now: func() time.Time { return now }}
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
	c := Cache{Path: filepath.Join(t.TempDir(), jobdir.CacheName)}
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
	c := Cache{Path: filepath.Join(t.TempDir(), "new", jobdir.CacheName)}
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
	c := Cache{Path: filepath.Join(t.TempDir(), jobdir.CacheName)}
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
	c := Cache{Path: filepath.Join(t.TempDir(), jobdir.CacheName)}
	lock := c.Path + ".lock"
	if err := os.WriteFile(lock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// A lock file left behind, as by a process that died holding the
	// lock, is no lock: the operating system released it.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(lock, old, old); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(Entry{Scope: "s", Token: "t", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Errorf("Put() with a stale lock = %v", err)
	}
}

// TestGetOrMintMintsOnce stands in for many git processes that find the
// token low at once: each goroutine opens the cache as a process would
// (its own lock file handle), and exactly one mint serves them all.
func TestGetOrMintMintsOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), jobdir.CacheName)
	old := Cache{Path: path}
	if err := old.Put(Entry{Scope: "s", Token: "low", ExpiresAt: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	var mints atomic.Int32
	mint := func(context.Context) (Entry, error) {
		n := mints.Add(1)
		time.Sleep(20 * time.Millisecond) // a mint takes a while: the others must wait, not mint
		return Entry{Scope: "s", Token: fmt.Sprintf("new%d", n), ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	const n = 8
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			e, err := Cache{Path: path}.GetOrMint(t.Context(), "s", 10*time.Minute, mint)
			got[i], errs[i] = e.Token, err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || got[i] != "new1" {
			t.Errorf("GetOrMint() #%d = %q, %v, want new1", i, got[i], errs[i])
		}
	}
	if m := mints.Load(); m != 1 {
		t.Errorf("%d parallel GetOrMint calls minted %d times, want 1", n, m)
	}
	records, err := old.Records()
	if err != nil || len(records) != 2 {
		t.Errorf("Records() = %d records, %v, want the low token and the new one", len(records), err)
	}
}

func TestGetOrMintFailedMintSavesNothing(t *testing.T) {
	t.Parallel()
	c := Cache{Path: filepath.Join(t.TempDir(), jobdir.CacheName)}
	boom := errors.New("boom")
	if _, err := c.GetOrMint(t.Context(), "s", 0, func(context.Context) (Entry, error) { return Entry{}, boom }); !errors.Is(err, boom) {
		t.Errorf("GetOrMint() error = %v, want the mint's", err)
	}
	if records, err := c.Records(); err != nil || len(records) != 0 {
		t.Errorf("after a failed mint, Records() = %v, %v, want none", records, err)
	}
}

// TestEraseKeepsRecords: a token git erased is not handed out again, and
// stays on record for the post step to revoke, until SetRevoked.
func TestEraseKeepsRecords(t *testing.T) {
	t.Parallel()
	c := Cache{Path: filepath.Join(t.TempDir(), jobdir.CacheName)}
	live := time.Now().Add(time.Hour)
	for _, tok := range []string{"t1", "t2"} {
		if err := c.Put(Entry{Scope: "a", Token: tok, ExpiresAt: live}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := c.Erase("a", "t2"); err != nil || n != 2 {
		t.Fatalf("Erase() = %d, %v, want 2", n, err)
	}
	if _, ok, _ := c.Get("a", 0); ok {
		t.Errorf("Get() after Erase handed out an erased token")
	}
	records, err := c.Records()
	if err != nil || len(records) != 2 || records[0].Token != "t1" || records[1].Token != "t2" || !records[0].Retired || !records[1].Retired {
		t.Errorf("Records() after Erase = %+v, %v, want t1 and t2, retired", records, err)
	}
	if err := c.SetRevoked("t2"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(c.Path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "t2") {
		t.Errorf("after SetRevoked the cache file still holds the token: %s", b)
	}
	records, _ = c.Records()
	if len(records) != 2 || !records[1].Revoked {
		t.Errorf("Records() after SetRevoked = %+v, want t2's record, revoked", records)
	}
}

// TestVersion: a file without a version (written before versions) is
// read; one of a later version is refused, never overwritten, and nothing
// is minted for it.
func TestVersion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	unversioned := filepath.Join(dir, "old.json")
	os.WriteFile(unversioned, []byte(`{"tokens":[{"scope":"s","api_url":"https://api.github.com","installation_id":1,"token":"t","expires_at":"`+exp+`"}]}`), 0o600)
	if e, ok, err := (Cache{Path: unversioned}).Get("s", 0); err != nil || !ok || e.Token != "t" {
		t.Errorf("Get() from an unversioned file = %q, %t, %v, want t", e.Token, ok, err)
	}
	newer := filepath.Join(dir, "newer.json")
	content := `{"version":2,"tokens":[]}`
	os.WriteFile(newer, []byte(content), 0o600)
	minted := false
	_, err := Cache{Path: newer}.GetOrMint(t.Context(), "s", 0, func(context.Context) (Entry, error) {
		minted = true
		return Entry{Scope: "s", Token: "x", ExpiresAt: time.Now().Add(time.Hour)}, nil
	})
	if ve, ok := errors.AsType[*VersionError](err); !ok || ve.Version != 2 || !strings.Contains(err.Error(), "format version 2") {
		t.Errorf("GetOrMint() on a version 2 file: %v, want a *VersionError naming version 2", err)
	}
	if err := (Cache{Path: newer}).Put(Entry{Scope: "s", Token: "x", ExpiresAt: time.Now().Add(time.Hour)}); err == nil {
		t.Errorf("Put() on a version 2 file succeeded")
	}
	if b, _ := os.ReadFile(newer); minted || string(b) != content {
		t.Errorf("a version 2 file: minted %t, file now %s; want no mint and the file unchanged", minted, b)
	}
}

// TestLockHeldSaysSo: a waiter gives up when its context ends, and says
// which lock another process holds.
func TestLockHeldSaysSo(t *testing.T) {
	t.Parallel()
	c := Cache{Path: filepath.Join(t.TempDir(), jobdir.CacheName)}
	holder := flock.New(c.Path + ".lock")
	if ok, err := holder.TryLock(); !ok || err != nil {
		t.Fatalf("TryLock() = %t, %v", ok, err)
	}
	defer holder.Unlock()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.GetOrMint(ctx, "s", 0, func(context.Context) (Entry, error) {
		t.Error("minted without the lock")
		return Entry{}, nil
	})
	if err == nil || !strings.Contains(err.Error(), "another app-token process held "+c.Path+".lock") {
		t.Errorf("GetOrMint() with the lock held = %v, want it to name the held lock", err)
	}
}

// holdLockEnv makes the test binary a process that takes the cache's lock
// at the path it names, says so, and waits to be killed.
const holdLockEnv = "TOKENCACHE_TEST_HOLD_LOCK"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdLockEnv); path != "" {
		unlock, err := Cache{Path: path}.lock(context.Background())
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("locked")
		// Sleep, not select {}: a process whose goroutines all block for
		// ever is a deadlock to the runtime (so under GOMAXPROCS=1), which
		// exits and frees the lock; and unlock after it keeps the lock's
		// file reachable, which the garbage collector would otherwise
		// close, freeing the lock too.
		time.Sleep(time.Hour)
		unlock()
	}
	os.Exit(m.Run())
}

// TestLockDiesWithItsHolder kills a process that holds the lock: the
// operating system releases it at once, with no stale lock to wait out.
func TestLockDiesWithItsHolder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGKILL")
	}
	t.Parallel()
	c := Cache{Path: filepath.Join(t.TempDir(), jobdir.CacheName)}
	os.MkdirAll(filepath.Dir(c.Path), 0o700)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdLockEnv+"="+c.Path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("lock holder said %q", line)
	}
	probe := flock.New(c.Path + ".lock")
	if ok, _ := probe.TryLock(); ok {
		probe.Unlock()
		t.Fatal("the lock was free while its holder lived: the test proves nothing")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if ok, err := probe.TryLock(); !ok || err != nil {
		t.Errorf("after its holder was killed, TryLock() = %t, %v, want the lock", ok, err)
	}
	probe.Unlock()
}

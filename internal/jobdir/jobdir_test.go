package jobdir

import (
	"path/filepath"
	"testing"
)

func TestCachePath(t *testing.T) {
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
			got, err := CachePath(func(k string) string { return tt.env[k] }, userCache)
			if err != nil || got != tt.want {
				t.Errorf("CachePath() = %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}

func TestConfigPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		env    map[string]string
		want   string
		wantOK bool
	}{
		{"job", map[string]string{"RUNNER_TEMP": "/t", "GITHUB_ACTIONS": "true"}, filepath.Join("/t", "app-token", "config.json"), true},
		{"no temp", map[string]string{"GITHUB_ACTIONS": "true"}, "", false},
		{"not actions", map[string]string{"RUNNER_TEMP": "/t"}, "", false},
	}
	for _, tt := range tests {
		got, ok := ConfigPath(func(k string) string { return tt.env[k] })
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: ConfigPath() = %q, %t, want %q, %t", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

package oidc

import (
	"errors"
	"strings"
	"testing"

	"github.com/ghapptoken/app-token-action/internal/hint"
	"github.com/ghapptoken/app-token-action/internal/oidc/oidctest"
)

func TestFetch(t *testing.T) {
	t.Parallel()
	srv := oidctest.Start(t, oidctest.Job{Repository: "octo-org/app", Ref: "refs/heads/main"})
	tests := []struct {
		name     string
		env      map[string]string
		fail     int
		wantErr  string
		wantHint string
	}{
		{name: "the job has id-token: write", env: srv.Env()},
		{name: "the job has no id-token permission", env: map[string]string{}, wantErr: "not available", wantHint: "id-token: write"},
		{name: "the request token is wrong", env: map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": srv.Env()["ACTIONS_ID_TOKEN_REQUEST_URL"], "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "wrong"}, wantErr: "answered 401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var masked []string
			f := Fetcher{Getenv: func(k string) string { return tt.env[k] }, Mask: func(s string) { masked = append(masked, s) }}
			tok, err := f.Fetch(t.Context(), "sts.amazonaws.com")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Fetch() error = %v, want %q", err, tt.wantErr)
				}
				if !strings.Contains(hint.Next(err), tt.wantHint) {
					t.Errorf("Fetch() hint = %q, want %q", hint.Next(err), tt.wantHint)
				}
				if tt.wantHint == "id-token: write" && !errors.Is(err, ErrUnavailable) {
					t.Error("Fetch() error is not ErrUnavailable")
				}
				for _, s := range srv.Secrets() {
					if strings.Contains(err.Error(), s) {
						t.Error("Fetch() error shows a secret")
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(masked) != 1 || masked[0] != tok {
				t.Error("Fetch() did not mask the token it returned")
			}
			if got, want := Describe(tok), "sub repo:octo-org/app:ref:refs/heads/main, aud sts.amazonaws.com"; got != want {
				t.Errorf("Describe() = %q, want %q", got, want)
			}
		})
	}
}

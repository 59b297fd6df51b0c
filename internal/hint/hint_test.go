package hint

import (
	"errors"
	"fmt"
	"testing"
)

func TestRender(t *testing.T) {
	t.Parallel()
	flags := func(f string) (string, bool) {
		switch f {
		case "client-id":
			return "--client-id", true
		case "permission-issues":
			return "--permission issues=LEVEL", true
		}
		return "", false
	}
	tests := []struct{ name, in, want string }{
		{"one field", "check {client-id}", "check --client-id"},
		{"two fields", "set {client-id} and {permission-issues}", "set --client-id and --permission issues=LEVEL"},
		{"unknown field kept", "set {owner}", "set {owner}"},
		{"expression kept", "pass private-key: ${{ secrets.KEY }}", "pass private-key: ${{ secrets.KEY }}"},
		{"unclosed brace", "a {client-id", "a {client-id"},
		{"no fields", "re-run the job", "re-run the job"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Render(tt.in, flags); got != tt.want {
				t.Errorf("Render(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNext(t *testing.T) {
	t.Parallel()
	base := errors.New("boom")
	inner := New(base, "inner step")
	outer := New(fmt.Errorf("wrapped: %w", inner), "outer step")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"none", base, ""},
		{"direct", inner, "inner step"},
		{"through a wrap", fmt.Errorf("x: %w", inner), "inner step"},
		{"outermost wins", outer, "outer step"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Next(tt.err); got != tt.want {
				t.Errorf("Next() = %q, want %q", got, tt.want)
			}
		})
	}
	if New(nil, "x") != nil {
		t.Error("New(nil) != nil")
	}
	if got := inner.Error(); got != "boom" {
		t.Errorf("Error() = %q, want the wrapped message", got)
	}
	if !errors.Is(outer, base) {
		t.Error("errors.Is(outer, base) = false")
	}
}

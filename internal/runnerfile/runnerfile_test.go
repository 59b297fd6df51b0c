package runnerfile

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []Entry
		wantErr string
	}{
		{name: "empty", in: "", want: nil},
		{name: "plain", in: "a=1\nb=x=y\n", want: []Entry{{"a", "1"}, {"b", "x=y"}}},
		{name: "heredoc", in: "token<<ghadelimiter_1\nv\nghadelimiter_1\n", want: []Entry{{"token", "v"}}},
		{name: "heredoc empty value", in: "k<<D\nD\n", want: []Entry{{"k", ""}}},
		{name: "crlf", in: "k<<D\r\nv\r\nD\r\n", want: []Entry{{"k", "v"}}},
		{name: "mixed", in: "a<<D\n1\nD\nb=2\n", want: []Entry{{"a", "1"}, {"b", "2"}}},
		{name: "unterminated", in: "k<<D\nv\n", wantErr: "no closing delimiter"},
		{name: "multi-line value", in: "k<<D\nv\ninjected=1\nD\n", wantErr: "spans 2 lines"},
		{name: "garbage line", in: "hello\n", wantErr: "neither"},
		{name: "empty name", in: "=v\n", wantErr: "neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMapLaterWins(t *testing.T) {
	t.Parallel()
	got := Map([]Entry{{"a", "1"}, {"a", "2"}})
	if got["a"] != "2" {
		t.Errorf("Map()[a] = %q, want 2", got["a"])
	}
}

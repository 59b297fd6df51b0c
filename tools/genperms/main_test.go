package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadPermissions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		json    string
		want    []permission
		wantErr string // substring of the error; "" = none
	}{
		{name: "sorted by name, levels in level order",
			json: `{"pull_requests": ["write", "read"], "actions": ["admin", "read"], "profile": ["write"]}`,
			want: []permission{{"actions", []string{"read", "admin"}}, {"profile", []string{"write"}}, {"pull_requests", []string{"read", "write"}}}},
		{name: "name with a hyphen", json: `{"pull-requests": ["read"]}`, wantErr: `invalid permission name "pull-requests"`},
		{name: "name in upper case", json: `{"Issues": ["read"]}`, wantErr: `invalid permission name "Issues"`},
		{name: "empty name", json: `{"": ["read"]}`, wantErr: "invalid permission name"},
		{name: "no levels", json: `{"issues": []}`, wantErr: `permission "issues" has no levels`},
		{name: "unknown level", json: `{"issues": ["none"]}`, wantErr: `permission "issues" has unknown level "none"`},
		{name: "not an object", json: `["issues"]`, wantErr: "parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "perms.json")
			if err := os.WriteFile(path, []byte(tt.json), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readPermissions(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("readPermissions() error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("readPermissions() error = %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("readPermissions() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSpliceInputs(t *testing.T) {
	t.Parallel()
	perms := []permission{{"pull_requests", []string{"read", "write"}}, {"repository_projects", []string{"read", "write", "admin"}}, {"workflows", []string{"write"}}}
	action := "inputs:\n  owner:\n    required: false\n" + beginMarker + "  permission-old:\n    required: false\n" + endMarker + "outputs: {}\n"
	got, err := spliceInputs([]byte(action), perms)
	if err != nil {
		t.Fatalf("spliceInputs() error = %v", err)
	}
	want := "inputs:\n  owner:\n    required: false\n" + beginMarker +
		"  permission-pull-requests:\n    description: \"Level of the pull requests permission to grant the token. Can be set to 'read' or 'write'.\"\n    required: false\n" +
		"  permission-repository-projects:\n    description: \"Level of the repository projects permission to grant the token. Can be set to 'read', 'write', or 'admin'.\"\n    required: false\n" +
		"  permission-workflows:\n    description: \"Level of the workflows permission to grant the token. Can be set to 'write'.\"\n    required: false\n" +
		endMarker + "outputs: {}\n"
	if string(got) != want {
		t.Errorf("spliceInputs() =\n%s\nwant\n%s", got, want)
	}

	for name, action := range map[string]string{
		"no begin line": "inputs:\n" + endMarker,
		"no end line":   "inputs:\n" + beginMarker,
	} {
		if _, err := spliceInputs([]byte(action), perms); err == nil || !strings.Contains(err.Error(), "missing line") {
			t.Errorf("spliceInputs() with %s: error = %v, want missing line", name, err)
		}
	}
}

// TestGeneratedUpToDate regenerates the table and action.yml's permission
// inputs from the committed JSON, as go generate does, and checks that the
// committed files are what it wrote, byte for byte: a hand edit or a
// forgotten go generate shows here.
func TestGeneratedUpToDate(t *testing.T) {
	t.Parallel()
	const (
		jsonPath   = "../../internal/config/testdata/app-permissions.json"
		goPath     = "../../internal/config/permissions/levels.go"
		actionPath = "../../action.yml"
	)
	dir := t.TempDir()
	gotGo, gotAction := filepath.Join(dir, "levels.go"), filepath.Join(dir, "action.yml")
	action, err := os.ReadFile(actionPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gotAction, action, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(jsonPath, gotGo, gotAction); err != nil {
		t.Fatalf("run() error = %v", err)
	}
	for committed, generated := range map[string]string{goPath: gotGo, actionPath: gotAction} {
		want, err := os.ReadFile(committed)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(generated)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from what genperms generates: run go generate ./genperms in tools/", committed)
		}
	}
}

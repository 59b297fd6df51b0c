package permissions

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// TestLevelsUpToDate checks the generated table against the list it is
// generated from, internal/config/testdata/app-permissions.json.
func TestLevelsUpToDate(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../testdata/app-permissions.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string][]string
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(Levels, want) {
		t.Errorf("Levels differs from app-permissions.json: run go generate ./genperms in tools/")
	}
}

package githubapitest

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// TestPermissionsUpToDate checks the generated permission table against
// the list it is generated from, internal/config/testdata/app-permissions.json.
func TestPermissionsUpToDate(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../config/testdata/app-permissions.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string][]string
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(permissionLevels, want) {
		t.Errorf("permissionLevels differs from app-permissions.json: run go generate ./genperms in tools/")
	}
}

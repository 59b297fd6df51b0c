package githubapitest

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// TestPermissionsUpToDate checks the generated permission table against
// the list it is generated from, when that list is beside the repository.
func TestPermissionsUpToDate(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../../../shared/app-permissions.json")
	if os.IsNotExist(err) {
		t.Skip("shared/app-permissions.json is not beside the repository")
	}
	if err != nil {
		t.Fatal(err)
	}
	var want map[string][]string
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(permissionLevels, want) {
		t.Errorf("permissionLevels differs from app-permissions.json: run go generate ./internal/config")
	}
}

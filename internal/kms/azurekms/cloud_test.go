package azurekms

import (
	"testing"

	"github.com/ghapptoken/app-token-action/internal/kms/kmshttp"
)

func TestCloudOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vault, scope, authority, az string
	}{
		{"myvault.vault.azure.net", "https://vault.azure.net/.default", "https://login.microsoftonline.com", "--vault-name myvault"},
		{"MyVault.Vault.Azure.Net", "https://vault.azure.net/.default", "https://login.microsoftonline.com", "--vault-name VAULT"},
		{"myvault.privatelink.vault.azure.net", "https://vault.azure.net/.default", "https://login.microsoftonline.com", "--vault-name myvault.privatelink"},
		{"myhsm.managedhsm.azure.net", "https://managedhsm.azure.net/.default", "https://login.microsoftonline.com", "--hsm-name myhsm"},
		{"myvault.vault.azure.cn", "https://vault.azure.cn/.default", "https://login.chinacloudapi.cn", "--vault-name myvault"},
		{"myvault.vault.usgovcloudapi.net", "https://vault.usgovcloudapi.net/.default", "https://login.microsoftonline.us", "--vault-name myvault"},
		{"myhsm.managedhsm.usgovcloudapi.net", "https://managedhsm.usgovcloudapi.net/.default", "https://login.microsoftonline.us", "--hsm-name myhsm"},
		{"127.0.0.1:8443", "https://vault.azure.net/.default", "https://login.microsoftonline.com", "--vault-name VAULT"},
	}
	for _, tt := range tests {
		s, err := New(Options{Vault: tt.vault, Key: "k"})
		if err != nil {
			t.Fatalf("New(%s) error = %v", tt.vault, err)
		}
		if s.cloud.scope != tt.scope || s.authority() != tt.authority {
			t.Errorf("vault %s: scope %s, authority %s; want %s, %s", tt.vault, s.cloud.scope, s.authority(), tt.scope, tt.authority)
		}
		if got := s.azVault(); got != tt.az {
			t.Errorf("vault %s: azVault() = %q, want %q", tt.vault, got, tt.az)
		}
	}
}

func TestAuthorityOverride(t *testing.T) {
	t.Parallel()
	for env, want := range map[string]string{
		"https://login.microsoftonline.us/": "https://login.microsoftonline.us",
		"login.chinacloudapi.cn":            "https://login.chinacloudapi.cn",
		"https://127.0.0.1:8443":            "https://127.0.0.1:8443",
	} {
		s, err := New(Options{Vault: "v.vault.azure.net", Key: "k", Env: kmshttp.Env{Getenv: func(k string) string {
			if k == "AZURE_AUTHORITY_HOST" {
				return env
			}
			return ""
		}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.authority(); got != want {
			t.Errorf("AZURE_AUTHORITY_HOST=%s: authority() = %s, want %s", env, got, want)
		}
	}
}

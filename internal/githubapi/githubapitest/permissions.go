package githubapitest

// permissionLevels lists the GitHub App permissions and the levels GitHub
// accepts for each (from GitHub's app-permissions schema).
var permissionLevels = map[string][]string{
	"actions":                              {"read", "write"},
	"administration":                       {"read", "write"},
	"artifact_metadata":                    {"read", "write"},
	"attestations":                         {"read", "write"},
	"checks":                               {"read", "write"},
	"code_quality":                         {"read", "write"},
	"codespaces":                           {"read", "write"},
	"contents":                             {"read", "write"},
	"dependabot_secrets":                   {"read", "write"},
	"deployments":                          {"read", "write"},
	"discussions":                          {"read", "write"},
	"environments":                         {"read", "write"},
	"issues":                               {"read", "write"},
	"merge_queues":                         {"read", "write"},
	"metadata":                             {"read", "write"},
	"packages":                             {"read", "write"},
	"pages":                                {"read", "write"},
	"pull_requests":                        {"read", "write"},
	"repository_custom_properties":         {"read", "write"},
	"repository_hooks":                     {"read", "write"},
	"repository_projects":                  {"read", "write", "admin"},
	"secret_scanning_alerts":               {"read", "write"},
	"secrets":                              {"read", "write"},
	"security_events":                      {"read", "write"},
	"single_file":                          {"read", "write"},
	"statuses":                             {"read", "write"},
	"vulnerability_alerts":                 {"read", "write"},
	"workflows":                            {"write"},
	"custom_properties_for_organizations":  {"read", "write"},
	"members":                              {"read", "write"},
	"organization_administration":          {"read", "write"},
	"organization_custom_roles":            {"read", "write"},
	"organization_custom_org_roles":        {"read", "write"},
	"organization_custom_properties":       {"read", "write", "admin"},
	"organization_copilot_seat_management": {"read", "write"},
	"organization_copilot_agent_settings":  {"read", "write"},
	"organization_announcement_banners":    {"read", "write"},
	"organization_events":                  {"read"},
	"organization_hooks":                   {"read", "write"},
	"organization_personal_access_tokens":  {"read", "write"},
	"organization_personal_access_token_requests": {"read", "write"},
	"organization_plan":                           {"read"},
	"organization_projects":                       {"read", "write", "admin"},
	"organization_packages":                       {"read", "write"},
	"organization_secrets":                        {"read", "write"},
	"organization_self_hosted_runners":            {"read", "write"},
	"organization_user_blocking":                  {"read", "write"},
	"email_addresses":                             {"read", "write"},
	"followers":                                   {"read", "write"},
	"git_ssh_keys":                                {"read", "write"},
	"gpg_keys":                                    {"read", "write"},
	"interaction_limits":                          {"read", "write"},
	"profile":                                     {"write"},
	"starring":                                    {"read", "write"},
	"enterprise_custom_properties_for_organizations": {"read", "write", "admin"},
}

// levelRank orders permission levels: read < write < admin.
var levelRank = map[string]int{"read": 1, "write": 2, "admin": 3}

// levelAllowed reports whether GitHub accepts level for the permission name.
func levelAllowed(name, level string) bool {
	for _, l := range permissionLevels[name] {
		if l == level {
			return true
		}
	}
	return false
}

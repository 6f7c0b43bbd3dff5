#include "api/api.h"

/* Path parameters are numbered in order: {slug} is 0, the next {id} is 1... */
const struct http_route api_routes[] = {
	{ "GET", "/healthz", api_healthz },
	{ "GET", "/readyz", api_readyz },

	{ "POST", "/api/v1/signup", api_signup },
	{ "POST", "/api/v1/login", api_login },
	{ "POST", "/api/v1/logout", api_logout },
	{ "GET", "/api/v1/me", api_me },
	{ "POST", "/api/v1/me/password", api_me_password },

	{ "POST", "/api/v1/invitations/accept", api_invitation_accept },
	{ "POST", "/api/v1/ownership-transfers/confirm", api_transfer_confirm },

	{ "GET", "/api/v1/orgs", api_orgs_list },
	{ "POST", "/api/v1/orgs", api_org_create },
	{ "GET", "/api/v1/orgs/{slug}", api_org_get },
	{ "PATCH", "/api/v1/orgs/{slug}", api_org_update },
	{ "DELETE", "/api/v1/orgs/{slug}", api_org_delete },
	{ "POST", "/api/v1/orgs/{slug}/leave", api_org_leave },
	{ "GET", "/api/v1/orgs/{slug}/audit", api_audit_list },

	{ "GET", "/api/v1/orgs/{slug}/members", api_members_list },
	{ "GET", "/api/v1/orgs/{slug}/members/{id}", api_member_get },
	{ "PATCH", "/api/v1/orgs/{slug}/members/{id}", api_member_update },
	{ "DELETE", "/api/v1/orgs/{slug}/members/{id}", api_member_remove },
	{ "GET", "/api/v1/orgs/{slug}/members/{id}/permissions", api_member_permissions },

	{ "GET", "/api/v1/orgs/{slug}/teams", api_teams_list },
	{ "POST", "/api/v1/orgs/{slug}/teams", api_team_create },
	{ "GET", "/api/v1/orgs/{slug}/teams/{id}", api_team_get },
	{ "PATCH", "/api/v1/orgs/{slug}/teams/{id}", api_team_update },
	{ "DELETE", "/api/v1/orgs/{slug}/teams/{id}", api_team_delete },
	{ "GET", "/api/v1/orgs/{slug}/teams/{id}/members", api_team_members_list },
	{ "PUT", "/api/v1/orgs/{slug}/teams/{id}/members/{member}", api_team_member_add },
	{ "DELETE", "/api/v1/orgs/{slug}/teams/{id}/members/{member}", api_team_member_remove },

	{ "GET", "/api/v1/orgs/{slug}/invitations", api_invitations_list },
	{ "POST", "/api/v1/orgs/{slug}/invitations", api_invitation_create },
	{ "POST", "/api/v1/orgs/{slug}/invitations/{id}/resend", api_invitation_resend },
	{ "POST", "/api/v1/orgs/{slug}/invitations/{id}/revoke", api_invitation_revoke },

	{ "GET", "/api/v1/orgs/{slug}/ownership-transfer", api_transfer_get },
	{ "POST", "/api/v1/orgs/{slug}/ownership-transfer", api_transfer_start },
	{ "POST", "/api/v1/orgs/{slug}/ownership-transfer/cancel", api_transfer_cancel },

	{ "GET", "/api/v1/orgs/{slug}/api-tokens", api_tokens_list },
	{ "POST", "/api/v1/orgs/{slug}/api-tokens", api_token_create },
	{ "DELETE", "/api/v1/orgs/{slug}/api-tokens/{id}", api_token_revoke },

	{ "GET", "/metrics", api_metrics },

	{ "GET", "/api/v1/orgs/{slug}/scim-connections", api_scim_connections_list },
	{ "POST", "/api/v1/orgs/{slug}/scim-connections", api_scim_connection_create },
	{ "GET", "/api/v1/orgs/{slug}/scim-connections/{id}", api_scim_connection_get },
	{ "DELETE", "/api/v1/orgs/{slug}/scim-connections/{id}", api_scim_connection_revoke },
	{ "POST", "/api/v1/orgs/{slug}/scim-connections/{id}/rotate", api_scim_connection_rotate },
	{ "GET", "/api/v1/orgs/{slug}/scim-connections/{id}/group-mappings", api_scim_mappings_list },
	{ "POST", "/api/v1/orgs/{slug}/scim-connections/{id}/group-mappings", api_scim_mapping_create },
	{ "DELETE", "/api/v1/orgs/{slug}/scim-connections/{id}/group-mappings/{member}",
	  api_scim_mapping_delete },

	{ "GET", "/api/v1/orgs/{slug}/directory-mappings", api_directory_mappings_list },
	{ "POST", "/api/v1/orgs/{slug}/directory-mappings", api_directory_mapping_create },
	{ "DELETE", "/api/v1/orgs/{slug}/directory-mappings/{id}", api_directory_mapping_delete },
	{ "GET", "/api/v1/directories", api_directories_list },
	{ "GET", "/api/v1/directories/{slug}", api_directory_get },
	{ "POST", "/api/v1/directories/{slug}/sync", api_directory_sync },
	{ "GET", "/api/v1/directories/{slug}/runs", api_directory_runs_list },
	{ "GET", "/api/v1/directories/{slug}/runs/{id}", api_directory_run_get },

	/* SCIM 2.0 (RFC 7644). Literal segments come before {id} so that
	 * "/Users/.search" is not taken for a resource id. */
	{ "GET", "/scim/v2/ServiceProviderConfig", scim_service_provider_config },
	{ "GET", "/scim/v2/ResourceTypes", scim_resource_types_list },
	{ "GET", "/scim/v2/ResourceTypes/{id}", scim_resource_type_get },
	{ "GET", "/scim/v2/Schemas", scim_schemas_list },
	{ "GET", "/scim/v2/Schemas/{id}", scim_schema_get },
	{ "POST", "/scim/v2/.search", scim_search_root },
	{ "POST", "/scim/v2/Bulk", scim_bulk },
	{ "GET", "/scim/v2/Me", scim_me },
	{ "POST", "/scim/v2/Me", scim_me },
	{ "PUT", "/scim/v2/Me", scim_me },
	{ "PATCH", "/scim/v2/Me", scim_me },
	{ "DELETE", "/scim/v2/Me", scim_me },
	{ "POST", "/scim/v2/Users/.search", scim_users_search },
	{ "GET", "/scim/v2/Users", scim_users_list },
	{ "POST", "/scim/v2/Users", scim_user_create },
	{ "GET", "/scim/v2/Users/{id}", scim_user_get },
	{ "PUT", "/scim/v2/Users/{id}", scim_user_replace },
	{ "PATCH", "/scim/v2/Users/{id}", scim_user_patch },
	{ "DELETE", "/scim/v2/Users/{id}", scim_user_delete },
	{ "POST", "/scim/v2/Groups/.search", scim_groups_search },
	{ "GET", "/scim/v2/Groups", scim_groups_list },
	{ "POST", "/scim/v2/Groups", scim_group_create },
	{ "GET", "/scim/v2/Groups/{id}", scim_group_get },
	{ "PUT", "/scim/v2/Groups/{id}", scim_group_replace },
	{ "PATCH", "/scim/v2/Groups/{id}", scim_group_patch },
	{ "DELETE", "/scim/v2/Groups/{id}", scim_group_delete },
};

const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);

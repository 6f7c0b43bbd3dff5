#include "api/api.h"

/* Path parameters are numbered in order: {slug} is 0, the next {id} is 1... */
const struct http_route api_routes[] = {
	{ "GET", "/healthz", api_healthz },
	{ "GET", "/readyz", api_readyz },

	{ "POST", "/api/v1/signup", api_signup },
	{ "POST", "/api/v1/login", api_login },
	{ "POST", "/api/v1/logout", api_logout },
	{ "GET", "/api/v1/me", api_me },

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
};

const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);

/* The HTTP surface: one route table for the whole daemon (routes.c), and the
 * handlers of each area. Handlers are thin: api_begin, parse, call src/core,
 * render, api_end. The management API is documented in docs/openapi.yaml. */
#ifndef OB_API_API_H
#define OB_API_API_H

#include <stddef.h>

#include "http/server.h"

/* Every route the daemon serves. */
extern const struct http_route api_routes[];
extern const size_t api_routes_count;

/* health.c */
void api_healthz(struct http_request *req);
void api_readyz(struct http_request *req);

/* accounts.c: sign-up, sessions, the caller */
void api_signup(struct http_request *req);
void api_login(struct http_request *req);
void api_logout(struct http_request *req);
void api_me(struct http_request *req);
void api_me_password(struct http_request *req);

/* tokens.c: org-scoped API tokens */
void api_tokens_list(struct http_request *req);
void api_token_create(struct http_request *req);
void api_token_revoke(struct http_request *req);

/* orgs.c: organizations, leaving, audit */
void api_orgs_list(struct http_request *req);
void api_org_create(struct http_request *req);
void api_org_get(struct http_request *req);
void api_org_update(struct http_request *req);
void api_org_delete(struct http_request *req);
void api_org_leave(struct http_request *req);
void api_audit_list(struct http_request *req);

/* members.c: members, roles, removal, permissions */
void api_members_list(struct http_request *req);
void api_member_get(struct http_request *req);
void api_member_update(struct http_request *req);
void api_member_remove(struct http_request *req);
void api_member_permissions(struct http_request *req);

/* teams.c */
void api_teams_list(struct http_request *req);
void api_team_create(struct http_request *req);
void api_team_get(struct http_request *req);
void api_team_update(struct http_request *req);
void api_team_delete(struct http_request *req);
void api_team_members_list(struct http_request *req);
void api_team_member_add(struct http_request *req);
void api_team_member_remove(struct http_request *req);

/* invitations.c */
void api_invitations_list(struct http_request *req);
void api_invitation_create(struct http_request *req);
void api_invitation_resend(struct http_request *req);
void api_invitation_revoke(struct http_request *req);
void api_invitation_accept(struct http_request *req);

/* transfer.c: ownership transfer */
void api_transfer_get(struct http_request *req);
void api_transfer_start(struct http_request *req);
void api_transfer_cancel(struct http_request *req);
void api_transfer_confirm(struct http_request *req);

/* metrics.c: Prometheus text exposition */
void api_metrics(struct http_request *req);

/* scim_connections.c: SCIM connections, their tokens and group mappings */
void api_scim_connections_list(struct http_request *req);
void api_scim_connection_create(struct http_request *req);
void api_scim_connection_get(struct http_request *req);
void api_scim_connection_revoke(struct http_request *req);
void api_scim_connection_rotate(struct http_request *req);
void api_scim_mappings_list(struct http_request *req);
void api_scim_mapping_create(struct http_request *req);
void api_scim_mapping_delete(struct http_request *req);

/* directories.c: LDAP directories, sync runs, and org mappings of groups */
void api_directory_mappings_list(struct http_request *req);
void api_directory_mapping_create(struct http_request *req);
void api_directory_mapping_delete(struct http_request *req);
void api_directories_list(struct http_request *req);
void api_directory_get(struct http_request *req);
void api_directory_sync(struct http_request *req);
void api_directory_runs_list(struct http_request *req);
void api_directory_run_get(struct http_request *req);

/* src/scim/discovery.c: ServiceProviderConfig, ResourceTypes, Schemas */
void scim_service_provider_config(struct http_request *req);
void scim_resource_types_list(struct http_request *req);
void scim_resource_type_get(struct http_request *req);
void scim_schemas_list(struct http_request *req);
void scim_schema_get(struct http_request *req);

/* src/scim/users.c: Users, root search, Me; src/scim/groups.c: Groups; src/scim/bulk.c: Bulk */
void scim_search_root(struct http_request *req);
void scim_bulk(struct http_request *req);
void scim_me(struct http_request *req);
void scim_users_search(struct http_request *req);
void scim_users_list(struct http_request *req);
void scim_user_create(struct http_request *req);
void scim_user_get(struct http_request *req);
void scim_user_replace(struct http_request *req);
void scim_user_patch(struct http_request *req);
void scim_user_delete(struct http_request *req);
void scim_groups_search(struct http_request *req);
void scim_groups_list(struct http_request *req);
void scim_group_create(struct http_request *req);
void scim_group_get(struct http_request *req);
void scim_group_replace(struct http_request *req);
void scim_group_patch(struct http_request *req);
void scim_group_delete(struct http_request *req);

#endif

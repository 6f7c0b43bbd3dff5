/* The single-resource SCIM operations as cores: each does the work of one
 * POST/PUT/PATCH/DELETE on /Users or /Groups for the authenticated
 * connection of call and leaves the answer in *res (scim/result.h) instead
 * of answering the HTTP request. The endpoint handlers (users.c, groups.c)
 * send it; /Bulk (bulk.c) collects one per operation.
 *
 * body is the request's JSON object (borrowed). if_match is the precondition
 * as an If-Match header value or a Bulk operation's "version" (NULL: none):
 * a mismatch is 412. The cores read nothing else from call->req. */
#ifndef OB_SCIM_OPS_H
#define OB_SCIM_OPS_H

#include <jansson.h>

#include "scim/call.h"
#include "scim/result.h"

/* users.c */
void scim_user_create_do(struct scim_call *call, json_t *body, struct scim_result *res);
void scim_user_replace_do(struct scim_call *call, const char *id, const char *if_match,
			  json_t *body, struct scim_result *res);
void scim_user_patch_do(struct scim_call *call, const char *id, const char *if_match,
			json_t *body, struct scim_result *res);
void scim_user_delete_do(struct scim_call *call, const char *id, const char *if_match,
			 struct scim_result *res);

/* groups.c. PATCH answers 204 with the new ETag (the member list of a large
 * group is not rendered back), or 200 with the Group when with_resource
 * (its members only when with_members). */
void scim_group_create_do(struct scim_call *call, json_t *body, struct scim_result *res);
void scim_group_replace_do(struct scim_call *call, const char *id, const char *if_match,
			   json_t *body, struct scim_result *res);
void scim_group_patch_do(struct scim_call *call, const char *id, const char *if_match,
			 json_t *body, bool with_resource, bool with_members,
			 struct scim_result *res);
void scim_group_delete_do(struct scim_call *call, const char *id, const char *if_match,
			  struct scim_result *res);

#endif

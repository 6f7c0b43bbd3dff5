/* /scim/v2/Groups (RFC 7644 3.2-3.6) and /Groups/.search. The database work
 * is scim/group_store.c; this file turns requests into its calls and its
 * results into SCIM answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "scim/call.h"
#include "scim/group_store.h"
#include "scim/listing.h"
#include "scim/ops.h"
#include "scim/query.h"
#include "scim/schema.h"

static unsigned filter_depth(const struct scim_call *call)
{
	return call->ctx.cfg->scim_max_filter_depth;
}

/* Members are rendered unless excludedAttributes names them, or attributes
 * is given without them (a large group's member list is what IdPs ask to
 * leave out: Entra ID reads groups with excludedAttributes=members). */
static bool wants_members(const char *attributes, const char *excluded)
{
	if (scim_attr_list_has(excluded, SCIM_GROUP_SCHEMA, "members"))
		return false;
	return attributes == NULL || scim_attr_list_has(attributes, SCIM_GROUP_SCHEMA, "members");
}

/* ---- list and search ---- */

static int find_groups(struct scim_call *call, const struct scim_list_query *q,
		       json_t **resources, long long *total, struct core_error *err)
{
	struct scim_conn c = { call->org_id, call->connection_id, call->base_url };

	if (scim_call_borrow_db(call, err) != 0)
		return -1;
	return group_store_find(&call->ctx, &c, q, *(const bool *)q->arg, resources, total, err);
}

static void list_groups(struct scim_call *call, const struct scim_listing *l)
{
	bool with_members = wants_members(l->attributes, l->excluded);

	scim_list_answer(call, l, scim_rtype_group(), &group_store_storage, GROUP_STORE_FIRST_PARAM,
			 find_groups, &with_members);
}

void scim_groups_list(struct http_request *req)
{
	scim_list_request(req, false, list_groups);
}

void scim_groups_search(struct http_request *req)
{
	scim_list_request(req, true, list_groups);
}

/* ---- one Group ---- */

void scim_group_get(struct http_request *req)
{
	struct scim_call call;
	struct scim_conn c = { call.org_id, call.connection_id, call.base_url };
	struct core_error err;
	json_t *group;

	if (scim_begin(req, &call) != 0)
		goto done;
	group = group_store_get(&call.ctx, &c, http_param(req, 0),
				wants_members(http_query(req, "attributes"),
					      http_query(req, "excludedAttributes")),
				&err);
	scim_reply_get(&call, scim_rtype_group(), group, &err);
done:
	scim_end(&call);
}

void scim_group_create_do(struct scim_call *call, json_t *body, struct scim_result *res)
{
	struct scim_conn c = { call->org_id, call->connection_id, call->base_url };
	struct scim_group_input in;
	struct scim_error serr;
	struct core_error err;
	json_t *group = NULL;

	if (scim_group_input_from(body, &in, &serr) != 0) {
		scim_result_fail(res, &serr);
		return;
	}
	if (group_store_create(&call->ctx, &c, &in, &group, &err) != 0)
		scim_result_fail_core(res, &err);
	else
		scim_result_resource(res, 201, group);
	scim_group_input_clear(&in);
}

void scim_group_create(struct http_request *req)
{
	scim_op_request(req, scim_rtype_group(), true, scim_group_create_do);
}

void scim_group_replace_do(struct scim_call *call, const char *id, const char *if_match,
			   json_t *body, struct scim_result *res)
{
	struct scim_conn c = { call->org_id, call->connection_id, call->base_url };
	struct scim_group_input in;
	struct scim_error serr;
	struct core_error err;
	json_t *group = NULL;

	if (scim_group_input_from(body, &in, &serr) != 0) {
		scim_result_fail(res, &serr);
		return;
	}
	if (group_store_replace(&call->ctx, &c, id, scim_version_of(if_match), &in, &group, &err) != 0)
		scim_result_fail_core(res, &err);
	else
		scim_result_resource(res, 200, group);
	scim_group_input_clear(&in);
}

static void replace_op(struct scim_call *call, json_t *body, struct scim_result *res)
{
	scim_group_replace_do(call, http_param(call->req, 0), http_header(call->req, "If-Match"),
			      body, res);
}

void scim_group_replace(struct http_request *req)
{
	scim_op_request(req, scim_rtype_group(), true, replace_op);
}

/* A PatchOp runs as Group operations on the stored group (scim/group_input.h)
 * in one transaction: all or none, If-Match checked under the row lock. */
void scim_group_patch_do(struct scim_call *call, const char *id, const char *if_match,
			 json_t *body, bool with_resource, bool with_members, struct scim_result *res)
{
	struct scim_conn c = { call->org_id, call->connection_id, call->base_url };
	struct group_patch patch;
	struct scim_error serr;
	struct core_error err;
	json_t *group = NULL;

	if (group_patch_parse(body, id ? id : "", filter_depth(call), &patch, &serr) != 0) {
		scim_result_fail(res, &serr);
		return;
	}
	patch.fold = scim_call_fold(call);
	if (group_store_patch(&call->ctx, &c, id, scim_version_of(if_match), &patch,
			      with_resource && with_members, &group, &err) != 0) {
		scim_result_fail_core(res, &err);
	} else if (with_resource) {
		scim_result_resource(res, 200, group);
	} else {
		/* 204 with the new ETag (RFC 7644 3.5.2 allows it; Okta and
		 * Entra ID document it): a large group is not sent back. */
		scim_result_resource(res, 204, group);
		scim_result_clear(res);
	}
	group_patch_clear(&patch);
}

static void patch_op(struct scim_call *call, json_t *body, struct scim_result *res)
{
	const char *a = http_query(call->req, "attributes");
	const char *x = http_query(call->req, "excludedAttributes");

	scim_group_patch_do(call, http_param(call->req, 0), http_header(call->req, "If-Match"), body,
			    a != NULL || x != NULL, wants_members(a, x), res);
}

void scim_group_patch(struct http_request *req)
{
	scim_op_request(req, scim_rtype_group(), true, patch_op);
}

void scim_group_delete_do(struct scim_call *call, const char *id, const char *if_match,
			  struct scim_result *res)
{
	struct scim_conn c = { call->org_id, call->connection_id, call->base_url };
	struct core_error err;

	if (group_store_delete(&call->ctx, &c, id, scim_version_of(if_match), &err) != 0)
		scim_result_fail_core(res, &err);
	else
		scim_result_empty(res, 204, NULL, NULL);
}

static void delete_op(struct scim_call *call, json_t *body, struct scim_result *res)
{
	(void)body;
	scim_group_delete_do(call, http_param(call->req, 0), http_header(call->req, "If-Match"), res);
}

void scim_group_delete(struct http_request *req)
{
	scim_op_request(req, scim_rtype_group(), false, delete_op);
}

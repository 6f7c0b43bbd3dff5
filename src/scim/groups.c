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

static void conn_of(const struct scim_call *call, struct scim_conn *c)
{
	c->org_id = call->org_id;
	c->connection_id = call->connection_id;
	c->base_url = call->base_url;
}

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

/* The filters the IdPs use to look groups up: `displayName eq "x"`,
 * `externalId eq "x"`, `id eq "x"` (any case, the Group URN allowed as a
 * prefix). The filter parser does the syntax; anything else is 400
 * invalidFilter until the general filter translation lands. */
static int lookup_filter(const char *text, unsigned depth, struct scim_group_query *q,
			 struct scim_filter **keep, struct scim_error *err)
{
	struct scim_filter *f = scim_filter_parse(text, depth, err);
	const char *v;

	if (f == NULL)
		return -1;
	if (f->kind != SCIM_F_COMPARE || f->op != SCIM_OP_EQ || !json_is_string(f->value) ||
	    f->attr.sub != NULL ||
	    (f->attr.urn != NULL && strcasecmp(f->attr.urn, SCIM_GROUP_SCHEMA) != 0))
		goto unsupported;
	v = json_string_value(f->value);
	if (strcasecmp(f->attr.attr, "displayName") == 0)
		q->display_name = v;
	else if (strcasecmp(f->attr.attr, "externalId") == 0)
		q->external_id = v;
	else if (strcasecmp(f->attr.attr, "id") == 0)
		q->id = v;
	else
		goto unsupported;
	*keep = f; /* v points into it */
	return 0;
unsupported:
	scim_filter_free(f);
	return scim_fail(err, 400, SCIM_INVALID_FILTER,
			 "unsupported filter; this server answers displayName eq, externalId eq"
			 " and id eq for Groups");
}

static void list_groups(struct scim_call *call, const struct scim_listing *l)
{
	struct scim_group_query q = { .start_index = l->start_index, .count = l->count,
				      .sort_by = l->sort_by, .descending = l->descending };
	struct scim_filter *f = NULL;
	struct scim_conn c;
	struct scim_error serr;
	struct core_error err;
	json_t *resources = NULL, *out;
	long long total;

	conn_of(call, &c);
	q.with_members = wants_members(l->attributes, l->excluded);
	if (l->filter != NULL && lookup_filter(l->filter, filter_depth(call), &q, &f, &serr) != 0) {
		scim_call_fail(call, &serr);
		return;
	}
	if (group_store_find(&call->ctx, &c, &q, &resources, &total, &err) != 0) {
		scim_call_fail_core(call, &err);
	} else if ((out = scim_list_response(resources, total, q.start_index)) == NULL) {
		http_respond_error(call->req, 500, "internal", "internal error");
	} else {
		scim_reply(call, 200, out, NULL);
	}
	scim_filter_free(f);
}

void scim_groups_list(struct http_request *req)
{
	struct scim_call call;
	struct scim_listing l = { 0 };

	if (scim_begin(req, &call) != 0 || scim_listing_from_query(&call, &l) != 0)
		goto done;
	list_groups(&call, &l);
done:
	scim_listing_clear(&l);
	scim_end(&call);
}

void scim_groups_search(struct http_request *req)
{
	struct scim_call call;
	struct scim_listing l = { 0 };
	json_t *body = NULL;

	if (scim_begin(req, &call) != 0 || (body = scim_body(&call)) == NULL ||
	    scim_listing_from_search(&call, body, &l) != 0)
		goto done;
	list_groups(&call, &l);
done:
	scim_listing_clear(&l);
	json_decref(body);
	scim_end(&call);
}

/* ---- one Group ---- */

void scim_group_get(struct http_request *req)
{
	struct scim_call call;
	struct scim_conn c;
	struct core_error err;
	json_t *group;
	char version[32];

	if (scim_begin(req, &call) != 0)
		goto done;
	conn_of(&call, &c);
	group = group_store_get(&call.ctx, &c, http_param(req, 0),
				wants_members(http_query(req, "attributes"),
					      http_query(req, "excludedAttributes")),
				&err);
	if (group == NULL) {
		scim_call_fail_core(&call, &err);
		goto done;
	}
	scim_resource_version(group, version, sizeof(version));
	if (scim_if_none_match(&call, version)) {
		json_decref(group);
		goto done;
	}
	scim_reply(&call, 200, group, version);
done:
	scim_end(&call);
}

void scim_group_create_do(struct scim_call *call, json_t *body, struct scim_result *res)
{
	struct scim_conn c;
	struct scim_group_input in;
	struct scim_error serr;
	struct core_error err;
	json_t *group = NULL;

	conn_of(call, &c);
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
	struct scim_call call;
	struct scim_result res;
	json_t *body = NULL;

	scim_result_init(&res);
	if (scim_begin(req, &call) != 0 || (body = scim_body(&call)) == NULL)
		goto done;
	scim_group_create_do(&call, body, &res);
	scim_send(&call, &res);
done:
	json_decref(body);
	scim_end(&call);
}

void scim_group_replace_do(struct scim_call *call, const char *id, const char *if_match,
			   json_t *body, struct scim_result *res)
{
	struct scim_conn c;
	struct scim_group_input in;
	struct scim_error serr;
	struct core_error err;
	json_t *group = NULL;

	conn_of(call, &c);
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

void scim_group_replace(struct http_request *req)
{
	struct scim_call call;
	struct scim_result res;
	json_t *body = NULL;

	scim_result_init(&res);
	if (scim_begin(req, &call) != 0 || (body = scim_body(&call)) == NULL)
		goto done;
	scim_group_replace_do(&call, http_param(req, 0), http_header(req, "If-Match"), body, &res);
	scim_send(&call, &res);
done:
	json_decref(body);
	scim_end(&call);
}

/* A PatchOp runs as Group operations on the stored group (scim/group_input.h)
 * in one transaction: all or none, If-Match checked under the row lock. */
void scim_group_patch_do(struct scim_call *call, const char *id, const char *if_match,
			 json_t *body, bool with_resource, bool with_members, struct scim_result *res)
{
	struct scim_conn c;
	struct group_patch patch;
	struct scim_error serr;
	struct core_error err;
	json_t *group = NULL;

	conn_of(call, &c);
	if (group_patch_parse(body, id ? id : "", filter_depth(call), &patch, &serr) != 0) {
		scim_result_fail(res, &serr);
		return;
	}
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

void scim_group_patch(struct http_request *req)
{
	struct scim_call call;
	struct scim_result res;
	json_t *body = NULL;
	const char *a = http_query(req, "attributes"), *x = http_query(req, "excludedAttributes");

	scim_result_init(&res);
	if (scim_begin(req, &call) != 0 || (body = scim_body(&call)) == NULL)
		goto done;
	scim_group_patch_do(&call, http_param(req, 0), http_header(req, "If-Match"), body,
			    a != NULL || x != NULL, wants_members(a, x), &res);
	scim_send(&call, &res);
done:
	json_decref(body);
	scim_end(&call);
}

void scim_group_delete_do(struct scim_call *call, const char *id, const char *if_match,
			  struct scim_result *res)
{
	struct scim_conn c;
	struct core_error err;

	conn_of(call, &c);
	if (group_store_delete(&call->ctx, &c, id, scim_version_of(if_match), &err) != 0)
		scim_result_fail_core(res, &err);
	else
		scim_result_empty(res, 204, NULL, NULL);
}

void scim_group_delete(struct http_request *req)
{
	struct scim_call call;
	struct scim_result res;

	scim_result_init(&res);
	if (scim_begin(req, &call) != 0)
		goto done;
	scim_group_delete_do(&call, http_param(req, 0), http_header(req, "If-Match"), &res);
	scim_send(&call, &res);
done:
	scim_end(&call);
}

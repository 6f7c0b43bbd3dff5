/* /scim/v2/Users (RFC 7644 3.2-3.6), /Users/.search, /Me and the root
 * /.search. The database work is scim/user_store.c; this file turns requests
 * into its calls and its results into SCIM answers. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "scim/call.h"
#include "scim/filter.h"
#include "scim/ops.h"
#include "scim/query.h"
#include "scim/schema.h"
#include "scim/user_store.h"
#include "strbuf.h"

static void conn_of(const struct scim_call *call, struct scim_conn *c)
{
	c->org_id = call->org_id;
	c->connection_id = call->connection_id;
	c->base_url = call->base_url;
}

/* ---- list and search ---- */

struct list_params {
	const char *filter;
	const char *sort_by;
	const char *sort_order;
	const char *attributes;
	const char *excluded;
	unsigned start_index;
	unsigned count;
};

static void list_users(struct scim_call *call, const struct list_params *lp)
{
	const struct scim_rtype *rt = scim_rtype_user();
	struct scim_user_query q = { .start_index = lp->start_index, .count = lp->count };
	struct scim_filter *filter = NULL;
	struct scim_sql where = { 0 };
	struct scim_conn c;
	struct scim_error serr;
	struct core_error err;
	char *order = NULL;
	json_t *resources = NULL, *out;
	long long total;

	conn_of(call, &c);
	if (lp->filter != NULL) {
		filter = scim_filter_parse(lp->filter, call->ctx.cfg->scim_max_filter_depth, &serr);
		if (filter == NULL || scim_filter_sql(filter, scim_rtype_view(rt), &user_store_storage,
						      USER_STORE_FIRST_PARAM, &where, &serr) != 0)
			goto fail_scim;
		q.where = &where;
	}
	if (lp->sort_by != NULL) {
		if (scim_sort_sql(lp->sort_by, scim_rtype_view(rt), &user_store_storage, &order,
				  &serr) != 0)
			goto fail_scim;
		q.order = order;
	}
	if (lp->sort_order != NULL) {
		if (strcasecmp(lp->sort_order, "descending") == 0) {
			q.descending = true;
		} else if (strcasecmp(lp->sort_order, "ascending") != 0) {
			scim_fail(&serr, 400, SCIM_INVALID_VALUE,
				  "sortOrder must be \"ascending\" or \"descending\"");
			goto fail_scim;
		}
	}
	if (user_store_find(&call->ctx, &c, &q, &resources, &total, &err) != 0) {
		scim_call_fail_core(call, &err);
		goto done;
	}
	if (scim_project_list(rt, resources, lp->attributes, lp->excluded) != 0) {
		http_respond_error(call->req, 500, "internal", "internal error");
		goto done;
	}
	out = scim_list_response(resources, total, q.start_index); /* steals resources */
	resources = NULL;
	if (out == NULL) {
		http_respond_error(call->req, 500, "internal", "internal error");
		goto done;
	}
	scim_reply(call, 200, out, NULL);
	goto done;
fail_scim:
	scim_call_fail(call, &serr);
done:
	json_decref(resources);
	free(order);
	scim_sql_clear(&where);
	scim_filter_free(filter);
}

void scim_users_list(struct http_request *req)
{
	struct scim_call call;
	struct list_params lp = { 0 };

	if (scim_begin(req, &call) != 0 || scim_paging(&call, &lp.start_index, &lp.count) != 0)
		goto done;
	lp.filter = http_query(req, "filter");
	lp.sort_by = http_query(req, "sortBy");
	lp.sort_order = http_query(req, "sortOrder");
	lp.attributes = http_query(req, "attributes");
	lp.excluded = http_query(req, "excludedAttributes");
	list_users(&call, &lp);
done:
	scim_end(&call);
}

/* A string member of a .search body, or NULL; *bad when it is not a string. */
static const char *search_string(json_t *body, const char *name, bool *bad)
{
	json_t *v = json_object_get(body, name);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v))
		*bad = true;
	return json_string_value(v);
}

/* A SearchRequest's attributes / excludedAttributes: an array of strings
 * (or one string), joined with commas into *out (malloc'd; NULL when
 * absent). false when malformed. */
static bool search_list(json_t *body, const char *name, char **out)
{
	json_t *v = json_object_get(body, name), *item;
	struct strbuf b = { 0 };
	size_t i;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return true;
	if (json_is_string(v))
		return (*out = strdup(json_string_value(v))) != NULL;
	if (!json_is_array(v))
		return false;
	json_array_foreach(v, i, item) {
		if (!json_is_string(item)) {
			strbuf_free(&b);
			return false;
		}
		if (i > 0)
			strbuf_str(&b, ",");
		strbuf_str(&b, json_string_value(item));
	}
	*out = strbuf_finish(&b);
	return *out != NULL || json_array_size(v) == 0;
}

void scim_users_search(struct http_request *req)
{
	struct scim_call call;
	struct list_params lp = { 0 };
	json_t *body = NULL, *v;
	char *attributes = NULL, *excluded = NULL;
	bool bad = false;
	unsigned cap;

	if (scim_begin(req, &call) != 0 || (body = scim_body(&call)) == NULL)
		goto done;
	cap = call.ctx.cfg->scim_max_results ? call.ctx.cfg->scim_max_results : 100;
	lp.filter = search_string(body, "filter", &bad);
	lp.sort_by = search_string(body, "sortBy", &bad);
	lp.sort_order = search_string(body, "sortOrder", &bad);
	lp.start_index = 1;
	lp.count = cap;
	v = json_object_get(body, "startIndex");
	if (json_is_integer(v))
		lp.start_index = json_integer_value(v) < 1 ? 1 : (unsigned)json_integer_value(v);
	else if (v != NULL)
		bad = true;
	v = json_object_get(body, "count");
	if (json_is_integer(v))
		lp.count = json_integer_value(v) < 0	     ? 0
			   : json_integer_value(v) > cap ? cap
							 : (unsigned)json_integer_value(v);
	else if (v != NULL)
		bad = true;
	if (!search_list(body, "attributes", &attributes) ||
	    !search_list(body, "excludedAttributes", &excluded))
		bad = true;
	if (bad) {
		http_respond_error(req, 400, SCIM_INVALID_VALUE,
				   "malformed SearchRequest: filter, sortBy and sortOrder are strings,"
				   " startIndex and count integers, attributes and excludedAttributes"
				   " arrays of strings");
		goto done;
	}
	lp.attributes = attributes;
	lp.excluded = excluded;
	list_users(&call, &lp);
done:
	free(attributes);
	free(excluded);
	json_decref(body);
	scim_end(&call);
}

/* ---- one User ---- */

void scim_user_get(struct http_request *req)
{
	struct scim_call call;
	struct scim_conn c;
	struct core_error err;
	json_t *user;
	char version[32];

	if (scim_begin(req, &call) != 0)
		goto done;
	conn_of(&call, &c);
	user = user_store_get(&call.ctx, &c, http_param(req, 0), &err);
	if (user == NULL) {
		scim_call_fail_core(&call, &err);
		goto done;
	}
	scim_resource_version(user, version, sizeof(version));
	if (scim_if_none_match(&call, version)) {
		json_decref(user);
		goto done;
	}
	scim_reply_resource(&call, 200, scim_rtype_user(), user);
done:
	scim_end(&call);
}

void scim_user_create_do(struct scim_call *call, json_t *body, struct scim_result *res)
{
	struct scim_conn c;
	struct scim_user_input in = { 0 };
	struct scim_error serr;
	struct core_error err;
	json_t *valid, *user = NULL;

	conn_of(call, &c);
	if ((valid = scim_validate(scim_rtype_user(), body, NULL, &serr)) == NULL) {
		scim_result_fail(res, &serr);
		return;
	}
	if (scim_user_input_from(valid, &in, &err) != 0 ||
	    user_store_create(&call->ctx, &c, &in, &user, &err) != 0)
		scim_result_fail_core(res, &err);
	else
		scim_result_resource(res, 201, user);
	scim_user_input_clear(&in);
	json_decref(valid);
}

void scim_user_create(struct http_request *req)
{
	struct scim_call call;
	struct scim_result res;
	json_t *body = NULL;

	scim_result_init(&res);
	if (scim_begin(req, &call) != 0 || (body = scim_body(&call)) == NULL)
		goto done;
	scim_user_create_do(&call, body, &res);
	scim_send_projected(&call, &res, scim_rtype_user());
done:
	json_decref(body);
	scim_end(&call);
}

void scim_user_replace_do(struct scim_call *call, const char *id, const char *if_match,
			  json_t *body, struct scim_result *res)
{
	struct scim_conn c;
	struct scim_user_input in = { 0 };
	struct scim_error serr;
	struct core_error err;
	json_t *valid, *user = NULL;

	conn_of(call, &c);
	/* Users have no immutable attributes (RFC 7643 4.1), so the current
	 * resource is not needed to validate a replacement. */
	if ((valid = scim_validate(scim_rtype_user(), body, NULL, &serr)) == NULL) {
		scim_result_fail(res, &serr);
		return;
	}
	if (scim_user_input_from(valid, &in, &err) != 0 ||
	    user_store_replace(&call->ctx, &c, id, scim_version_of(if_match), &in, &user, &err) != 0)
		scim_result_fail_core(res, &err);
	else
		scim_result_resource(res, 200, user);
	scim_user_input_clear(&in);
	json_decref(valid);
}

void scim_user_replace(struct http_request *req)
{
	struct scim_call call;
	struct scim_result res;
	json_t *body = NULL;

	scim_result_init(&res);
	if (scim_begin(req, &call) != 0 || (body = scim_body(&call)) == NULL)
		goto done;
	scim_user_replace_do(&call, http_param(req, 0), http_header(req, "If-Match"), body, &res);
	scim_send_projected(&call, &res, scim_rtype_user());
done:
	json_decref(body);
	scim_end(&call);
}

/* The PatchOp applied to the rendered User: the patched resource into *out.
 * This is where H2's PATCH engine (scim/patch.h) plugs in. */
static int patch_user(json_t *current, json_t *patch, json_t **out, struct scim_error *err)
{
	(void)current;
	(void)patch;
	*out = NULL;
	return scim_fail(err, 501, NULL, "PATCH is not implemented yet");
}

/* PATCH = read, patch, replace at the version read: atomic because the
 * replace refuses (412) when the User changed in between. Without a client
 * If-Match such a race is retried on the new state. */
void scim_user_patch_do(struct scim_call *call, const char *id, const char *if_match,
			json_t *body, struct scim_result *res)
{
	struct scim_conn c;
	struct scim_user_input in = { 0 };
	struct scim_error serr;
	struct core_error err;
	json_t *current = NULL, *patched = NULL, *user = NULL;
	char version[32];

	conn_of(call, &c);
	for (int attempt = 0;; attempt++) {
		current = user_store_get(&call->ctx, &c, id, &err);
		if (current == NULL) {
			scim_result_fail_core(res, &err);
			goto done;
		}
		scim_resource_version(current, version, sizeof(version));
		if (if_match != NULL && !scim_etag_matches(if_match, version)) {
			scim_result_error(res, 412, NULL,
					  "If-Match does not match the current version of the resource");
			goto done;
		}
		if (patch_user(current, body, &patched, &serr) != 0) {
			scim_result_fail(res, &serr);
			goto done;
		}
		if (scim_user_input_from(patched, &in, &err) != 0) {
			scim_result_fail_core(res, &err);
			goto done;
		}
		if (user_store_replace(&call->ctx, &c, id, strtol(version, NULL, 10), &in, &user,
				       &err) == 0)
			break;
		if (err.status != 412 || if_match != NULL || attempt == 2) {
			scim_result_fail_core(res, &err);
			goto done;
		}
		scim_user_input_clear(&in);
		json_decref(current);
		json_decref(patched);
		current = patched = NULL;
	}
	scim_result_resource(res, 200, user);
done:
	scim_user_input_clear(&in);
	json_decref(current);
	json_decref(patched);
}

void scim_user_patch(struct http_request *req)
{
	struct scim_call call;
	struct scim_result res;
	json_t *body = NULL;

	scim_result_init(&res);
	if (scim_begin(req, &call) != 0 || (body = scim_body(&call)) == NULL)
		goto done;
	scim_user_patch_do(&call, http_param(req, 0), http_header(req, "If-Match"), body, &res);
	scim_send_projected(&call, &res, scim_rtype_user());
done:
	json_decref(body);
	scim_end(&call);
}

void scim_user_delete_do(struct scim_call *call, const char *id, const char *if_match,
			 struct scim_result *res)
{
	struct scim_conn c;
	struct core_error err;

	conn_of(call, &c);
	if (user_store_delete(&call->ctx, &c, id, scim_version_of(if_match), &err) != 0)
		scim_result_fail_core(res, &err);
	else
		scim_result_empty(res, 204, NULL, NULL);
}

void scim_user_delete(struct http_request *req)
{
	struct scim_call call;
	struct scim_result res;

	scim_result_init(&res);
	if (scim_begin(req, &call) != 0)
		goto done;
	scim_user_delete_do(&call, http_param(req, 0), http_header(req, "If-Match"), &res);
	scim_send_projected(&call, &res, scim_rtype_user());
done:
	scim_end(&call);
}

/* ---- /Me and the root search ---- */

void scim_me(struct http_request *req)
{
	/* RFC 7644 3.11 allows 501: a SCIM connection is an IdP, not a person,
	 * so there is no "me" to resolve. */
	http_respond_error(req, 501, "not_implemented",
			   "/Me is not supported: SCIM connections authenticate an identity provider");
}

void scim_search_root(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "POST /.search is not implemented yet");
}

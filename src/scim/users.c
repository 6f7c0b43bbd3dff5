/* /scim/v2/Users (RFC 7644 3.2-3.6), /Users/.search, /Me and the root
 * /.search. The database work is scim/user_store.c; this file turns requests
 * into its calls and its results into SCIM answers. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "app.h"
#include "metrics.h"
#include "scim/call.h"
#include "scim/filter.h"
#include "scim/listing.h"
#include "scim/ops.h"
#include "scim/patch.h"
#include "scim/query.h"
#include "scim/schema.h"
#include "scim/user_store.h"

/* ---- list and search ---- */

static int find_users(struct scim_call *call, const struct scim_list_query *q,
		      json_t **resources, long long *total, struct core_error *err)
{
	struct scim_conn c = { call->org_id, call->connection_id, call->base_url };
	int one = user_store_find_one(call->app->scim_user_reads, &c, q, resources, total, err);

	if (one != 0)
		return one < 0 ? -1 : 0;
	if (scim_call_borrow_db(call, err) != 0)
		return -1;
	return user_store_find(&call->ctx, &c, q, resources, total, err);
}

static void list_users(struct scim_call *call, const struct scim_listing *l)
{
	scim_list_answer(call, l, scim_rtype_user(), &user_store_storage, USER_STORE_FIRST_PARAM,
			 find_users, NULL);
}

void scim_users_list(struct http_request *req)
{
	scim_list_request(req, false, list_users);
}

void scim_users_search(struct http_request *req)
{
	scim_list_request(req, true, list_users);
}

/* ---- one User ---- */

void scim_user_get(struct http_request *req)
{
	struct scim_call call;
	struct scim_conn c = { call.org_id, call.connection_id, call.base_url };
	struct core_error err;
	json_t *user;

	if (scim_authenticate(req, &call) != 0)
		goto done;
	user = user_store_get(call.app->scim_user_reads, &c, http_param(req, 0), &err);
	scim_reply_get(&call, scim_rtype_user(), user, &err);
done:
	scim_end(&call);
}

/* A POST (id NULL) or PUT through the batch of concurrent writes (see
 * patch_op), or alone when the batch leaves it to the request. */
static int write_together(struct scim_call *call, const struct scim_conn *c, const char *id,
			  long if_match, const struct scim_user_input *in, json_t **user,
			  struct core_error *err)
{
	struct app *app = call->app;
	int rc;

	scim_release_db(call);
	rc = id == NULL ? user_store_create_together(app->scim_user_creates, &call->ctx, c, in,
						     user, err)
			: user_store_replace_together(app->scim_user_writes, &call->ctx, c, id,
						      if_match, in, user, err);
	if (rc <= 0)
		return rc;
	if (scim_call_borrow_db(call, err) != 0)
		return -1;
	if (id != NULL)
		return user_store_replace(&call->ctx, c, id, if_match, in, user, err);
	metrics_add(app->scim_user_creates_alone, 1);
	return user_store_create(&call->ctx, c, in, user, err);
}

/* POST (id NULL) or PUT of body. Users have no immutable attributes
 * (RFC 7643 4.1), so a replacement is validated without the current one.
 * together: through the batch (the endpoints; not Bulk). */
static void write_user(struct scim_call *call, const char *id, const char *if_match,
		       json_t *body, bool together, struct scim_result *res)
{
	struct scim_conn c = { call->org_id, call->connection_id, call->base_url };
	struct scim_user_input in = { 0 };
	struct scim_error serr;
	struct core_error err;
	json_t *valid, *user = NULL;
	int rc;

	if ((valid = scim_validate(scim_rtype_user(), body, NULL, &serr)) == NULL) {
		scim_result_fail(res, &serr);
		return;
	}
	rc = scim_user_input_from(valid, &in, &err);
	if (rc == 0 && together)
		rc = write_together(call, &c, id, scim_version_of(if_match), &in, &user, &err);
	else if (rc == 0 && id == NULL)
		rc = user_store_create(&call->ctx, &c, &in, &user, &err);
	else if (rc == 0)
		rc = user_store_replace(&call->ctx, &c, id, scim_version_of(if_match), &in, &user,
					&err);
	if (rc != 0)
		scim_result_fail_core(res, &err);
	else
		scim_result_resource(res, id == NULL ? 201 : 200, user);
	scim_user_input_clear(&in);
	json_decref(valid);
}

void scim_user_create_do(struct scim_call *call, json_t *body, struct scim_result *res)
{
	write_user(call, NULL, NULL, body, false, res);
}

static void create_op(struct scim_call *call, json_t *body, struct scim_result *res)
{
	write_user(call, NULL, NULL, body, true, res);
}

void scim_user_create(struct http_request *req)
{
	scim_op_request(req, scim_rtype_user(), true, create_op);
}

void scim_user_replace_do(struct scim_call *call, const char *id, const char *if_match,
			  json_t *body, struct scim_result *res)
{
	write_user(call, id, if_match, body, false, res);
}

static void replace_op(struct scim_call *call, json_t *body, struct scim_result *res)
{
	write_user(call, http_param(call->req, 0), http_header(call->req, "If-Match"), body, true,
		   res);
}

void scim_user_replace(struct http_request *req)
{
	scim_op_request(req, scim_rtype_user(), true, replace_op);
}

/* The PatchOp applied to the rendered User: the patched resource into *out
 * (*changed false: it is the resource as it was). */
static int patch_user(const struct scim_call *call, const struct scim_fold *fold,
		      json_t *current, json_t *patch, json_t **out, bool *changed,
		      struct scim_error *err)
{
	const struct scim_rtype *rt = scim_rtype_user();
	json_t *patched = NULL;

	*out = NULL;
	if (scim_patch_apply(current, patch, scim_rtype_view(rt), fold,
			     call->ctx.cfg->scim_max_filter_depth, &patched, changed, err) != 0)
		return -1;
	if (!*changed) {
		*out = patched;
		return 0;
	}
	/* The result must be a valid User as a PUT body would have to be. */
	*out = scim_validate(rt, patched, NULL, err);
	json_decref(patched);
	return *out != NULL ? 0 : -1;
}

struct patch_step {
	const struct scim_call *call;
	const struct scim_fold *fold; /* the database's, asked before the transaction */
	const char *if_match;
	json_t *body;
};

/* The If-Match check and the PatchOp on the User as it is under its row
 * lock (user_patch_fn). */
static int patch_step(void *arg, json_t *current, json_t **patched, struct scim_user_input *in,
		      struct core_error *err)
{
	const struct patch_step *p = arg;
	struct scim_error serr;
	char version[32];
	bool changed;

	scim_resource_version(current, version, sizeof(version));
	if (p->if_match != NULL && !scim_etag_matches(p->if_match, version))
		return core_fail(err, 412, "precondition_failed",
				 "If-Match does not match the current version of the resource");
	if (patch_user(p->call, p->fold, current, p->body, patched, &changed, &serr) != 0)
		return core_fail(err, serr.status > 0 ? (unsigned)serr.status : 500,
				 serr.scim_type != NULL ? serr.scim_type : "invalid_request", "%s",
				 serr.detail);
	if (!changed)
		return 1;
	return scim_user_input_from(*patched, in, err);
}

/* PATCH = read, patch, replace, with the User's row locked from the read
 * to the write: atomic, and If-Match is checked against the version that
 * is replaced. */
void scim_user_patch_do(struct scim_call *call, const char *id, const char *if_match,
			json_t *body, struct scim_result *res)
{
	struct patch_step step = { call, scim_call_fold(call), if_match, body };
	struct scim_conn c = { call->org_id, call->connection_id, call->base_url };
	struct core_error err;
	json_t *user = NULL;

	if (user_store_patch(&call->ctx, &c, id, patch_step, &step, &user, &err) != 0)
		scim_result_fail_core(res, &err);
	else
		scim_result_resource(res, 200, user);
}

/* The PATCH endpoint writes through the batch of concurrent PATCHes (Bulk
 * keeps scim_user_patch_do: its operations share the call's connection).
 * The request gives its connection back while it waits; what the batch
 * leaves to it runs the single path on a connection borrowed again. */
static void patch_op(struct scim_call *call, json_t *body, struct scim_result *res)
{
	const char *id = http_param(call->req, 0);
	struct patch_step step = { call, scim_call_fold(call), http_header(call->req, "If-Match"),
				   body };
	struct scim_conn c = { call->org_id, call->connection_id, call->base_url };
	struct core_error err;
	json_t *user = NULL;
	int rc;

	scim_release_db(call);
	rc = user_store_patch_together(call->app->scim_user_writes, &call->ctx, &c, id, patch_step,
				       &step, &user, &err);
	if (rc > 0)
		rc = scim_call_borrow_db(call, &err) != 0
			     ? -1
			     : user_store_patch(&call->ctx, &c, id, patch_step, &step, &user, &err);
	if (rc != 0)
		scim_result_fail_core(res, &err);
	else
		scim_result_resource(res, 200, user);
}

void scim_user_patch(struct http_request *req)
{
	scim_op_request(req, scim_rtype_user(), true, patch_op);
}

void scim_user_delete_do(struct scim_call *call, const char *id, const char *if_match,
			 struct scim_result *res)
{
	struct scim_conn c = { call->org_id, call->connection_id, call->base_url };
	struct core_error err;

	if (user_store_delete(&call->ctx, &c, id, scim_version_of(if_match), &err) != 0)
		scim_result_fail_core(res, &err);
	else
		scim_result_empty(res, 204, NULL, NULL);
}

static void delete_op(struct scim_call *call, json_t *body, struct scim_result *res)
{
	(void)body;
	scim_user_delete_do(call, http_param(call->req, 0), http_header(call->req, "If-Match"), res);
}

void scim_user_delete(struct http_request *req)
{
	scim_op_request(req, scim_rtype_user(), false, delete_op);
}

/* ---- /Me and the root search ---- */

void scim_me(struct http_request *req)
{
	struct scim_call call;

	/* Like every SCIM endpoint, /Me answers only a connection's token: an
	 * unauthenticated caller gets 401, not a description of the service. */
	if (scim_authenticate(req, &call) == 0)
		/* RFC 7644 3.11 allows 501: a SCIM connection is an IdP, not a
		 * person, so there is no "me" to resolve. */
		http_respond_error(req, 501, "not_implemented",
				   "/Me is not supported: SCIM connections authenticate an identity provider");
	scim_end(&call);
}

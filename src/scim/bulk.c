/* POST /scim/v2/Bulk (RFC 7644 section 3.7): POST, PUT, PATCH and DELETE on
 * /Users and /Groups in one request, each operation run by the same core as
 * its single-resource endpoint (scim/ops.h), in its own transaction.
 *
 * Order: operations run in request order, except that one referring to
 * "bulkId:<x>" (in any "value", e.g. a Group member, or as the id in its
 * path) waits until the operation that declared bulkId x has succeeded, and
 * then runs with x's new id in place. A reference to an unknown bulkId is 400
 * invalidValue for that operation; to one that failed, or one that can never
 * be resolved because the references go round in a circle, 409.
 * failOnErrors = n stops after the n-th failed operation; the response lists
 * the operations that ran, in request order. Limits ([scim]
 * bulk_max_operations, bulk_max_payload) are 413 for the whole request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "scim/call.h"
#include "scim/json_util.h"
#include "scim/ops.h"
#include "scim/result.h"

#define BULK_REQUEST_SCHEMA "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
#define BULK_RESPONSE_SCHEMA "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
#define BULK_REF_PREFIX "bulkId:"

enum op_method { M_POST, M_PUT, M_PATCH, M_DELETE };
enum op_state { OP_PENDING, OP_OK, OP_FAILED };

struct bulk_op {
	const json_t *src;  /* the operation as sent (borrowed from the body) */
	enum op_method method;
	bool groups;        /* /Groups, else /Users */
	const char *bulk_id;
	const char *path_id;/* the id in the path (maybe "bulkId:x"), NULL for POST */
	const char *version;/* "version": the If-Match of the operation */
	const json_t *data;
	json_t *refs;       /* the bulkIds it refers to (array of strings) */
	enum op_state state;
	bool ran;
	struct scim_result res; /* a malformed operation's error is set at parse time */
	char id[64];        /* the resource's id once known */
};

/* ---- parsing ---- */

static const char *str_ci(const json_t *obj, const char *name)
{
	return json_string_value(scim_get_ci(obj, name));
}

/* Every "bulkId:<x>" under a "value" key, anywhere in v, into refs. */
static int collect_refs(const json_t *v, json_t *refs)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x) {
			const char *s = json_string_value(x);
			if (s != NULL && strcasecmp(k, "value") == 0 &&
			    strncmp(s, BULK_REF_PREFIX, strlen(BULK_REF_PREFIX)) == 0) {
				if (json_array_append_new(refs, json_string(s + strlen(BULK_REF_PREFIX))) != 0)
					return -1;
			} else if (collect_refs(x, refs) != 0) {
				return -1;
			}
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (collect_refs(x, refs) != 0)
				return -1;
		}
	}
	return 0;
}

/* "/Users", "/Groups" (POST) or "/Users/<id>", "/Groups/<id>". */
static int parse_path(struct bulk_op *op, const char *path)
{
	const char *rest;

	if (path == NULL || path[0] != '/')
		return -1;
	if (strncasecmp(path + 1, "Users", 5) == 0) {
		rest = path + 6;
		op->groups = false;
	} else if (strncasecmp(path + 1, "Groups", 6) == 0) {
		rest = path + 7;
		op->groups = true;
	} else {
		return -1;
	}
	if (op->method == M_POST)
		return *rest == '\0' ? 0 : -1;
	if (rest[0] != '/' || rest[1] == '\0' || strchr(rest + 1, '/') != NULL)
		return -1;
	op->path_id = rest + 1;
	return 0;
}

static int parse_op(struct bulk_op *op, const json_t *src)
{
	const char *method;
	const json_t *data;

	op->src = src;
	scim_result_init(&op->res);
	if ((op->refs = json_array()) == NULL) {
		scim_result_error(&op->res, 500, NULL, "internal error");
		return -1;
	}
	if (!json_is_object(src)) {
		scim_result_error(&op->res, 400, SCIM_INVALID_SYNTAX, "an operation must be an object");
		return -1;
	}
	method = str_ci(src, "method");
	if (method != NULL && strcasecmp(method, "POST") == 0)
		op->method = M_POST;
	else if (method != NULL && strcasecmp(method, "PUT") == 0)
		op->method = M_PUT;
	else if (method != NULL && strcasecmp(method, "PATCH") == 0)
		op->method = M_PATCH;
	else if (method != NULL && strcasecmp(method, "DELETE") == 0)
		op->method = M_DELETE;
	else {
		scim_result_error(&op->res, 400, SCIM_INVALID_SYNTAX,
				  "'method' must be POST, PUT, PATCH or DELETE");
		return -1;
	}
	op->bulk_id = str_ci(src, "bulkId");
	op->version = str_ci(src, "version");
	if (scim_get_ci(src, "bulkId") != NULL && (op->bulk_id == NULL || op->bulk_id[0] == '\0')) {
		scim_result_error(&op->res, 400, SCIM_INVALID_SYNTAX, "'bulkId' must be a non-empty string");
		return -1;
	}
	if (op->method == M_POST && op->bulk_id == NULL) {
		scim_result_error(&op->res, 400, SCIM_INVALID_SYNTAX, "a POST operation needs a 'bulkId'");
		return -1;
	}
	if (parse_path(op, str_ci(src, "path")) != 0) {
		scim_result_error(&op->res, 400, SCIM_INVALID_PATH,
				  op->method == M_POST ? "'path' must be \"/Users\" or \"/Groups\""
						       : "'path' must be \"/Users/<id>\" or \"/Groups/<id>\"");
		return -1;
	}
	data = scim_get_ci(src, "data");
	if (op->method != M_DELETE && !json_is_object(data)) {
		scim_result_error(&op->res, 400, SCIM_INVALID_SYNTAX, "'data' must be an object");
		return -1;
	}
	op->data = data;
	if ((data != NULL && collect_refs(data, op->refs) != 0) ||
	    (op->path_id != NULL &&
	     strncmp(op->path_id, BULK_REF_PREFIX, strlen(BULK_REF_PREFIX)) == 0 &&
	     json_array_append_new(op->refs, json_string(op->path_id + strlen(BULK_REF_PREFIX))) != 0)) {
		scim_result_error(&op->res, 500, NULL, "internal error");
		return -1;
	}
	if (op->path_id != NULL)
		snprintf(op->id, sizeof(op->id), "%s", op->path_id);
	return 0;
}

/* ---- references ---- */

/* The operation that declared bulkId (the first one), or -1. */
static int declared_by(const struct bulk_op *ops, size_t n, const char *bulk_id)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i].bulk_id != NULL && strcmp(ops[i].bulk_id, bulk_id) == 0)
			return (int)i;
	return -1;
}

/* 1 ready, 0 waiting for another operation; -1 failed (res filled). */
static int refs_ready(struct bulk_op *ops, size_t n, size_t i)
{
	struct bulk_op *op = &ops[i];
	size_t k;
	json_t *r;

	json_array_foreach(op->refs, k, r) {
		const char *ref = json_string_value(r);
		int j = declared_by(ops, n, ref);
		if (j < 0) {
			scim_result_error(&op->res, 400, SCIM_INVALID_VALUE,
					  "bulkId '%s' is not declared by any operation", ref);
			return -1;
		}
		if (ops[j].state == OP_FAILED) {
			scim_result_error(&op->res, 409, NULL,
					  "bulkId '%s' refers to an operation that failed", ref);
			return -1;
		}
		if (ops[j].state == OP_PENDING)
			return 0;
	}
	return 1;
}

/* The bulkId references in v replaced by the ids they stand for. */
static void resolve_in(json_t *v, const struct bulk_op *ops, size_t n)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			const char *s = json_string_value(x);
			if (s != NULL && strcasecmp(k, "value") == 0 &&
			    strncmp(s, BULK_REF_PREFIX, strlen(BULK_REF_PREFIX)) == 0) {
				int j = declared_by(ops, n, s + strlen(BULK_REF_PREFIX));
				if (j >= 0)
					json_string_set(x, ops[j].id);
			} else {
				resolve_in(x, ops, n);
			}
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			resolve_in(x, ops, n);
	}
}

/* ---- running ---- */

static void run_op(struct scim_call *call, struct bulk_op *ops, size_t n, size_t i)
{
	struct bulk_op *op = &ops[i];
	json_t *data = op->data ? json_deep_copy(op->data) : NULL;

	if (op->data != NULL && data == NULL) {
		scim_result_error(&op->res, 500, NULL, "internal error");
		return;
	}
	resolve_in(data, ops, n);
	if (op->path_id != NULL &&
	    strncmp(op->path_id, BULK_REF_PREFIX, strlen(BULK_REF_PREFIX)) == 0) {
		int j = declared_by(ops, n, op->path_id + strlen(BULK_REF_PREFIX));
		snprintf(op->id, sizeof(op->id), "%s", j >= 0 ? ops[j].id : "");
	}
	switch (op->method) {
	case M_POST:
		if (op->groups)
			scim_group_create_do(call, data, &op->res);
		else
			scim_user_create_do(call, data, &op->res);
		break;
	case M_PUT:
		if (op->groups)
			scim_group_replace_do(call, op->id, op->version, data, &op->res);
		else
			scim_user_replace_do(call, op->id, op->version, data, &op->res);
		break;
	case M_PATCH:
		if (op->groups)
			scim_group_patch_do(call, op->id, op->version, data, false, false, &op->res);
		else
			scim_user_patch_do(call, op->id, op->version, data, &op->res);
		break;
	case M_DELETE:
		if (op->groups)
			scim_group_delete_do(call, op->id, op->version, &op->res);
		else
			scim_user_delete_do(call, op->id, op->version, &op->res);
		break;
	}
	json_decref(data);
	if (op->method == M_POST && op->res.status < 300) {
		const char *id = json_string_value(json_object_get(op->res.body, "id"));
		snprintf(op->id, sizeof(op->id), "%s", id ? id : "");
	}
}

/* The response entry of an operation that ran. */
static json_t *entry_of(const struct scim_call *call, struct bulk_op *op)
{
	static const char *const methods[] = { "POST", "PUT", "PATCH", "DELETE" };
	char status[8], version[48], location[600];
	json_t *e;

	snprintf(status, sizeof(status), "%u", op->res.status);
	e = json_pack("{s:s, s:s}", "method", methods[op->method], "status", status);
	if (e == NULL)
		return NULL;
	if (op->bulk_id != NULL)
		json_object_set_new(e, "bulkId", json_string(op->bulk_id));
	if (op->res.status >= 400) {
		json_object_set(e, "response", op->res.body);
		return e;
	}
	if (op->res.location[0] != '\0')
		snprintf(location, sizeof(location), "%s", op->res.location);
	else
		snprintf(location, sizeof(location), "%s/%s/%s", call->base_url,
			 op->groups ? "Groups" : "Users", op->id);
	json_object_set_new(e, "location", json_string(location));
	if (op->res.version[0] != '\0') {
		snprintf(version, sizeof(version), "W/\"%s\"", op->res.version);
		json_object_set_new(e, "version", json_string(version));
	}
	return e;
}

/* Run every operation as the header comment says; the number that failed. */
static void run_all(struct scim_call *call, struct bulk_op *ops, size_t n, long fail_on)
{
	long errors = 0;
	bool progress = true;

	while (progress) {
		progress = false;
		for (size_t i = 0; i < n; i++) {
			int ready;

			if (ops[i].state != OP_PENDING)
				continue;
			ready = ops[i].res.status != 0 ? -1 : refs_ready(ops, n, i);
			if (ready == 0)
				continue;
			if (ready > 0)
				run_op(call, ops, n, i);
			ops[i].ran = true;
			ops[i].state = ops[i].res.status < 400 ? OP_OK : OP_FAILED;
			if (ops[i].state == OP_FAILED && fail_on > 0 && ++errors >= fail_on)
				return;
			/* Start over: an earlier operation may have waited for this one. */
			progress = true;
			break;
		}
	}
	/* What is left waits on itself, through a circle of references. */
	for (size_t i = 0; i < n; i++) {
		if (ops[i].state != OP_PENDING)
			continue;
		scim_result_error(&ops[i].res, 409, NULL,
				  "circular bulkId references: this operation can never run");
		ops[i].ran = true;
		ops[i].state = OP_FAILED;
		if (fail_on > 0 && ++errors >= fail_on)
			return;
	}
}

/* The request-level checks: 413 past the limits, 400 for a malformed
 * BulkRequest. 0 with *list and *fail_on set, or -1 (answered). */
static int check_request(struct scim_call *call, json_t *body, const json_t **list, long *fail_on)
{
	const struct config *cfg = call->ctx.cfg;
	const json_t *schemas = scim_get_ci(body, "schemas"), *f = scim_get_ci(body, "failOnErrors");

	*list = scim_get_ci(body, "Operations");
	if (schemas != NULL && !scim_lists_schema(schemas, BULK_REQUEST_SCHEMA)) {
		http_respond_error(call->req, 400, SCIM_INVALID_SYNTAX,
				   "'schemas' must list " BULK_REQUEST_SCHEMA);
		return -1;
	}
	if (!json_is_array(*list)) {
		http_respond_error(call->req, 400, SCIM_INVALID_SYNTAX, "'Operations' must be an array");
		return -1;
	}
	if (json_array_size(*list) > cfg->scim_bulk_max_operations) {
		http_respond_error(call->req, 413, SCIM_TOO_MANY,
				   "The number of operations (%zu) exceeds the maxOperations (%u)",
				   json_array_size(*list), cfg->scim_bulk_max_operations);
		return -1;
	}
	*fail_on = 0;
	if (f != NULL && !json_is_null(f)) {
		if (!json_is_integer(f) || json_integer_value(f) < 1) {
			http_respond_error(call->req, 400, SCIM_INVALID_VALUE,
					   "'failOnErrors' must be a positive integer");
			return -1;
		}
		*fail_on = (long)json_integer_value(f);
	}
	return 0;
}

void scim_bulk(struct http_request *req)
{
	struct scim_call call;
	struct bulk_op *ops = NULL;
	const json_t *list;
	json_t *body = NULL, *out = NULL, *entries;
	size_t n = 0, len = 0;
	long fail_on;

	if (scim_begin(req, &call) != 0)
		goto done;
	(void)http_body(req, &len);
	if (len > call.ctx.cfg->scim_bulk_max_payload) {
		/* RFC 7644 3.7.4: 413, naming the limit; it defines no scimType. */
		http_respond_error(req, 413, "too_large",
				   "The size of the bulk operation (%zu bytes) exceeds the"
				   " maxPayloadSize (%zu)",
				   len, call.ctx.cfg->scim_bulk_max_payload);
		goto done;
	}
	if ((body = scim_body(&call)) == NULL || check_request(&call, body, &list, &fail_on) != 0)
		goto done;
	n = json_array_size(list);
	if (n > 0 && (ops = calloc(n, sizeof(*ops))) == NULL) {
		http_respond_error(req, 500, "internal", "internal error");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		(void)parse_op(&ops[i], json_array_get(list, i));
	/* A bulkId declared twice: the later operations are malformed. */
	for (size_t i = 0; i < n; i++)
		if (ops[i].bulk_id != NULL && ops[i].res.status == 0 &&
		    declared_by(ops, n, ops[i].bulk_id) != (int)i)
			scim_result_error(&ops[i].res, 400, SCIM_INVALID_VALUE,
					  "bulkId '%s' is declared by an earlier operation",
					  ops[i].bulk_id);
	run_all(&call, ops, n, fail_on);
	out = json_pack("{s:[s], s:[]}", "schemas", BULK_RESPONSE_SCHEMA, "Operations");
	entries = json_object_get(out, "Operations");
	for (size_t i = 0; out != NULL && i < n; i++) {
		if (ops[i].ran && json_array_append_new(entries, entry_of(&call, &ops[i])) != 0) {
			json_decref(out);
			out = NULL;
		}
	}
	if (out == NULL)
		http_respond_error(req, 500, "internal", "internal error");
	else
		scim_reply(&call, 200, out, NULL);
done:
	for (size_t i = 0; i < n; i++) {
		json_decref(ops[i].refs);
		scim_result_clear(&ops[i].res);
	}
	free(ops);
	json_decref(body);
	scim_end(&call);
}

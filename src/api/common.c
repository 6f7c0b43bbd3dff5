#include "api/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "core/api_tokens.h"
#include "core/token.h"

static void answer_401(struct http_request *req, const char *message)
{
	http_add_header(req, "WWW-Authenticate", "Bearer realm=\"orgbridge\"");
	http_respond_error(req, 401, "unauthenticated", "%s", message);
}

static int resolve_session(struct api_call *call, const char *hash, const char *now)
{
	static const char sql[] =
		"SELECT a.id, a.email FROM sessions s JOIN accounts a ON a.id = s.account_id"
		" WHERE s.token_hash = $1::bytea AND s.revoked_at IS NULL"
		" AND s.expires_at > to_timestamp($2)";
	const char *params[] = { hash, now };
	PGresult *res = db_exec(call->ctx.conn, sql, 2, params);
	int found;

	if (res == NULL)
		return -1;
	found = PQntuples(res) == 1;
	if (found) {
		struct actor *a = &call->ctx.actor;
		a->kind = ACTOR_ACCOUNT;
		snprintf(a->account_id, sizeof(a->account_id), "%s", PQgetvalue(res, 0, 0));
		snprintf(a->label, sizeof(a->label), "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return found;
}

/* API tokens are core/api_tokens.c's business: the creator must still be an
 * active member (SPEC 6) and caps the token's role. */
static int resolve_api_token(struct api_call *call, const char *hash, const char *now)
{
	(void)now;
	return core_api_token_authenticate(&call->ctx, hash);
}

static int begin(struct http_request *req, struct api_call *call, bool required)
{
	const char *token;
	char hash[TOKEN_HASH_HEX_LEN], now[32];
	int found = 0;

	memset(call, 0, sizeof(*call));
	call->req = req;
	call->app = http_app(req);
	call->held = app_config_hold(call->app);
	call->ctx.cfg = call->held->cfg;
	call->ctx.now = clock_now();
	call->ctx.request_id = http_request_id(req);
	call->ctx.actor.kind = ACTOR_ANONYMOUS;
	call->ctx.actor.source = SOURCE_API;
	snprintf(call->ctx.actor.audit_source, sizeof(call->ctx.actor.audit_source), "api");

	token = http_bearer(req);
	if (token == NULL && required) {
		answer_401(req, "authentication required: send Authorization: Bearer <token>");
		return -1;
	}
	if (token != NULL && token_hash_hex(token, hash, sizeof(hash)) != 0) {
		answer_401(req, "invalid or expired token");
		return -1;
	}
	call->ctx.pool = call->app->db;
	call->ctx.ldap_tls = call->app->ldap_tls;
	call->ctx.conn = db_acquire(call->app->db);
	if (call->ctx.conn == NULL) {
		http_respond_error(req, 503, "database_unavailable", "the database is unavailable; retry");
		return -1;
	}
	if (token == NULL)
		return 0;
	snprintf(call->bearer, sizeof(call->bearer), "%s", token);
	core_time_param(call->ctx.now, now, sizeof(now));
	if (strncmp(token, TOKEN_API, strlen(TOKEN_API)) == 0)
		found = resolve_api_token(call, hash, now);
	else
		found = resolve_session(call, hash, now);
	if (found < 0) {
		struct core_error err;
		core_fail_db(&err, call->ctx.conn);
		api_fail(call, &err);
		return -1;
	}
	if (!found) {
		answer_401(req, "invalid or expired token");
		return -1;
	}
	return 0;
}

int api_begin(struct http_request *req, struct api_call *call)
{
	return begin(req, call, true);
}

int api_begin_anonymous(struct http_request *req, struct api_call *call)
{
	return begin(req, call, false);
}

void api_end(struct api_call *call)
{
	if (call->ctx.conn != NULL)
		db_release(call->ctx.conn);
	call->ctx.conn = NULL;
	if (call->held != NULL)
		app_config_release(call->app, call->held);
	call->held = NULL;
}

void api_fail(struct api_call *call, const struct core_error *err)
{
	if (err->status == 401)
		http_add_header(call->req, "WWW-Authenticate", "Bearer realm=\"orgbridge\"");
	http_respond_error(call->req, err->status ? err->status : 500,
			   err->code[0] ? err->code : "internal", "%s", err->message);
}

void api_reply(struct api_call *call, unsigned status, json_t *body)
{
	http_respond_json(call->req, status, body, NULL);
}

json_t *api_body(struct api_call *call)
{
	return http_body_json(call->req);
}

const char *api_string_field(struct api_call *call, json_t *body, const char *field, bool required,
			     bool *bad)
{
	json_t *v = json_object_get(body, field);

	if (v == NULL || json_is_null(v)) {
		if (required) {
			http_respond_error(call->req, 400, "invalid_value", "'%s' is required", field);
			*bad = true;
		}
		return NULL;
	}
	if (!json_is_string(v)) {
		http_respond_error(call->req, 400, "invalid_value", "'%s' must be a string", field);
		*bad = true;
		return NULL;
	}
	/* JSON strings may hold "\u0000"; everything downstream is C strings,
	 * so such a value would be silently cut short. */
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		http_respond_error(call->req, 400, "invalid_value", "'%s' must not contain NUL", field);
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

static int parse_uint(const char *s, unsigned long max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int api_paging(struct api_call *call, unsigned *limit, unsigned *offset)
{
	const char *l = http_query(call->req, "limit");
	const char *o = http_query(call->req, "offset");

	*limit = 50;
	*offset = 0;
	if (l != NULL && (parse_uint(l, 200, limit) != 0 || *limit == 0)) {
		http_respond_error(call->req, 400, "invalid_value", "limit must be an integer 1..200");
		return -1;
	}
	if (o != NULL && parse_uint(o, 100000000, offset) != 0) {
		http_respond_error(call->req, 400, "invalid_value", "offset must be a non-negative integer");
		return -1;
	}
	return 0;
}

void api_list_request(struct http_request *req, api_list_fn *list)
{
	struct api_call call;
	struct core_error err;
	json_t *out = NULL;
	unsigned limit, offset;

	if (api_begin(req, &call) != 0 || api_paging(&call, &limit, &offset) != 0)
		goto done;
	if (list(&call.ctx, http_param(req, 0), limit, offset, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	api_end(&call);
}

void api_get_request(struct http_request *req, api_get_fn *get)
{
	struct api_call call;
	struct core_error err;
	json_t *out = NULL;

	if (api_begin(req, &call) != 0)
		goto done;
	if (get(&call.ctx, http_param(req, 0), http_param(req, 1), &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	api_end(&call);
}

void api_delete_request(struct http_request *req, api_delete_fn *del)
{
	struct api_call call;
	struct core_error err;

	if (api_begin(req, &call) != 0)
		goto done;
	if (del(&call.ctx, http_param(req, 0), http_param(req, 1), &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 204, NULL);
done:
	api_end(&call);
}

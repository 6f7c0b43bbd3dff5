#include "scim/call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "core/token.h"
#include "scim/result.h"
#include "scim/token_cache.h"

static void answer_401(struct http_request *req, const char *message)
{
	http_add_header(req, "WWW-Authenticate", "Bearer realm=\"orgbridge-scim\"");
	http_respond_error(req, 401, "unauthenticated", "%s", message);
}

static void take_entry(struct scim_call *call, const struct scim_token_entry *e)
{
	snprintf(call->connection_id, sizeof(call->connection_id), "%s", e->connection_id);
	snprintf(call->org_id, sizeof(call->org_id), "%s", e->org_id);
	snprintf(call->connection_name, sizeof(call->connection_name), "%s", e->connection_name);
	actor_for_idp(&call->ctx.actor, SOURCE_SCIM, call->connection_name);
}

/* 1 found, 0 not (or no longer) valid, -1 with *err (no connection, or a
 * database error). A rotated-out token carries expires_at; a revoked
 * connection stops all its tokens. Good answers are kept in the app's token
 * cache for [scim] token_cache_ttl. */
static int resolve_token(struct scim_call *call, const char *hash, struct core_error *err)
{
	static const char sql[] =
		"SELECT c.id, c.org_id, c.name,"
		" coalesce(extract(epoch FROM t.expires_at)::bigint, 0) FROM scim_tokens t"
		" JOIN scim_connections c ON c.id = t.connection_id"
		" WHERE t.token_hash = $1::bytea AND t.revoked_at IS NULL"
		" AND (t.expires_at IS NULL OR t.expires_at > to_timestamp($2))"
		" AND c.revoked_at IS NULL";
	struct scim_token_cache *cache = call->app->scim_tokens;
	unsigned ttl = call->ctx.cfg->scim_token_cache_s;
	struct scim_token_entry e = { 0 };
	uint64_t generation;
	char now[32];
	const char *params[2];
	PGresult *res;
	int found;

	if (scim_token_cache_get(cache, hash, ttl, clock_monotonic_s(), call->ctx.now, &e)) {
		take_entry(call, &e);
		return 1;
	}
	generation = scim_token_cache_generation(cache);
	if (scim_call_borrow_db(call, err) != 0)
		return -1;
	core_time_param(call->ctx.now, now, sizeof(now));
	params[0] = hash;
	params[1] = now;
	res = db_exec(call->ctx.conn, sql, 2, params);
	if (res == NULL)
		return core_fail_db(err, call->ctx.conn);
	found = PQntuples(res) == 1;
	if (found) {
		snprintf(e.connection_id, sizeof(e.connection_id), "%s", PQgetvalue(res, 0, 0));
		snprintf(e.org_id, sizeof(e.org_id), "%s", PQgetvalue(res, 0, 1));
		snprintf(e.connection_name, sizeof(e.connection_name), "%s", PQgetvalue(res, 0, 2));
		e.expires_at = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
		take_entry(call, &e);
		if (ttl > 0)
			scim_token_cache_put(cache, hash, &e, generation, clock_monotonic_s());
	}
	PQclear(res);
	return found;
}

int scim_authenticate(struct http_request *req, struct scim_call *call)
{
	const char *token, *base;
	char hash[TOKEN_HASH_HEX_LEN];
	size_t len;
	struct core_error err;
	int found;

	memset(call, 0, sizeof(*call));
	call->req = req;
	call->app = http_app(req);
	call->held = app_config_hold(call->app);
	call->ctx.cfg = call->held->cfg;
	call->ctx.now = clock_now();
	call->ctx.request_id = http_request_id(req);
	call->ctx.actor.kind = ACTOR_ANONYMOUS;
	call->ctx.actor.source = SOURCE_SCIM;

	base = call->ctx.cfg->public_base_url ? call->ctx.cfg->public_base_url : "";
	len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		len--;
	snprintf(call->base_url, sizeof(call->base_url), "%.*s/scim/v2", (int)len, base);

	token = http_bearer(req);
	if (token == NULL) {
		answer_401(req, "authentication required: send Authorization: Bearer <token>");
		return -1;
	}
	if (token_hash_hex(token, hash, sizeof(hash)) != 0) {
		answer_401(req, "invalid, expired or revoked token");
		return -1;
	}
	call->ctx.pool = call->app->db;
	found = resolve_token(call, hash, &err);
	if (found < 0) {
		scim_call_fail_core(call, &err);
		return -1;
	}
	/* Held by nothing after: a read that borrows through a batcher must
	 * not hold one while it waits for another (the pool would run dry). */
	scim_release_db(call);
	if (!found) {
		answer_401(req, "invalid, expired or revoked token");
		return -1;
	}
	return 0;
}

int scim_call_borrow_db(struct scim_call *call, struct core_error *err)
{
	if (call->ctx.conn == NULL && (call->ctx.conn = db_acquire(call->app->db)) == NULL)
		return core_fail(err, 503, "database_unavailable",
				 "the database is unavailable; retry");
	return 0;
}

int scim_begin(struct http_request *req, struct scim_call *call)
{
	struct core_error err;

	if (scim_authenticate(req, call) != 0)
		return -1;
	if (scim_call_borrow_db(call, &err) != 0) {
		scim_call_fail_core(call, &err);
		return -1;
	}
	return 0;
}

/* True when lower() folds beyond ASCII: É to é, as the libc provider does in
 * a UTF-8 database under C.UTF-8 or en_US.UTF-8 (under C or POSIX it folds
 * A-Z only). Only a UTF-8 database is asked about É (convert_from is stable,
 * so the CASE keeps it from running, and failing, elsewhere): the statement
 * cannot fail. COLLATE "default": convert_from's result would otherwise take
 * the collation "C" of its name argument, and lower() would fold ASCII. */
static const char sql_db_fold[] =
	"SELECT CASE WHEN pg_catalog.current_setting('server_encoding') = 'UTF8' "
	"THEN pg_catalog.lower(pg_catalog.convert_from('\\xc389'::bytea, 'UTF8') "
	"COLLATE \"default\") = pg_catalog.convert_from('\\xc3a9'::bytea, 'UTF8') "
	"ELSE false END";

const struct scim_fold *scim_call_fold(const struct scim_call *call)
{
	struct app *app = call->app;
	int mode = atomic_load(&app->db_fold);
	PGresult *res;

	if (mode == APP_FOLD_UNKNOWN && call->ctx.conn != NULL) {
		res = db_exec(call->ctx.conn, sql_db_fold, 0, NULL);
		if (res != NULL && PQntuples(res) == 1) {
			mode = strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? APP_FOLD_UNICODE
									: APP_FOLD_ASCII;
			atomic_store(&app->db_fold, mode);
			log_info("the database's lower() folds %s",
				 mode == APP_FOLD_UNICODE ? "Unicode" : "ASCII only");
		}
		PQclear(res);
	}
	/* not known (the query failed): ASCII this time, asked again next time */
	return mode == APP_FOLD_UNICODE && scim_fold_is_unicode(&app->unicode_fold)
		       ? &app->unicode_fold : NULL;
}

void scim_release_db(struct scim_call *call)
{
	if (call->ctx.conn != NULL)
		db_release(call->ctx.conn);
	call->ctx.conn = NULL;
}

void scim_end(struct scim_call *call)
{
	scim_release_db(call);
	if (call->held != NULL)
		app_config_release(call->app, call->held);
	call->held = NULL;
}

void scim_call_fail(struct scim_call *call, const struct scim_error *err)
{
	unsigned status = err->status > 0 ? (unsigned)err->status : 500;

	if (status == 401)
		http_add_header(call->req, "WWW-Authenticate", "Bearer realm=\"orgbridge-scim\"");
	http_respond_error(call->req, status, err->scim_type ? err->scim_type : "error", "%s",
			   err->detail);
}

void scim_call_fail_core(struct scim_call *call, const struct core_error *err)
{
	unsigned status = err->status ? err->status : 500;

	if (status == 401)
		http_add_header(call->req, "WWW-Authenticate", "Bearer realm=\"orgbridge-scim\"");
	http_respond_error(call->req, status, scim_type_of_core(err), "%s", err->message);
}

static void add_etag(struct scim_call *call, const char *version)
{
	char etag[64];

	snprintf(etag, sizeof(etag), "W/\"%s\"", version);
	http_add_header(call->req, "ETag", etag);
}

void scim_reply(struct scim_call *call, unsigned status, json_t *body, const char *version)
{
	if (version != NULL && version[0] != '\0')
		add_etag(call, version);
	if (status == 201) {
		const char *loc =
			json_string_value(json_object_get(json_object_get(body, "meta"), "location"));
		if (loc != NULL)
			http_add_header(call->req, "Location", loc);
	}
	http_respond_json(call->req, status, body, SCIM_CONTENT_TYPE);
}

json_t *scim_body(struct scim_call *call)
{
	size_t len = 0;
	const char *text = http_body(call->req, &len);
	json_error_t jerr;
	json_t *body;

	if (text == NULL || len == 0) {
		http_respond_error(call->req, 400, SCIM_INVALID_SYNTAX, "a JSON request body is required");
		return NULL;
	}
	body = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (body == NULL) {
		http_respond_error(call->req, 400, SCIM_INVALID_SYNTAX, "malformed JSON: %s", jerr.text);
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		http_respond_error(call->req, 400, SCIM_INVALID_SYNTAX,
				   "the request body must be a JSON object");
		return NULL;
	}
	return body;
}

bool scim_etag_matches(const char *header, const char *version)
{
	const char *p = header;
	size_t vlen = strlen(version);

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p == '"') {
			const char *end = strchr(p + 1, '"');
			if (end == NULL)
				return false;
			if ((size_t)(end - p - 1) == vlen && strncmp(p + 1, version, vlen) == 0)
				return true;
			p = end + 1;
		} else {
			/* Unquoted: tolerate a bare version as some clients send. */
			const char *end = p + strcspn(p, ", \t");
			if ((size_t)(end - p) == vlen && strncmp(p, version, vlen) == 0)
				return true;
			if (end == p)
				return false;
			p = end;
		}
	}
	return false;
}

bool scim_if_none_match(struct scim_call *call, const char *version)
{
	const char *h = http_header(call->req, "If-None-Match");

	if (h == NULL || version == NULL || !scim_etag_matches(h, version))
		return false;
	add_etag(call, version);
	http_respond_json(call->req, 304, NULL, SCIM_CONTENT_TYPE);
	return true;
}

int scim_if_match(struct scim_call *call, const char *version)
{
	const char *h = http_header(call->req, "If-Match");

	if (h == NULL || (version != NULL && scim_etag_matches(h, version)))
		return 0;
	http_respond_error(call->req, 412, "precondition_failed",
			   "If-Match does not match the current version of the resource");
	return -1;
}

long scim_if_match_version(struct scim_call *call)
{
	return scim_version_of(http_header(call->req, "If-Match"));
}

long scim_version_of(const char *h)
{
	char *end;
	long v;

	if (h == NULL)
		return 0;
	while (*h == ' ')
		h++;
	if (strcmp(h, "*") == 0)
		return 0;
	if (strncmp(h, "W/", 2) == 0)
		h += 2;
	if (*h == '"')
		h++;
	v = strtol(h, &end, 10);
	if (end == h || v <= 0 || (*end != '"' && *end != '\0'))
		return -1;
	return v;
}

static int parse_long(const char *s, long *out)
{
	char *end;

	if (s == NULL || *s == '\0')
		return -1;
	*out = strtol(s, &end, 10);
	return *end == '\0' ? 0 : -1;
}

int scim_paging(struct scim_call *call, unsigned *start_index, unsigned *count)
{
	const char *si = http_query(call->req, "startIndex");
	const char *c = http_query(call->req, "count");
	unsigned cap = call->ctx.cfg->scim_max_results ? call->ctx.cfg->scim_max_results : 100;
	long v;

	*start_index = 1;
	*count = cap;
	if (si != NULL) {
		if (parse_long(si, &v) != 0) {
			http_respond_error(call->req, 400, SCIM_INVALID_VALUE,
					   "startIndex must be an integer");
			return -1;
		}
		*start_index = v < 1 ? 1 : (v > 2000000000L ? 2000000000U : (unsigned)v);
	}
	if (c != NULL) {
		if (parse_long(c, &v) != 0) {
			http_respond_error(call->req, 400, SCIM_INVALID_VALUE, "count must be an integer");
			return -1;
		}
		*count = v < 0 ? 0 : (v > (long)cap ? cap : (unsigned)v);
	}
	return 0;
}

json_t *scim_list_response(json_t *resources, long long total, unsigned start_index)
{
	json_t *out;

	if (resources == NULL)
		return NULL;
	out = json_pack("{s:[s], s:I, s:I, s:I, s:o}", "schemas", SCIM_LIST_RESPONSE_SCHEMA,
			"totalResults", (json_int_t)total, "startIndex", (json_int_t)start_index,
			"itemsPerPage", (json_int_t)json_array_size(resources), "Resources", resources);
	return out;
}

int scim_project_list(const struct scim_rtype *rt, json_t *resources, const char *attributes,
		      const char *excluded)
{
	size_t i;
	json_t *r;

	json_array_foreach(resources, i, r) {
		json_t *p = scim_project(rt, r, attributes, excluded);
		if (p == NULL || json_array_set_new(resources, i, p) != 0)
			return -1;
	}
	return 0;
}

void scim_reply_resource(struct scim_call *call, unsigned status, const struct scim_rtype *rt,
			 json_t *resource)
{
	char version[32];
	json_t *out;

	scim_resource_version(resource, version, sizeof(version));
	out = scim_project(rt, resource, http_query(call->req, "attributes"),
			   http_query(call->req, "excludedAttributes"));
	json_decref(resource);
	if (out == NULL) {
		http_respond_error(call->req, 500, "internal", "internal error");
		return;
	}
	scim_reply(call, status, out, version);
}

void scim_reply_get(struct scim_call *call, const struct scim_rtype *rt, json_t *resource,
		    const struct core_error *err)
{
	char version[32];

	if (resource == NULL) {
		scim_call_fail_core(call, err);
		return;
	}
	scim_resource_version(resource, version, sizeof(version));
	if (scim_if_none_match(call, version)) {
		json_decref(resource);
		return;
	}
	scim_reply_resource(call, 200, rt, resource);
}

void scim_resource_version(json_t *resource, char *buf, size_t cap)
{
	const char *v = json_string_value(json_object_get(json_object_get(resource, "meta"), "version"));
	size_t n = 0;

	buf[0] = '\0';
	if (v == NULL || cap == 0)
		return;
	for (; *v && n + 1 < cap; v++)
		if (*v >= '0' && *v <= '9')
			buf[n++] = *v;
	buf[n] = '\0';
}

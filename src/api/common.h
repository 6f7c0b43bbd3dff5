/* What every management API handler does around the domain call: pin the
 * config, borrow a database connection, authenticate the bearer token into an
 * actor, and turn a core_error into an HTTP answer. */
#ifndef OB_API_COMMON_H
#define OB_API_COMMON_H

#include <jansson.h>

#include "app.h"
#include "core/core.h"
#include "http/server.h"

struct api_call {
	struct http_request *req;
	struct app *app;
	struct app_config *held;
	struct core_ctx ctx;
	char bearer[128]; /* the presented token text ("" when none) */
};

/* Authenticate "Authorization: Bearer <token>" (a session token or an org API
 * token) and get a connection. On failure the request is already answered
 * (401 with WWW-Authenticate, or 503) and -1 is returned; api_end is still
 * safe to call. */
int api_begin(struct http_request *req, struct api_call *call) OB_MUST_USE;
/* Same without requiring authentication (signup, login, accepting an
 * invitation, confirming a transfer): ctx.actor is an anonymous API actor,
 * but a valid session token, when present, is still resolved. */
int api_begin_anonymous(struct http_request *req, struct api_call *call) OB_MUST_USE;
/* Release the connection and the config. */
void api_end(struct api_call *call);

/* Answer with the error. */
void api_fail(struct api_call *call, const struct core_error *err);
/* Answer with body (stolen). */
void api_reply(struct api_call *call, unsigned status, json_t *body);

/* Body helpers: the request's JSON object (NULL: already answered 400). */
json_t *api_body(struct api_call *call);
/* A string member: NULL when absent; *bad set (and the request answered 400
 * naming the field) when present but not a string, holding a NUL, or when
 * required and absent. */
const char *api_string_field(struct api_call *call, json_t *body, const char *field, bool required,
			     bool *bad);
/* Paging from ?limit= (1..200, default 50) and ?offset= (>= 0). -1 when
 * malformed (answered 400). */
int api_paging(struct api_call *call, unsigned *limit, unsigned *offset) OB_MUST_USE;

/* Whole handlers for the routes whose core call takes nothing but the path:
 * api_begin, the call with the org slug (path parameter 0) and what follows,
 * the answer (the error, or 200 with *out / 204), api_end. */
/* GET /orgs/{slug}/<things>?limit=&offset= */
typedef int api_list_fn(struct core_ctx *ctx, const char *slug, unsigned limit, unsigned offset,
			json_t **out, struct core_error *err);
void api_list_request(struct http_request *req, api_list_fn *list);
/* GET /orgs/{slug}/<things>/{id} (or a list below {id}) */
typedef int api_get_fn(struct core_ctx *ctx, const char *slug, const char *id, json_t **out,
		       struct core_error *err);
void api_get_request(struct http_request *req, api_get_fn *get);
/* DELETE /orgs/{slug}/<things>/{id} */
typedef int api_delete_fn(struct core_ctx *ctx, const char *slug, const char *id,
			  struct core_error *err);
void api_delete_request(struct http_request *req, api_delete_fn *del);

#endif

/* Org-scoped API tokens (src/core/api_tokens.h). */
#include "api/api.h"
#include "api/common.h"
#include "core/api_tokens.h"

void api_tokens_list(struct http_request *req)
{
	api_list_request(req, core_api_tokens_list);
}

void api_token_create(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *body = NULL, *out = NULL, *ttl;
	json_int_t expires_in_s = 0;
	bool bad = false;

	if (api_begin(req, &call) != 0)
		goto done;
	body = api_body(&call);
	if (body == NULL)
		goto done;
	const char *name = api_string_field(&call, body, "name", true, &bad);
	const char *role = bad ? NULL : api_string_field(&call, body, "role", true, &bad);
	if (bad)
		goto done;
	/* Absent or null: the token never expires. */
	ttl = json_object_get(body, "expires_in_s");
	if (ttl != NULL && !json_is_null(ttl)) {
		if (!json_is_integer(ttl) || json_integer_value(ttl) <= 0) {
			http_respond_error(req, 400, "invalid_value",
					   "'expires_in_s' must be a positive integer (seconds)");
			goto done;
		}
		expires_in_s = json_integer_value(ttl);
	}
	if (core_api_token_create(&call.ctx, http_param(req, 0), name, role, (int64_t)expires_in_s,
				  &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 201, out);
done:
	json_decref(body);
	api_end(&call);
}

void api_token_revoke(struct http_request *req)
{
	api_delete_request(req, core_api_token_revoke);
}

/* Ownership transfer (src/core/transfer.h): start, look at, cancel, and
 * confirm with the token mailed to the owner. */
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "core/transfer.h"

void api_transfer_get(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *out = NULL;

	if (api_begin(req, &call) != 0)
		goto done;
	if (core_transfer_get(&call.ctx, http_param(req, 0), &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	api_end(&call);
}

void api_transfer_start(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *body = NULL, *out = NULL;
	bool bad = false;

	if (api_begin(req, &call) != 0)
		goto done;
	body = api_body(&call);
	if (body == NULL)
		goto done;
	const char *member_id = api_string_field(&call, body, "member_id", true, &bad);
	if (bad)
		goto done;
	/* 202: accepted, but nothing changes until the owner confirms by mail. */
	if (core_transfer_start(&call.ctx, http_param(req, 0), member_id, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 202, out);
done:
	json_decref(body);
	api_end(&call);
}

void api_transfer_cancel(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *out = NULL;

	if (api_begin(req, &call) != 0)
		goto done;
	if (core_transfer_cancel(&call.ctx, http_param(req, 0), &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	api_end(&call);
}

void api_transfer_confirm(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *body = NULL, *out = NULL;
	bool bad = false;

	if (api_begin_anonymous(req, &call) != 0)
		goto done;
	body = api_body(&call);
	if (body == NULL)
		goto done;
	const char *token = api_string_field(&call, body, "token", true, &bad);
	if (bad)
		goto done;
	/* An embedded NUL would make C see only a prefix of the token. */
	if (strlen(token) != json_string_length(json_object_get(body, "token"))) {
		http_respond_error(req, 400, "invalid_value", "'token' must not contain NUL");
		goto done;
	}
	if (core_transfer_confirm(&call.ctx, token, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	json_decref(body);
	api_end(&call);
}

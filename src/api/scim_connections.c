/* SCIM connections, their tokens and group mappings
 * (src/core/scim_connections.h). */
#include "api/api.h"
#include "api/common.h"
#include "core/scim_connections.h"
#include "scim/token_cache.h"

void api_scim_connections_list(struct http_request *req)
{
	api_list_request(req, core_scim_connections_list);
}

void api_scim_connection_create(struct http_request *req)
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
	const char *name = api_string_field(&call, body, "name", true, &bad);
	if (bad)
		goto done;
	if (core_scim_connection_create(&call.ctx, http_param(req, 0), name, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 201, out);
done:
	json_decref(body);
	api_end(&call);
}

void api_scim_connection_get(struct http_request *req)
{
	api_get_request(req, core_scim_connection_get);
}

void api_scim_connection_revoke(struct http_request *req)
{
	struct api_call call;
	struct core_error err;

	if (api_begin(req, &call) != 0)
		goto done;
	if (core_scim_connection_revoke(&call.ctx, http_param(req, 0), http_param(req, 1), &err) != 0) {
		api_fail(&call, &err);
	} else {
		scim_token_cache_forget_all(call.app->scim_tokens);
		api_reply(&call, 204, NULL);
	}
done:
	api_end(&call);
}

void api_scim_connection_rotate(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *out = NULL;

	if (api_begin(req, &call) != 0)
		goto done;
	if (core_scim_connection_rotate(&call.ctx, http_param(req, 0), http_param(req, 1), &out,
					&err) != 0) {
		api_fail(&call, &err);
	} else {
		scim_token_cache_forget_all(call.app->scim_tokens);
		api_reply(&call, 200, out);
	}
done:
	api_end(&call);
}

void api_scim_mappings_list(struct http_request *req)
{
	api_get_request(req, core_scim_mappings_list);
}

/* Body: {"group": "<SCIM group displayName>", "role": "ADMIN"|"USER"|"VIEWER"
 * (optional), "team_id": "<uuid>" (optional)}. */
void api_scim_mapping_create(struct http_request *req)
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
	const char *group = api_string_field(&call, body, "group", true, &bad);
	const char *role = bad ? NULL : api_string_field(&call, body, "role", false, &bad);
	const char *team = bad ? NULL : api_string_field(&call, body, "team_id", false, &bad);
	if (bad)
		goto done;
	if (core_scim_mapping_create(&call.ctx, http_param(req, 0), http_param(req, 1), group, role,
				     team, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 201, out);
done:
	json_decref(body);
	api_end(&call);
}

void api_scim_mapping_delete(struct http_request *req)
{
	struct api_call call;
	struct core_error err;

	if (api_begin(req, &call) != 0)
		goto done;
	if (core_scim_mapping_delete(&call.ctx, http_param(req, 0), http_param(req, 1),
				     http_param(req, 2), &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 204, NULL);
done:
	api_end(&call);
}

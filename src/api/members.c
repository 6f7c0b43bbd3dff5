/* Members (src/core/members.h): list, read, change role or status, remove,
 * and the permission check for host applications. */
#include "api/api.h"
#include "api/common.h"
#include "core/members.h"

void api_members_list(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *out = NULL;
	unsigned limit, offset;

	if (api_begin(req, &call) != 0 || api_paging(&call, &limit, &offset) != 0)
		goto done;
	struct member_filters f = {
		.role = http_query(req, "role"),
		.status = http_query(req, "status"),
		.source = http_query(req, "source"),
	};
	if (core_members_list(&call.ctx, http_param(req, 0), &f, limit, offset, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	api_end(&call);
}

void api_member_get(struct http_request *req)
{
	api_get_request(req, core_member_get);
}

void api_member_update(struct http_request *req)
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
	const char *role = api_string_field(&call, body, "role", false, &bad);
	const char *status = bad ? NULL : api_string_field(&call, body, "status", false, &bad);
	if (bad)
		goto done;
	if (core_member_update(&call.ctx, http_param(req, 0), http_param(req, 1), role, status,
			       &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	json_decref(body);
	api_end(&call);
}

void api_member_remove(struct http_request *req)
{
	api_delete_request(req, core_member_remove);
}

void api_member_permissions(struct http_request *req)
{
	api_get_request(req, core_member_permissions);
}

/* Organizations (src/core/orgs.h): create, list, read, update, delete,
 * leave (src/core/members.h) and the audit trail. */
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "core/members.h"
#include "core/orgs.h"

void api_orgs_list(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *out = NULL;
	unsigned limit, offset;

	if (api_begin(req, &call) != 0 || api_paging(&call, &limit, &offset) != 0)
		goto done;
	if (core_orgs_list_mine(&call.ctx, limit, offset, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	api_end(&call);
}

void api_org_create(struct http_request *req)
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
	const char *name = api_string_field(&call, body, "name", false, &bad);
	const char *slug = bad ? NULL : api_string_field(&call, body, "slug", false, &bad);
	const char *username = bad ? NULL : api_string_field(&call, body, "username", false, &bad);
	if (bad)
		goto done;
	if (core_org_create(&call.ctx, name, slug, NULL, username, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 201, out);
done:
	json_decref(body);
	api_end(&call);
}

void api_org_get(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *out = NULL;

	if (api_begin(req, &call) != 0)
		goto done;
	if (core_org_get(&call.ctx, http_param(req, 0), &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	api_end(&call);
}

void api_org_update(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *body = NULL, *out = NULL, *settings;
	bool bad = false;

	if (api_begin(req, &call) != 0)
		goto done;
	body = api_body(&call);
	if (body == NULL)
		goto done;
	if (json_object_get(body, "slug") != NULL) {
		http_respond_error(req, 400, "invalid_value",
				   "'slug' cannot be changed: it is part of every URL of the organization");
		goto done;
	}
	const char *name = api_string_field(&call, body, "name", false, &bad);
	if (bad)
		goto done;
	settings = json_object_get(body, "settings");
	if (json_is_null(settings))
		settings = NULL;
	if (core_org_update(&call.ctx, http_param(req, 0), name, settings, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	json_decref(body);
	api_end(&call);
}

/* The confirmation comes in the body {"confirm": "<org name>"}, or as
 * ?confirm= for clients that cannot send a body with DELETE. */
void api_org_delete(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *body = NULL;
	const char *confirm;
	size_t len = 0;
	bool bad = false;

	if (api_begin(req, &call) != 0)
		goto done;
	(void)http_body(req, &len);
	if (len == 0) {
		confirm = http_query(req, "confirm");
		if (confirm == NULL) {
			http_respond_error(req, 400, "invalid_value",
					   "'confirm' is required: the organization's name");
			goto done;
		}
	} else {
		body = api_body(&call);
		if (body == NULL)
			goto done;
		confirm = api_string_field(&call, body, "confirm", true, &bad);
		if (bad)
			goto done;
	}
	if (core_org_delete(&call.ctx, http_param(req, 0), confirm, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 204, NULL);
done:
	json_decref(body);
	api_end(&call);
}

void api_org_leave(struct http_request *req)
{
	struct api_call call;
	struct core_error err;

	if (api_begin(req, &call) != 0)
		goto done;
	if (core_member_leave(&call.ctx, http_param(req, 0), &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 204, NULL);
done:
	api_end(&call);
}

void api_audit_list(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *out = NULL;
	unsigned limit, offset;

	if (api_begin(req, &call) != 0 || api_paging(&call, &limit, &offset) != 0)
		goto done;
	if (core_audit_list(&call.ctx, http_param(req, 0), http_query(req, "action"), limit, offset,
			    &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	api_end(&call);
}

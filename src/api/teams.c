/* Teams (src/core/teams.h): CRUD, role grants and team membership. */
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "core/teams.h"

void api_teams_list(struct http_request *req)
{
	api_list_request(req, core_teams_list);
}

void api_team_create(struct http_request *req)
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
	const char *description = bad ? NULL : api_string_field(&call, body, "description", false, &bad);
	const char *role = bad ? NULL : api_string_field(&call, body, "role", false, &bad);
	if (bad)
		goto done;
	if (core_team_create(&call.ctx, http_param(req, 0), name, description, role, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 201, out);
done:
	json_decref(body);
	api_end(&call);
}

void api_team_get(struct http_request *req)
{
	api_get_request(req, core_team_get);
}

/* "role": null removes the grant; an absent "role" keeps it. */
void api_team_update(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *body = NULL, *out = NULL;
	struct team_changes ch = { 0 };
	bool bad = false;

	if (api_begin(req, &call) != 0)
		goto done;
	body = api_body(&call);
	if (body == NULL)
		goto done;
	ch.name = api_string_field(&call, body, "name", false, &bad);
	ch.description = bad ? NULL : api_string_field(&call, body, "description", false, &bad);
	ch.role = bad ? NULL : api_string_field(&call, body, "role", false, &bad);
	if (bad)
		goto done;
	ch.set_role = json_object_get(body, "role") != NULL;
	if (core_team_update(&call.ctx, http_param(req, 0), http_param(req, 1), &ch, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	json_decref(body);
	api_end(&call);
}

void api_team_delete(struct http_request *req)
{
	api_delete_request(req, core_team_delete);
}

void api_team_members_list(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *out = NULL;
	unsigned limit, offset;

	if (api_begin(req, &call) != 0 || api_paging(&call, &limit, &offset) != 0)
		goto done;
	if (core_team_members_list(&call.ctx, http_param(req, 0), http_param(req, 1), limit, offset,
				   &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	api_end(&call);
}

void api_team_member_add(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *out = NULL;

	if (api_begin(req, &call) != 0)
		goto done;
	if (core_team_member_add(&call.ctx, http_param(req, 0), http_param(req, 1),
				 http_param(req, 2), &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	api_end(&call);
}

void api_team_member_remove(struct http_request *req)
{
	struct api_call call;
	struct core_error err;

	if (api_begin(req, &call) != 0)
		goto done;
	if (core_team_member_remove(&call.ctx, http_param(req, 0), http_param(req, 1),
				    http_param(req, 2), &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 204, NULL);
done:
	api_end(&call);
}

/* Invitations (src/core/invitations.h): invite, list, resend, revoke, and
 * accepting by the emailed token (anonymous, or with the invitee's session). */
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "core/invitations.h"

void api_invitations_list(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *out = NULL;
	unsigned limit, offset;

	if (api_begin(req, &call) != 0 || api_paging(&call, &limit, &offset) != 0)
		goto done;
	if (core_invitations_list(&call.ctx, http_param(req, 0), http_query(req, "status"), limit,
				  offset, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	api_end(&call);
}

void api_invitation_create(struct http_request *req)
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
	const char *email = api_string_field(&call, body, "email", true, &bad);
	const char *username = bad ? NULL : api_string_field(&call, body, "username", true, &bad);
	const char *role = bad ? NULL : api_string_field(&call, body, "role", true, &bad);
	if (bad)
		goto done;
	if (core_invitation_create(&call.ctx, http_param(req, 0), email, username, role, &out,
				   &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 201, out);
done:
	json_decref(body);
	api_end(&call);
}

/* Resend and revoke: same shape, one core call each. */
static void invitation_action(struct http_request *req, bool resend)
{
	struct api_call call;
	struct core_error err;
	json_t *out = NULL;
	int rc;

	if (api_begin(req, &call) != 0)
		goto done;
	if (resend)
		rc = core_invitation_resend(&call.ctx, http_param(req, 0), http_param(req, 1), &out,
					    &err);
	else
		rc = core_invitation_revoke(&call.ctx, http_param(req, 0), http_param(req, 1), &out,
					    &err);
	if (rc != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	api_end(&call);
}

void api_invitation_resend(struct http_request *req)
{
	invitation_action(req, true);
}

void api_invitation_revoke(struct http_request *req)
{
	invitation_action(req, false);
}

void api_invitation_accept(struct http_request *req)
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
	const char *password = bad ? NULL : api_string_field(&call, body, "password", false, &bad);
	const char *display_name = bad ? NULL : api_string_field(&call, body, "display_name", false, &bad);
	if (bad)
		goto done;
	if (core_invitation_accept(&call.ctx, token, password, display_name, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	json_decref(body);
	api_end(&call);
}

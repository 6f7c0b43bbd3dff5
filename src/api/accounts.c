/* Sign-up, login, logout and the caller's own view (src/core/accounts.h). */
#include <string.h>

#include "api/api.h"
#include "api/common.h"
#include "core/accounts.h"

/* Sign-up and login share everything but the core call and the status. The
 * fields come through api_string_field, which refuses an embedded NUL
 * ("\u0000"): C would see only a prefix, so "secret\u0000anything" would log
 * in as "secret". */
static void credentials(struct http_request *req, bool signup)
{
	struct api_call call;
	struct core_error err;
	json_t *body = NULL, *out = NULL;
	bool bad = false;
	int rc;

	if (api_begin_anonymous(req, &call) != 0)
		goto done;
	body = api_body(&call);
	if (body == NULL)
		goto done;
	const char *email = api_string_field(&call, body, "email", true, &bad);
	const char *password = bad ? NULL : api_string_field(&call, body, "password", true, &bad);
	const char *display_name =
		bad || !signup ? NULL : api_string_field(&call, body, "display_name", false, &bad);
	if (bad)
		goto done;
	if (signup)
		rc = core_signup(&call.ctx, email, password, display_name, &out, &err);
	else
		rc = core_login(&call.ctx, email, password, &out, &err);
	if (rc != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, signup ? 201 : 200, out);
done:
	json_decref(body);
	api_end(&call);
}

void api_signup(struct http_request *req)
{
	credentials(req, true);
}

void api_login(struct http_request *req)
{
	credentials(req, false);
}

void api_logout(struct http_request *req)
{
	struct api_call call;
	struct core_error err;

	if (api_begin(req, &call) != 0)
		goto done;
	if (core_logout(&call.ctx, call.bearer, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 204, NULL);
done:
	api_end(&call);
}

void api_me(struct http_request *req)
{
	struct api_call call;
	struct core_error err;
	json_t *out = NULL;

	if (api_begin(req, &call) != 0)
		goto done;
	if (core_me(&call.ctx, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	api_end(&call);
}

void api_me_password(struct http_request *req)
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
	const char *password = api_string_field(&call, body, "password", true, &bad);
	const char *current = bad ? NULL : api_string_field(&call, body, "current_password", false, &bad);
	if (bad)
		goto done;
	if (core_account_change_password(&call.ctx, current, password, &out, &err) != 0)
		api_fail(&call, &err);
	else
		api_reply(&call, 200, out);
done:
	json_decref(body);
	api_end(&call);
}

/* Placeholder: SCIM Users, root search and /Me. */
#include "api/api.h"

void scim_search_root(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_me(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_users_search(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_users_list(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_user_create(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_user_get(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_user_replace(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_user_patch(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_user_delete(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

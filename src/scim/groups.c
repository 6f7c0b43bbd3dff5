/* Placeholder: SCIM Groups and Bulk. */
#include "api/api.h"

void scim_bulk(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_groups_search(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_groups_list(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_group_create(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_group_get(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_group_replace(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_group_patch(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_group_delete(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

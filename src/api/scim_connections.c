/* Placeholder: SCIM connections API. */
#include "api/api.h"

void api_scim_connections_list(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void api_scim_connection_create(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void api_scim_connection_get(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void api_scim_connection_revoke(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void api_scim_connection_rotate(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void api_scim_mappings_list(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void api_scim_mapping_create(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void api_scim_mapping_delete(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

/* Placeholder: SCIM discovery endpoints. */
#include "api/api.h"

void scim_service_provider_config(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_resource_types_list(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_resource_type_get(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_schemas_list(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void scim_schema_get(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

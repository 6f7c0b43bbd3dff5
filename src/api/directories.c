/* Placeholder: directories API. */
#include "api/api.h"

void api_directory_mappings_list(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void api_directory_mapping_create(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void api_directory_mapping_delete(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void api_directories_list(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void api_directory_get(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void api_directory_sync(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void api_directory_runs_list(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

void api_directory_run_get(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

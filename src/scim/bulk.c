/* Placeholder: SCIM Bulk. */
#include "api/api.h"

void scim_bulk(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

/* Placeholder: Prometheus metrics. */
#include "api/api.h"

void api_metrics(struct http_request *req)
{
	http_respond_error(req, 501, "not_implemented", "Not implemented yet");
}

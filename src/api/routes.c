#include "api/api.h"

const struct http_route api_routes[] = {
	{ "GET", "/healthz", api_healthz },
	{ "GET", "/readyz", api_readyz },
};

const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);

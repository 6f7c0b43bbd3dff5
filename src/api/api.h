/* The HTTP surface: one route table for the whole daemon, and the handlers of
 * each area. Handlers are thin: parse the request, call src/core, render. */
#ifndef OB_API_API_H
#define OB_API_API_H

#include <stddef.h>

#include "http/server.h"

/* Every route the daemon serves. */
extern const struct http_route api_routes[];
extern const size_t api_routes_count;

/* health.c */
void api_healthz(struct http_request *req);
void api_readyz(struct http_request *req);

#endif

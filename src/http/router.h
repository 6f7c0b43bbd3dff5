/* Route matching, kept apart from libmicrohttpd so it can be tested alone.
 * Patterns are absolute paths whose segments are literals or "{name}", which
 * captures exactly one non-empty segment. A trailing slash on the request path
 * is ignored. */
#ifndef OB_HTTP_ROUTER_H
#define OB_HTTP_ROUTER_H

#include <stddef.h>

#define HTTP_MAX_PARAMS 4

struct http_request;
typedef void (*http_handler_fn)(struct http_request *req);

struct http_route {
	const char *method;  /* "GET", "POST", ...; a GET route also answers HEAD */
	const char *pattern; /* "/api/v1/orgs/{slug}/members/{id}" */
	http_handler_fn handler;
};

struct route_match {
	const struct http_route *route;
	size_t nparams;
	struct {
		size_t off, len; /* captured segment, as a slice of the path */
	} params[HTTP_MAX_PARAMS];
	char allow[64]; /* for 405: the methods the path does accept, "GET, POST" */
};

/* Find the route for method and path. Returns 200 with *m filled, 404 when no
 * pattern matches the path, 405 when patterns match the path but not the
 * method (m->allow lists the accepted ones). The first matching route wins. */
int http_route_match(const struct http_route *routes, size_t n, const char *method,
		     const char *path, struct route_match *m);

#endif

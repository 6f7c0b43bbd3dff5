/* HTTP front end on libmicrohttpd: one thread per connection (handlers block
 * on PostgreSQL, and on 2 cores this measured a steadier p99 than an epoll
 * pool), a body limit enforced while reading (413), request ids, an access
 * log line per request, and JSON error bodies (SCIM-shaped under /scim/).
 *
 * Handlers run on the connection's thread; they read the request through the
 * accessors below and answer exactly once with one of the http_respond_*
 * calls. A handler that does not answer gets a 500. */
#ifndef OB_HTTP_SERVER_H
#define OB_HTTP_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "http/router.h"
#include "log.h"

/* How long http_server_stop waits for the requests in progress. The unit's
 * TimeoutStopSec (systemd/orgbridged.service.in) leaves room past it and past
 * the longest LDAP connect ([directory] network_timeout, at most 30 s);
 * tests/integration/test_systemd_unit.sh checks that they agree. */
#define HTTP_DRAIN_S 30

struct http_server;
struct metrics;

struct http_server_options {
	int listen_fd;              /* from http_listen(); the server owns it from now on */
	size_t max_body_bytes;      /* larger request bodies get 413 */
	unsigned connection_timeout_s;
	unsigned max_connections;
	const char *tls_cert_file;  /* both set: HTTPS; both NULL: plain HTTP */
	const char *tls_key_file;
	const struct http_route *routes;
	size_t n_routes;
	void *app;                  /* handed to handlers through http_app() */
	struct metrics *metrics;    /* every answered request is counted here (NULL: not) */
};

/* A listening TCP socket on the numeric IPv4/IPv6 address and port (0 picks a
 * free one, see http_server_port). Done before anything else starts, so a
 * port in use fails the start at once. -1 with the cause ("cannot listen on
 * ADDR port N: Address already in use") in why. */
int http_listen(const char *address, unsigned port, char *why, size_t cap) OB_MUST_USE;

/* Start serving on opt->listen_fd (closed on failure too). NULL (logged) when
 * the TLS files cannot be read, libmicrohttpd refuses, or allocation fails. */
struct http_server *http_server_start(const struct http_server_options *opt) OB_MUST_USE;
/* The bound port (useful with port 0). */
unsigned http_server_port(const struct http_server *srv);
/* Requests being read, handled or answered right now. */
int http_server_in_flight(const struct http_server *srv);
/* Change the body limit for requests that start from now on (SIGHUP). */
void http_server_set_max_body(struct http_server *srv, size_t max_body_bytes);
/* Stop accepting, let in-flight requests finish, free everything. NULL ok. */
void http_server_stop(struct http_server *srv);

/* ---- request accessors (valid during the handler) ---- */
void *http_app(const struct http_request *req);
const char *http_method(const struct http_request *req);
const char *http_path(const struct http_request *req);
/* i-th "{name}" segment of the route pattern, NUL-terminated; NULL if absent. */
const char *http_param(const struct http_request *req, size_t i);
/* Header value (case-insensitive name) or NULL. */
const char *http_header(const struct http_request *req, const char *name);
/* The token of "Authorization: Bearer <token>" (scheme case-insensitive,
 * spaces after it skipped), or NULL when absent or empty. */
const char *http_bearer(const struct http_request *req);
/* Decoded query argument or NULL. */
const char *http_query(const struct http_request *req, const char *name);
/* Request body (NUL-terminated for convenience) and its length. */
const char *http_body(const struct http_request *req, size_t *len);
/* Parse the body as a JSON object. NULL when the body is not a JSON object;
 * then the handler has already been answered with 400 and must return. */
json_t *http_body_json(struct http_request *req);
const char *http_request_id(const struct http_request *req);
/* Peer address as text ("127.0.0.1"). */
const char *http_peer(const struct http_request *req);

/* ---- answering ---- */
/* Add a response header; call before http_respond_*. */
void http_add_header(struct http_request *req, const char *name, const char *value);
/* Answer with a JSON body (stolen: the call owns it, even on failure). NULL body
 * sends no body (204, 304). content_type NULL means application/json. */
void http_respond_json(struct http_request *req, unsigned status, json_t *body,
		       const char *content_type);
void http_respond_raw(struct http_request *req, unsigned status, const char *content_type,
		      const char *body, size_t len);
/* Error body. Management API: {"error":{"status":N,"code":C,"message":M,
 * "request_id":R}}; under /scim/: RFC 7644 error (schemas, status as a string,
 * scimType when code is a SCIM type, detail). */
void http_respond_error(struct http_request *req, unsigned status, const char *code,
			const char *fmt, ...) OB_PRINTF(4, 5);
bool http_responded(const struct http_request *req);

#endif

#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"

#define MAX_RESPONSE_HEADERS 16
#define SCIM_ERROR_SCHEMA "urn:ietf:params:scim:api:messages:2.0:Error"

struct http_server {
	struct MHD_Daemon *mhd;
	const struct http_route *routes;
	size_t n_routes;
	void *app;
	struct metrics *metrics; /* may be NULL */
	atomic_size_t max_body;
	atomic_int in_flight; /* requests between their first byte and completion */
	atomic_uint_fast64_t next_request_id; /* random at start, then counted */
	char *tls_cert_pem; /* MHD keeps pointers to these for its lifetime */
	char *tls_key_pem;
	unsigned port;
};

struct http_request {
	struct http_server *srv;
	struct MHD_Connection *conn;
	char *method;
	char *path;
	char *body;
	size_t body_len;
	size_t body_cap;
	size_t max_body; /* sampled at the start so a reload never cuts a request */
	bool too_large;
	char *params[HTTP_MAX_PARAMS];
	char request_id[40];
	char peer[INET6_ADDRSTRLEN];
	struct timespec started;
	size_t route; /* index into srv->routes once dispatched, else METRICS_NO_ROUTE */

	struct MHD_Response *response;
	unsigned status;
	size_t response_len;
	size_t n_headers;
	char *header_names[MAX_RESPONSE_HEADERS];
	char *header_values[MAX_RESPONSE_HEADERS];
};

static bool is_scim_path(const char *path)
{
	return strncmp(path, "/scim/", 6) == 0;
}

/* A client-supplied X-Request-Id is kept when it is short and plain, so a
 * request can be followed across the load balancer and the daemon. Ours
 * count on from a random start: unique in the process, unlikely to meet
 * another daemon's, and no random draw (a getrandom call) per request. They
 * are labels, not secrets. */
static void request_id_init(struct http_request *req)
{
	const char *given = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Request-Id");
	size_t len = given ? strlen(given) : 0;
	bool plain = len > 0 && len < sizeof(req->request_id);

	for (size_t i = 0; plain && i < len; i++) {
		char c = given[i];
		plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '_' || c == '.';
	}
	if (plain) {
		memcpy(req->request_id, given, len + 1);
	} else {
		uint64_t id = atomic_fetch_add(&req->srv->next_request_id, 1);
		for (int i = 15; i >= 0; i--, id >>= 4)
			req->request_id[i] = "0123456789abcdef"[id & 15];
		req->request_id[16] = '\0';
	}
}

static void peer_init(struct http_request *req)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info ? info->client_addr : NULL;

	strcpy(req->peer, "-");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
			  req->peer, sizeof(req->peer));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  req->peer, sizeof(req->peer));
}

static void request_free(struct http_request *req);

static struct http_request *request_new(struct http_server *srv, struct MHD_Connection *conn,
					const char *url, const char *method)
{
	struct http_request *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return NULL;
	req->srv = srv;
	req->conn = conn;
	req->route = METRICS_NO_ROUTE;
	atomic_fetch_add(&srv->in_flight, 1);
	req->max_body = atomic_load(&srv->max_body);
	clock_gettime(CLOCK_MONOTONIC, &req->started);
	req->method = strdup(method);
	req->path = strdup(url);
	if (req->method == NULL || req->path == NULL)
		goto fail;
	request_id_init(req);
	peer_init(req);
	return req;
fail:
	request_free(req);
	return NULL;
}

static void request_free(struct http_request *req)
{
	if (req == NULL)
		return;
	atomic_fetch_sub(&req->srv->in_flight, 1);
	for (size_t i = 0; i < HTTP_MAX_PARAMS; i++)
		free(req->params[i]);
	for (size_t i = 0; i < req->n_headers; i++) {
		free(req->header_names[i]);
		free(req->header_values[i]);
	}
	if (req->response != NULL)
		MHD_destroy_response(req->response);
	free(req->body);
	free(req->method);
	free(req->path);
	free(req);
}

/* ---- accessors ---- */

void *http_app(const struct http_request *req)
{
	return req->srv->app;
}

const char *http_method(const struct http_request *req)
{
	return req->method;
}

const char *http_path(const struct http_request *req)
{
	return req->path;
}

const char *http_param(const struct http_request *req, size_t i)
{
	return i < HTTP_MAX_PARAMS ? req->params[i] : NULL;
}

const char *http_header(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_bearer(const struct http_request *req)
{
	const char *h = http_header(req, "Authorization");

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h ? h : NULL;
}

const char *http_query(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_body(const struct http_request *req, size_t *len)
{
	if (len != NULL)
		*len = req->body_len;
	return req->body != NULL ? req->body : "";
}

const char *http_request_id(const struct http_request *req)
{
	return req->request_id;
}

const char *http_peer(const struct http_request *req)
{
	return req->peer;
}

bool http_responded(const struct http_request *req)
{
	return req->response != NULL;
}

json_t *http_body_json(struct http_request *req)
{
	json_error_t jerr;
	json_t *doc;

	if (req->body_len == 0) {
		http_respond_error(req, 400, "invalidSyntax", "request body is empty; expected a JSON object");
		return NULL;
	}
	doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		http_respond_error(req, 400, "invalidSyntax", "malformed JSON at line %d column %d: %s",
				   jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		http_respond_error(req, 400, "invalidSyntax", "request body must be a JSON object");
		return NULL;
	}
	return doc;
}

/* ---- answering ---- */

void http_add_header(struct http_request *req, const char *name, const char *value)
{
	char *n, *v;

	if (req->n_headers == MAX_RESPONSE_HEADERS)
		fatal("http: more than %d response headers", MAX_RESPONSE_HEADERS);
	n = strdup(name);
	v = strdup(value);
	if (n == NULL || v == NULL) {
		free(n);
		free(v);
		return;
	}
	req->header_names[req->n_headers] = n;
	req->header_values[req->n_headers] = v;
	req->n_headers++;
}

void http_respond_raw(struct http_request *req, unsigned status, const char *content_type,
		      const char *body, size_t len)
{
	struct MHD_Response *resp;

	if (req->response != NULL) {
		log_warnx("http: %s %s answered twice (status %u ignored)", req->method, req->path,
			  status);
		return;
	}
	resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)(body ? body : ""),
					       MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return;
	if (content_type != NULL && len > 0)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(resp, "X-Request-Id", req->request_id);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	for (size_t i = 0; i < req->n_headers; i++)
		MHD_add_response_header(resp, req->header_names[i], req->header_values[i]);
	req->response = resp;
	req->status = status;
	req->response_len = len;
}

void http_respond_json(struct http_request *req, unsigned status, json_t *body,
		       const char *content_type)
{
	char *text = NULL;

	if (content_type == NULL)
		content_type = is_scim_path(req->path) ? "application/scim+json" : "application/json";
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(body);
		if (text == NULL) {
			http_respond_raw(req, 500, "text/plain", "out of memory\n", 14);
			return;
		}
	}
	http_respond_raw(req, status, content_type, text, text ? strlen(text) : 0);
	free(text);
}

static bool is_scim_type(const char *code)
{
	static const char *const types[] = { "invalidFilter", "tooMany",     "uniqueness",
					     "mutability",    "invalidSyntax", "invalidPath",
					     "noTarget",      "invalidValue", "invalidVers",
					     "sensitive" };
	for (size_t i = 0; code != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(code, types[i]) == 0)
			return true;
	return false;
}

void http_respond_error(struct http_request *req, unsigned status, const char *code,
			const char *fmt, ...)
{
	char message[1024];
	char status_text[8];
	va_list ap;
	json_t *body;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (status >= 500)
		log_warnx("http: %s %s -> %u %s", req->method, req->path, status, message);

	if (is_scim_path(req->path)) {
		snprintf(status_text, sizeof(status_text), "%u", status);
		body = json_pack("{s:[s], s:s, s:s}", "schemas", SCIM_ERROR_SCHEMA, "status",
				 status_text, "detail", message);
		if (body != NULL && is_scim_type(code))
			json_object_set_new(body, "scimType", json_string(code));
	} else {
		body = json_pack("{s:{s:i, s:s, s:s, s:s}}", "error", "status", (int)status, "code",
				 code ? code : "error", "message", message, "request_id",
				 req->request_id);
	}
	if (body == NULL) {
		http_respond_raw(req, status, "text/plain", message, strlen(message));
		return;
	}
	http_respond_json(req, status, body, NULL);
}

/* ---- dispatch ---- */

static void dispatch(struct http_request *req)
{
	struct route_match m;
	int found = http_route_match(req->srv->routes, req->srv->n_routes, req->method, req->path,
				     &m);

	if (found == 404) {
		http_respond_error(req, 404, "not_found", "no such resource: %s", req->path);
		return;
	}
	if (found == 405) {
		http_add_header(req, "Allow", m.allow);
		http_respond_error(req, 405, "method_not_allowed", "%s is not allowed on %s (allowed: %s)",
				   req->method, req->path, m.allow);
		return;
	}
	for (size_t i = 0; i < m.nparams; i++) {
		req->params[i] = strndup(req->path + m.params[i].off, m.params[i].len);
		if (req->params[i] == NULL) {
			http_respond_error(req, 500, "internal", "out of memory");
			return;
		}
	}
	req->route = (size_t)(m.route - req->srv->routes);
	m.route->handler(req);
	if (req->response == NULL)
		http_respond_error(req, 500, "internal", "handler for %s %s gave no answer",
				   m.route->method, m.route->pattern);
}

/* Append an upload chunk, or stop keeping data once over the limit (the rest
 * is read and dropped so the 413 can be sent on a well-formed exchange). */
static void body_append(struct http_request *req, const char *data, size_t len)
{
	if (req->too_large)
		return;
	if (len > req->max_body - req->body_len) {
		req->too_large = true;
		free(req->body);
		req->body = NULL;
		req->body_len = req->body_cap = 0;
		return;
	}
	if (req->body_len + len + 1 > req->body_cap) {
		size_t cap = req->body_cap ? req->body_cap : 4096;
		while (cap < req->body_len + len + 1)
			cap *= 2;
		char *grown = realloc(req->body, cap);
		if (grown == NULL) {
			req->too_large = true; /* answered as 413: we cannot hold it */
			return;
		}
		req->body = grown;
		req->body_cap = cap;
	}
	memcpy(req->body + req->body_len, data, len);
	req->body_len += len;
	req->body[req->body_len] = '\0';
}

static enum MHD_Result queue(struct http_request *req)
{
	enum MHD_Result r = MHD_queue_response(req->conn, req->status, req->response);
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct http_server *srv = cls;
	struct http_request *req = *con_cls;

	if (req == NULL) {
		req = request_new(srv, conn, url, method);
		if (req == NULL)
			return MHD_NO;
		*con_cls = req;
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl != NULL) {
			char *end;
			errno = 0;
			unsigned long long n = strtoull(cl, &end, 10);
			if (errno != 0 || *end != '\0' || n > req->max_body)
				req->too_large = true;
		}
		if (!req->too_large)
			return MHD_YES;
		/* Refuse before reading: the client may be waiting on 100-continue. */
		http_respond_error(req, 413, "tooLarge", "request body exceeds %zu bytes",
				   req->max_body);
		return queue(req);
	}
	if (req->response != NULL) { /* already refused; drain */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		body_append(req, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	log_set_request_id(req->request_id);
	if (req->too_large)
		http_respond_error(req, 413, "tooLarge", "request body exceeds %zu bytes",
				   req->max_body);
	else
		dispatch(req);
	log_set_request_id(NULL);
	if (req->response == NULL)
		return MHD_NO;
	return queue(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_request *req = *con_cls;
	struct timespec now;

	if (req == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - req->started.tv_sec) * 1e3 +
		    (double)(now.tv_nsec - req->started.tv_nsec) / 1e6;
	if (log_enabled(LOG_LVL_INFO)) {
		log_set_request_id(req->request_id);
		log_info("%s %s %s %u %zu %.1fms%s", req->peer, req->method, req->path, req->status,
			 req->response_len, ms,
			 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
		log_set_request_id(NULL);
	}
	if (req->srv->metrics != NULL && req->status != 0)
		metrics_http_observe(req->srv->metrics, req->route, req->method, req->status,
				     ms / 1e3);
	request_free(req);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) OB_PRINTF(2, 0);
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_warnx("libmicrohttpd: %s", buf);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long len;

	if (f == NULL) {
		log_warn("http: cannot open %s", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto fail;
	data = malloc((size_t)len + 1);
	if (data == NULL || fread(data, 1, (size_t)len, f) != (size_t)len)
		goto fail;
	data[len] = '\0';
	fclose(f);
	return data;
fail:
	log_warn("http: cannot read %s", path);
	free(data);
	fclose(f);
	return NULL;
}

int http_listen(const char *address, unsigned port, char *why, size_t cap)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char portstr[8];
	int fd, rc, on = 1;

	snprintf(portstr, sizeof(portstr), "%u", port);
	rc = getaddrinfo(address, portstr, &hints, &ai);
	if (rc != 0) {
		snprintf(why, cap, "invalid listen address '%s': %s", address, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(why, cap, "cannot listen on %s port %u: %s", address, port,
			 strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	/* A restart must not wait for the old connections' TIME_WAIT. */
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (ai->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
		snprintf(why, cap, "cannot listen on %s port %u: %s", address, port,
			 strerror(errno));
		freeaddrinfo(ai);
		close(fd);
		return -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static unsigned bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

struct http_server *http_server_start(const struct http_server_options *opt)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem ops[12];
	size_t n = 0;

	if (srv == NULL)
		goto fail;
	srv->routes = opt->routes;
	srv->n_routes = opt->n_routes;
	atomic_init(&srv->next_request_id, randombytes_random() | (uint64_t)randombytes_random() << 32);
	srv->app = opt->app;
	srv->metrics = opt->metrics;
	atomic_store(&srv->max_body, opt->max_body_bytes);
	srv->port = bound_port(opt->listen_fd);
	/* First, so that libmicrohttpd's messages about the options after it
	 * already go to our log (it warns otherwise). */
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)(void *)mhd_log,
					    NULL };
	if (opt->tls_cert_file != NULL && opt->tls_key_file != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			log_error("http: this libmicrohttpd has no TLS support");
			goto fail;
		}
		srv->tls_cert_pem = read_file(opt->tls_cert_file);
		srv->tls_key_pem = read_file(opt->tls_key_file);
		if (srv->tls_cert_pem == NULL || srv->tls_key_pem == NULL)
			goto fail;
		flags |= MHD_USE_TLS;
		ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert_pem };
		ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key_pem };
	}
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, opt->listen_fd, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
					    (intptr_t)opt->connection_timeout_s, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
					    (intptr_t)opt->max_connections, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
					    (intptr_t)(void *)on_completed, NULL };
	ops[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_ARRAY, ops,
				    MHD_OPTION_END);
	if (srv->mhd == NULL) {
		log_error("http: cannot start serving on port %u", srv->port);
		goto fail;
	}
	return srv;
fail:
	if (srv != NULL) {
		free(srv->tls_cert_pem);
		free(srv->tls_key_pem);
		free(srv);
	}
	close(opt->listen_fd);
	return NULL;
}

unsigned http_server_port(const struct http_server *srv)
{
	return srv->port;
}

int http_server_in_flight(const struct http_server *srv)
{
	return atomic_load(&srv->in_flight);
}

void http_server_set_max_body(struct http_server *srv, size_t max_body_bytes)
{
	atomic_store(&srv->max_body, max_body_bytes);
}

void http_server_stop(struct http_server *srv)
{
	if (srv == NULL)
		return;
	/* Close the listening socket first so a load balancer sees us go, let
	 * the requests already in progress finish and be answered (bounded, so a
	 * stuck client cannot hold shutdown forever), then join the threads;
	 * idle keep-alive connections are simply closed. */
	MHD_socket fd = MHD_quiesce_daemon(srv->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	for (int waited_ms = 0; atomic_load(&srv->in_flight) > 0 && waited_ms < HTTP_DRAIN_S * 1000;
	     waited_ms += 10)
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000L }, NULL);
	MHD_stop_daemon(srv->mhd);
	if (srv->tls_key_pem != NULL)
		sodium_memzero(srv->tls_key_pem, strlen(srv->tls_key_pem));
	free(srv->tls_cert_pem);
	free(srv->tls_key_pem);
	free(srv);
}

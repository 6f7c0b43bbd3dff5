/* Helpers for tests that drive the management API of a running orgbridged
 * (started with the harness). Every helper asserts nothing itself: it returns
 * what happened, so each test states its own expectations. */
#ifndef OB_TESTS_API_UTIL_H
#define OB_TESTS_API_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "harness/harness.h"

/* One request: method and path ("/api/v1/orgs"), bearer token (NULL: none),
 * body (borrowed, NULL: none). Returns the HTTP status (0 on transport
 * failure); *out (may be NULL) receives the parsed JSON body or NULL. */
long api_req(const struct daemon_proc *d, const char *token, const char *method, const char *path,
	     json_t *body, json_t **out);
/* Same with the body given as JSON text built printf-style ("{\"role\":\"%s\"}"). */
long api_reqf(const struct daemon_proc *d, const char *token, const char *method, const char *path,
	      json_t **out, const char *body_fmt, ...) __attribute__((format(printf, 6, 7)));

/* POST /api/v1/signup then keep the session token (cap >= 64). 0 on success. */
int http_signup(const struct daemon_proc *d, const char *email, const char *password, char *token,
	       size_t cap);
/* POST /api/v1/orgs {name}: the org's slug into slug (cap >= 64). 0 on success. */
int http_create_org(const struct daemon_proc *d, const char *token, const char *name, char *slug,
		   size_t cap);

/* String at a dotted path ("error.code", "items.0.id"), or NULL. Borrowed. */
const char *jstr(json_t *root, const char *path);
/* Integer at a dotted path, or -1. */
long long jint(json_t *root, const char *path);
/* The "error.code" of an error body, or "" (never NULL). */
const char *jerr(json_t *root);

/* Mail written by the file transport into dir (the daemon's [mail] file_dir):
 * how many messages there are, and the newest token with this prefix
 * ("obi_", "obx_") found in any message to `to` (NULL: any recipient), copied
 * into token. 0 when found. Waits up to 5 s for such a message to appear. */
int mail_file_count(const char *dir);
int mail_file_token(const char *dir, const char *to, const char *prefix, char *token, size_t cap);
/* Whether some message in dir contains needle (now, without waiting). */
bool mail_file_contains(const char *dir, const char *needle);

#endif

/* What every SCIM endpoint does around its work: pin the config, borrow a
 * database connection, authenticate the connection's bearer token into an
 * IdP actor scoped to that connection's org, and answer in SCIM's shapes
 * (application/scim+json, RFC 7644 error bodies, ETag, Location).
 *
 * Handler shape:
 *	struct scim_call call;
 *	if (scim_begin(req, &call) != 0) { scim_end(&call); return; }
 *	... scim_call_fail(&call, &serr) / scim_call_fail_core(&call, &cerr)
 *	    or scim_reply(&call, 200, json, version) ...
 *	scim_end(&call);
 *
 * (error.h already owns the name scim_fail for filling a struct scim_error,
 * so the answering functions are scim_call_fail*.) */
#ifndef OB_SCIM_CALL_H
#define OB_SCIM_CALL_H

#include <jansson.h>
#include <stdbool.h>

#include "app.h"
#include "core/core.h"
#include "http/server.h"
#include "scim/error.h"
#include "scim/schema.h"

#define SCIM_CONTENT_TYPE "application/scim+json"
#define SCIM_LIST_RESPONSE_SCHEMA "urn:ietf:params:scim:api:messages:2.0:ListResponse"

struct scim_call {
	struct http_request *req;
	struct app *app;
	struct app_config *held;
	struct core_ctx ctx;   /* actor: ACTOR_IDP, audit source "scim:<connection name>" */
	char org_id[UUID_TEXT_LEN];        /* the connection's org: the only one it sees */
	char connection_id[UUID_TEXT_LEN];
	char connection_name[128];
	/* [server] public_base_url + "/scim/v2", no trailing slash: the prefix
	 * of every meta.location ("<base_url>/Users/<id>"). */
	char base_url[512];
};

/* Authenticate "Authorization: Bearer <token>" against scim_tokens (by
 * digest; the token must be neither revoked nor past expires_at, and its
 * connection not revoked) and borrow a database connection. On failure the
 * request is already answered (401 SCIM error + WWW-Authenticate, or 503)
 * and -1 is returned; scim_end is still safe to call. */
int scim_begin(struct http_request *req, struct scim_call *call) OB_MUST_USE;
/* The same without keeping a connection (a token the cache does not know
 * borrows one for its check and gives it back): for reads that may not need
 * one of their own (user_store_get). */
int scim_authenticate(struct http_request *req, struct scim_call *call) OB_MUST_USE;
/* Borrow a connection unless one is held: 0, or -1 with 503 in *err. */
int scim_call_borrow_db(struct scim_call *call, struct core_error *err) OB_MUST_USE;
/* Release the connection and the config. */
void scim_end(struct scim_call *call);
/* Give the database connection back early, once a read has all it needs
 * (rendering and answering need no database): the pool's 8 connections
 * then serve other requests meanwhile. scim_end stays the last call. */
void scim_release_db(struct scim_call *call);

/* How caseExact=false values compare in memory (scim/fold.h): as the
 * database's lower() folds, so PATCH value filters and merges agree with the
 * same comparison in SQL. Asked of the database once per daemon, on the
 * borrowed connection (one statement that cannot fail; harmless inside a
 * transaction). NULL means ASCII folding. */
const struct scim_fold *scim_call_fold(const struct scim_call *call);

/* Answer with the SCIM error body for err (status, scimType, detail). */
void scim_call_fail(struct scim_call *call, const struct scim_error *err);
/* Answer a core_error as a SCIM error: its code becomes the scimType when it
 * is one of RFC 7644's (uniqueness, mutability, invalidValue, ...). */
void scim_call_fail_core(struct scim_call *call, const struct core_error *err);

/* Answer with body (stolen) as application/scim+json. version (NULL: none)
 * becomes the ETag W/"<version>". For 201 the Location header is taken from
 * body's meta.location when present. */
void scim_reply(struct scim_call *call, unsigned status, json_t *body, const char *version);

/* The version number of a rendered resource (from meta.version W/"<n>")
 * into buf; "" when absent. */
void scim_resource_version(json_t *resource, char *buf, size_t cap);

/* Reply with a rendered resource (stolen) of type rt: its ETag from
 * meta.version, reduced to what the request's attributes /
 * excludedAttributes query parameters ask for (RFC 7644 3.9). */
void scim_reply_resource(struct scim_call *call, unsigned status, const struct scim_rtype *rt,
			 json_t *resource);
/* Answer a GET of one resource of type rt: err when resource is NULL, 304
 * when If-None-Match names its version, else 200 with it (stolen). */
void scim_reply_get(struct scim_call *call, const struct scim_rtype *rt, json_t *resource,
		    const struct core_error *err);
/* Replace every resource of the array by its projection. -1 on ENOMEM. */
int scim_project_list(const struct scim_rtype *rt, json_t *resources, const char *attributes,
		      const char *excluded) OB_MUST_USE;

/* startIndex (1-based, values < 1 count as 1, RFC 7644 3.4.2.4) and count
 * (negative counts as 0; capped by [scim] max_results; default the cap).
 * -1 when either is not an integer (answered 400 invalidValue). */
int scim_paging(struct scim_call *call, unsigned *start_index, unsigned *count) OB_MUST_USE;
/* {"schemas":[ListResponse], "totalResults", "startIndex", "itemsPerPage",
 * "Resources"} around resources (stolen, an array). NULL on allocation
 * failure. */
json_t *scim_list_response(json_t *resources, long long total, unsigned start_index);

/* The request body as a JSON object; NULL when absent or not an object
 * (then answered 400 invalidSyntax). Caller owns the result. */
json_t *scim_body(struct scim_call *call);

/* Preconditions against the resource's current version (the number that
 * W/"<version>" carries). scim_if_none_match: true when If-None-Match names
 * the current version (or is "*"); the request is then answered 304 with the
 * ETag. scim_if_match: -1 when If-Match is present and names neither the
 * current version nor "*"; the request is then answered 412. */
bool scim_if_none_match(struct scim_call *call, const char *version);
int scim_if_match(struct scim_call *call, const char *version) OB_MUST_USE;
/* The If-Match version wanted, as a number, for writes that check it inside
 * their transaction: 0 when the header is absent or "*"; -1 when present
 * but unparsable (never matches). */
long scim_if_match_version(struct scim_call *call);
/* The same for a header value (or a Bulk operation's "version"; NULL: 0). */
long scim_version_of(const char *if_match);
/* Does the header (a list of entity tags, weak or strong, or "*") name
 * version? */
bool scim_etag_matches(const char *header, const char *version);

#endif

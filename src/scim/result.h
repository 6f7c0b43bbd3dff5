/* The outcome of one SCIM operation before it is sent: what a single-resource
 * handler answers, and what /Bulk collects for each of its operations. The
 * per-request cores (scim/ops.h) fill a struct scim_result instead of
 * answering the HTTP request, so one core serves both paths.
 *
 *	struct scim_result res;
 *	scim_result_init(&res);
 *	scim_user_create_do(&call, body, &res);
 *	scim_send(&call, &res);      (or: copy what Bulk needs, then clear)
 *	scim_result_clear(&res);
 */
#ifndef OB_SCIM_RESULT_H
#define OB_SCIM_RESULT_H

#include <jansson.h>

#include "core/core.h"
#include "scim/call.h"
#include "scim/error.h"
#include "scim/schema.h"

#define SCIM_ERROR_SCHEMA "urn:ietf:params:scim:api:messages:2.0:Error"

struct scim_result {
	unsigned status;    /* 0 until set */
	json_t *body;       /* owned: the resource, the RFC 7644 error body, or NULL (204) */
	char version[32];   /* the resource's version number ("" none): ETag W/"<version>" */
	char location[512]; /* the resource's meta.location ("" none) */
};

void scim_result_init(struct scim_result *r);
/* Release the body; the struct may be reused after scim_result_init. */
void scim_result_clear(struct scim_result *r);

/* Success with a rendered resource (stolen): version and location are taken
 * from its meta. A NULL resource is an allocation failure (500). */
void scim_result_resource(struct scim_result *r, unsigned status, json_t *resource);
/* Success without a body (204): version and location may be NULL. */
void scim_result_empty(struct scim_result *r, unsigned status, const char *version,
		       const char *location);

/* Failure: the RFC 7644 error body {"schemas","status","scimType","detail"}
 * (scimType only when scim_type is one of RFC 7644's). 5xx are logged. */
void scim_result_error(struct scim_result *r, unsigned status, const char *scim_type,
		       const char *fmt, ...) OB_PRINTF(4, 5);
void scim_result_fail(struct scim_result *r, const struct scim_error *err);
void scim_result_fail_core(struct scim_result *r, const struct core_error *err);

/* The scimType for a core error: its code when that is RFC 7644's, the SCIM
 * name of codes that mean one (username_taken -> uniqueness, guardrail
 * refusals -> mutability, ...), else the code itself (not a SCIM type: the
 * error body then has no scimType). */
const char *scim_type_of_core(const struct core_error *err);

/* Answer the call's request with r (its body is consumed; r is cleared). */
void scim_send(struct scim_call *call, struct scim_result *r);
/* The same for a single-resource endpoint of type rt: a resource body is
 * first reduced to the request's attributes / excludedAttributes. */
void scim_send_projected(struct scim_call *call, struct scim_result *r,
			 const struct scim_rtype *rt);

/* A single-resource write endpoint of type rt (POST/PUT/PATCH/DELETE on
 * /Users or /Groups): scim_begin, the JSON body when needs_body (else NULL;
 * a missing one is answered 400), op, then scim_send_projected and scim_end.
 * op reads the id and If-Match from call->req and runs a scim/ops.h core. */
typedef void scim_op_fn(struct scim_call *call, json_t *body, struct scim_result *res);
void scim_op_request(struct http_request *req, const struct scim_rtype *rt, bool needs_body,
		     scim_op_fn *op);

#endif

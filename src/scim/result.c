#include "scim/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scim/user_store.h"

void scim_result_init(struct scim_result *r)
{
	memset(r, 0, sizeof(*r));
}

void scim_result_clear(struct scim_result *r)
{
	json_decref(r->body);
	r->body = NULL;
}

void scim_result_resource(struct scim_result *r, unsigned status, json_t *resource)
{
	const char *loc;

	scim_result_clear(r);
	if (resource == NULL) {
		scim_result_error(r, 500, NULL, "internal error");
		return;
	}
	r->status = status;
	r->body = resource;
	scim_resource_version(resource, r->version, sizeof(r->version));
	loc = json_string_value(json_object_get(json_object_get(resource, "meta"), "location"));
	snprintf(r->location, sizeof(r->location), "%s", loc ? loc : "");
}

void scim_result_empty(struct scim_result *r, unsigned status, const char *version,
		       const char *location)
{
	scim_result_clear(r);
	r->status = status;
	snprintf(r->version, sizeof(r->version), "%s", version ? version : "");
	snprintf(r->location, sizeof(r->location), "%s", location ? location : "");
}

void scim_result_error(struct scim_result *r, unsigned status, const char *scim_type,
		       const char *fmt, ...)
{
	char detail[1024], status_text[8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (status >= 500)
		log_warnx("scim: %u %s", status, detail);
	scim_result_clear(r);
	r->status = status;
	r->version[0] = r->location[0] = '\0';
	snprintf(status_text, sizeof(status_text), "%u", status);
	r->body = json_pack("{s:[s], s:s, s:s}", "schemas", SCIM_ERROR_SCHEMA, "status", status_text,
			    "detail", detail);
	if (r->body != NULL && scim_type_known(scim_type))
		json_object_set_new(r->body, "scimType", json_string(scim_type));
}

void scim_result_fail(struct scim_result *r, const struct scim_error *err)
{
	scim_result_error(r, err->status > 0 ? (unsigned)err->status : 500, err->scim_type, "%s",
			  err->detail);
}

/* Core codes that are SCIM's scimType under another name. Guardrail
 * refusals keep their status (409) and their detail names the rule; their
 * scimType is "mutability", which RFC 7644 defines as a modification "not
 * compatible with the target attribute's mutability or current state". */
const char *scim_type_of_core(const struct core_error *err)
{
	static const struct {
		const char *code;
		const char *scim_type;
	} map[] = {
		{ "username_taken", SCIM_UNIQUENESS },
		{ "already_member", SCIM_UNIQUENESS },
		{ "conflict", SCIM_UNIQUENESS },
		{ "team_name_taken", SCIM_UNIQUENESS },
		{ "invalid_value", SCIM_INVALID_VALUE },
		{ "immutable_field", SCIM_MUTABILITY },
		{ "owner_managed_locally", SCIM_MUTABILITY },
		{ "owner_required", SCIM_MUTABILITY },
		{ "last_admin_like", SCIM_MUTABILITY },
		{ "second_active_owner", SCIM_MUTABILITY },
		{ "managed_by_idp", SCIM_MUTABILITY },
		{ "member_removed", SCIM_MUTABILITY },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(err->code, map[i].code) == 0)
			return map[i].scim_type;
	return err->code;
}

void scim_result_fail_core(struct scim_result *r, const struct core_error *err)
{
	scim_result_error(r, err->status ? err->status : 500, scim_type_of_core(err), "%s",
			  err->message);
}

void scim_send(struct scim_call *call, struct scim_result *r)
{
	json_t *body = r->body;

	r->body = NULL;
	if (r->status == 0) {
		json_decref(body);
		http_respond_error(call->req, 500, "internal", "internal error");
		return;
	}
	if (r->status >= 400) {
		if (r->status == 401)
			http_add_header(call->req, "WWW-Authenticate",
					"Bearer realm=\"orgbridge-scim\"");
		http_respond_json(call->req, r->status, body, SCIM_CONTENT_TYPE);
		return;
	}
	if (body == NULL && r->location[0] != '\0' && r->status == 201)
		http_add_header(call->req, "Location", r->location);
	scim_reply(call, r->status, body, r->version);
}

void scim_send_projected(struct scim_call *call, struct scim_result *r,
			 const struct scim_rtype *rt)
{
	if (r->status >= 200 && r->status < 300 && r->body != NULL) {
		json_t *out = scim_project(rt, r->body, http_query(call->req, "attributes"),
					   http_query(call->req, "excludedAttributes"));
		json_decref(r->body);
		r->body = out;
		if (out == NULL)
			r->status = 0; /* answered 500 */
	}
	scim_send(call, r);
}

void scim_op_request(struct http_request *req, const struct scim_rtype *rt, bool needs_body,
		     scim_op_fn *op)
{
	struct scim_call call;
	struct scim_result res;
	json_t *body = NULL;

	scim_result_init(&res);
	if (scim_begin(req, &call) != 0 || (needs_body && (body = scim_body(&call)) == NULL))
		goto done;
	op(&call, body, &res);
	scim_send_projected(&call, &res, rt);
done:
	json_decref(body);
	scim_end(&call);
}

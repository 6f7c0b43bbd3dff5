/* SCIM discovery (RFC 7644 section 4): /ServiceProviderConfig,
 * /ResourceTypes[/{id}] and /Schemas[/{id}], generated from the schema
 * registry (scim/schema.h) and the [scim] limits of the pinned config.
 *
 * Like every SCIM endpoint they need the connection's bearer token
 * (docs/DECISIONS.md, SCIM). RFC 7644 section 4: sorting and paging
 * parameters are ignored, and a "filter" is answered 403 so that a client
 * never takes an unfiltered answer for a filtered one. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "scim/call.h"
#include "scim/schema.h"

#define SPC_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"

/* scim_begin, then the checks every discovery endpoint shares; on failure the
 * request is answered. The registry into *reg. */
static int discovery_begin(struct http_request *req, struct scim_call *call,
			   const struct scim_registry **reg)
{
	struct scim_error err;

	if (scim_begin(req, call) != 0)
		return -1;
	if (http_query(req, "filter") != NULL) {
		scim_fail(&err, 403, NULL, "filtering is not supported on discovery endpoints");
		scim_call_fail(call, &err);
		return -1;
	}
	*reg = scim_registry_builtin();
	if (*reg == NULL) {
		scim_fail(&err, 500, NULL, "the SCIM schema definitions are unavailable");
		scim_call_fail(call, &err);
		return -1;
	}
	return 0;
}

/* A copy of doc (a Schema or ResourceType document) with its "schemas" and
 * meta {resourceType, location "<base>/<endpoint>/<id>"}. NULL on ENOMEM. */
static json_t *described(const struct scim_call *call, const json_t *doc, const char *schema_urn,
			 const char *resource_type, const char *endpoint)
{
	json_t *out = json_deep_copy(doc);
	const char *id = json_string_value(json_object_get(doc, "id"));
	char location[1024];

	if (out == NULL || id == NULL)
		goto fail;
	snprintf(location, sizeof(location), "%s/%s/%s", call->base_url, endpoint, id);
	if (json_object_get(out, "schemas") == NULL &&
	    json_object_set_new(out, "schemas", json_pack("[s]", schema_urn)) != 0)
		goto fail;
	if (json_object_set_new(out, "meta", json_pack("{s:s, s:s}", "resourceType", resource_type,
						       "location", location)) != 0)
		goto fail;
	return out;
fail:
	json_decref(out);
	return NULL;
}

static json_t *schema_described(const struct scim_call *call, const json_t *doc)
{
	return described(call, doc, SCIM_SCHEMA_SCHEMA, "Schema", "Schemas");
}

static json_t *rtype_described(const struct scim_call *call, const struct scim_rtype *rt)
{
	return described(call, scim_rtype_doc(rt), SCIM_RESOURCE_TYPE_SCHEMA, "ResourceType",
			 "ResourceTypes");
}

static void reply_or_500(struct scim_call *call, json_t *body)
{
	struct scim_error err;

	if (body == NULL) {
		scim_fail(&err, 500, NULL, "internal error");
		scim_call_fail(call, &err);
		return;
	}
	scim_reply(call, 200, body, NULL);
}

/* The registry's i-th Schema / ResourceType as served, NULL on ENOMEM. */
typedef json_t *(*item_fn)(const struct scim_call *call, const struct scim_registry *reg,
			   size_t i);
/* The one named id (case-insensitive) as served; *found false when none. */
typedef json_t *(*find_fn)(const struct scim_call *call, const struct scim_registry *reg,
			   const char *id, bool *found);

/* GET of a list: a ListResponse of every item, paging ignored. */
static void serve_list(struct http_request *req, size_t (*count)(const struct scim_registry *),
		       item_fn item)
{
	struct scim_call call;
	const struct scim_registry *reg;
	json_t *list;
	bool failed;

	if (discovery_begin(req, &call, &reg) != 0)
		goto done;
	list = json_array();
	failed = list == NULL;
	for (size_t i = 0; !failed && i < count(reg); i++)
		failed = json_array_append_new(list, item(&call, reg, i)) != 0;
	if (failed) {
		json_decref(list);
		list = NULL;
	}
	reply_or_500(&call, scim_list_response(list, (long long)json_array_size(list), 1));
done:
	scim_end(&call);
}

/* GET of one by the {id} of the route; a SCIM 404 names what is missing. */
static void serve_one(struct http_request *req, const char *what, find_fn find)
{
	struct scim_call call;
	const struct scim_registry *reg;
	struct scim_error err;
	const char *id = http_param(req, 0);
	bool found = false;
	json_t *body;

	if (discovery_begin(req, &call, &reg) != 0)
		goto done;
	body = find(&call, reg, id ? id : "", &found);
	if (!found) {
		scim_fail(&err, 404, NULL, "no %s '%.200s'", what, id ? id : "");
		scim_call_fail(&call, &err);
	} else {
		reply_or_500(&call, body);
	}
done:
	scim_end(&call);
}

static json_t *rtype_item(const struct scim_call *call, const struct scim_registry *reg, size_t i)
{
	return rtype_described(call, scim_registry_rtype_at(reg, i));
}

static json_t *rtype_find(const struct scim_call *call, const struct scim_registry *reg,
			  const char *id, bool *found)
{
	const struct scim_rtype *rt = scim_registry_rtype(reg, id);

	*found = rt != NULL;
	return rt ? rtype_described(call, rt) : NULL;
}

static json_t *schema_item(const struct scim_call *call, const struct scim_registry *reg,
			   size_t i)
{
	return schema_described(call, scim_registry_schema_doc(reg, i));
}

static json_t *schema_find(const struct scim_call *call, const struct scim_registry *reg,
			   const char *id, bool *found)
{
	const json_t *doc = scim_registry_schema_by_id(reg, id);

	*found = doc != NULL;
	return doc ? schema_described(call, doc) : NULL;
}

void scim_service_provider_config(struct http_request *req)
{
	struct scim_call call;
	const struct scim_registry *reg;
	const struct config *cfg;
	char location[640];

	if (discovery_begin(req, &call, &reg) != 0)
		goto done;
	cfg = call.ctx.cfg;
	snprintf(location, sizeof(location), "%s/ServiceProviderConfig", call.base_url);
	reply_or_500(&call, json_pack(
		"{s:[s], s:{s:b}, s:{s:b, s:I, s:I}, s:{s:b, s:I}, s:{s:b}, s:{s:b}, s:{s:b},"
		" s:[{s:s, s:s, s:s, s:s, s:b}], s:{s:s, s:s}}",
		"schemas", SPC_SCHEMA,
		"patch", "supported", 1,
		"bulk", "supported", 1, "maxOperations", (json_int_t)cfg->scim_bulk_max_operations,
		"maxPayloadSize", (json_int_t)cfg->scim_bulk_max_payload,
		"filter", "supported", 1, "maxResults",
		(json_int_t)(cfg->scim_max_results ? cfg->scim_max_results : 100),
		"changePassword", "supported", 0,
		"sort", "supported", 1,
		"etag", "supported", 1,
		"authenticationSchemes", "type", "oauthbearertoken", "name", "OAuth Bearer Token",
		"description", "The SCIM connection's token: Authorization: Bearer <token>",
		"specUri", "https://www.rfc-editor.org/info/rfc6750", "primary", 1,
		"meta", "resourceType", "ServiceProviderConfig", "location", location));
done:
	scim_end(&call);
}

void scim_resource_types_list(struct http_request *req)
{
	serve_list(req, scim_registry_rtype_count, rtype_item);
}

void scim_resource_type_get(struct http_request *req)
{
	serve_one(req, "resource type", rtype_find);
}

void scim_schemas_list(struct http_request *req)
{
	serve_list(req, scim_registry_schema_count, schema_item);
}

void scim_schema_get(struct http_request *req)
{
	serve_one(req, "schema", schema_find);
}

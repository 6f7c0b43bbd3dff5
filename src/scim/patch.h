/* SCIM PATCH engine (RFC 7644 section 3.5.2): apply a PatchOp request body
 * to a resource held as JSON in its canonical form (core attributes at the
 * top level, extension attributes under their schema URN key). Pure: no I/O.
 *
 * Atomic: the operations run on a copy (copy-on-write, so a PATCH costs what
 * it touches, not the size of the resource); either all apply and the new
 * resource is returned, or none does and the input is left untouched.
 * Tolerates what Okta and Entra ID send: op names in any case ("Replace"),
 * path-less add/replace whose value object holds dotted ("name.givenName")
 * and URN-qualified keys, members removal with a value array, and booleans as
 * the strings "True"/"False". */
#ifndef OB_SCIM_PATCH_H
#define OB_SCIM_PATCH_H

#include <stdbool.h>

#include <jansson.h>

#include "log.h"
#include "scim/error.h"
#include "scim/filter.h"

/* Apply body ({"schemas":[PatchOp URN],"Operations":[...]}) to resource.
 * schema describes the resource type (its lookup must cover the common
 * attributes; readOnly ones, such as id and meta, are refused).
 * fold: how caseExact=false values compare, in value filters and when
 * values are merged or removed by value (NULL: ASCII); the database's
 * folding (scim_call_fold), so PATCH agrees with the same filter in SQL.
 * max_filter_depth as in scim_filter_parse (0 = default).
 * On success returns 0, *out is a new reference to the patched resource (it
 * shares the values it did not change with resource and body: treat all
 * three as read-only, or json_deep_copy the result) and
 * *changed (may be NULL) tells whether it differs from the input (a no-op
 * patch must not bump the version); err is left alone. On failure returns -1,
 * *out is NULL and err (may be NULL) holds the SCIM error, its detail
 * starting "Operations[i]: " for a failing operation: 400 invalidSyntax
 * (malformed body or operation, unknown sub-attribute in a value),
 * invalidPath (bad path, unknown attribute), invalidFilter, invalidValue
 * (value of the wrong type, missing value, two primary values), noTarget
 * (remove without path; replace/remove whose value filter matches nothing),
 * mutability (readOnly or immutable attribute changed, required attribute
 * removed); 500 for a NULL schema, a resource that is not an object, ENOMEM.
 * The choices where RFC 7644 is silent: docs/DECISIONS.md, "SCIM PATCH". */
int scim_patch_apply(const json_t *resource, const json_t *body,
		     const struct scim_schema_view *schema, const struct scim_fold *fold,
		     unsigned max_filter_depth, json_t **out, bool *changed,
		     struct scim_error *err) OB_MUST_USE;

#endif

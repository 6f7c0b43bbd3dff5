/* SCIM PATCH engine (RFC 7644 section 3.5.2): apply a PatchOp request body
 * to a resource held as JSON in its canonical form (core attributes at the
 * top level, extension attributes under their schema URN key). Pure: no I/O.
 *
 * Atomic: the operations run on a deep copy; either all apply and the new
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
 * max_filter_depth as in scim_filter_parse (0 = default).
 * On success returns 0, *out is a new reference to the patched resource and
 * *changed tells whether it differs from the input (a no-op patch must not
 * bump the version). On failure returns -1, *out is NULL and err holds the
 * SCIM error: 400 invalidSyntax (malformed body or value), invalidPath
 * (unknown attribute or bad path), invalidFilter, invalidValue, noTarget
 * (replace/remove whose value filter matches nothing), mutability (readOnly
 * or immutable attribute). */
int scim_patch_apply(const json_t *resource, const json_t *body,
		     const struct scim_schema_view *schema, unsigned max_filter_depth,
		     json_t **out, bool *changed, struct scim_error *err) OB_MUST_USE;

#endif

/* SCIM Group requests as plain data (RFC 7643 section 4.2, RFC 7644 section
 * 3.5.2): a Group resource (POST, PUT) and a PatchOp on a Group, parsed and
 * checked before anything touches the database. Pure: no I/O.
 *
 * A PatchOp becomes a list of Group operations that say what happens to the
 * stored group (its name, its externalId, which member ids go in or out)
 * rather than a new rendering of it, so a PATCH on a group with tens of
 * thousands of members touches only the members it names. Accepted shapes,
 * with op names in any case ("Add", "Replace", "Remove"):
 *   - path "displayName" / "externalId" (optionally URN-qualified);
 *   - path "members": add (value array), replace (the whole list), remove
 *     with a value array (Entra ID) or without a value (every member);
 *   - path "members[value eq \"id\"]" remove (Okta); any other value filter
 *     is kept as a filter, evaluated against each member by the store;
 *   - no path: add/replace with an object of displayName, externalId,
 *     members and id (which must name this group; Okta sends it). */
#ifndef OB_SCIM_GROUP_INPUT_H
#define OB_SCIM_GROUP_INPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "scim/error.h"
#include "scim/filter.h"

#define SCIM_GROUP_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:Group"
#define SCIM_PATCH_OP_SCHEMA "urn:ietf:params:scim:api:messages:2.0:PatchOp"

/* Member ids as sent (borrowed from the request JSON); whether each is one of
 * the connection's Users is the store's question. */
struct scim_ids {
	size_t n;
	const char **v; /* the array is owned, the strings borrowed */
};

/* A Group resource's writable state. Strings are borrowed from the resource,
 * which must outlive *in. */
struct scim_group_input {
	const char *display_name; /* required, non-empty */
	const char *external_id;  /* NULL: none */
	bool has_members;         /* the "members" attribute was sent */
	struct scim_ids members;
};

/* Attribute names match case-insensitively, optionally prefixed with the
 * Group schema URN; id and meta are ignored (read-only), "schemas" may list
 * other URNs (Entra ID adds its own). 400 invalidValue when displayName is
 * missing or not a string, externalId not a string, or a member is not an
 * object with a string "value" (or has a "type" other than "User": groups
 * hold only Users); 400 invalidSyntax for an unknown attribute. Free with
 * scim_group_input_clear (also after a failure). */
int scim_group_input_from(const json_t *resource, struct scim_group_input *in,
			  struct scim_error *err) OB_MUST_USE;
void scim_group_input_clear(struct scim_group_input *in);

enum group_op_kind {
	GROUP_OP_SET_NAME,        /* text */
	GROUP_OP_SET_EXTERNAL_ID, /* text; NULL clears it */
	GROUP_OP_ADD_MEMBERS,     /* ids */
	GROUP_OP_REMOVE_MEMBERS,  /* ids (absent ones are ignored) */
	GROUP_OP_REMOVE_MATCHING, /* filter over a member {value, display, type, $ref} */
	GROUP_OP_REMOVE_ALL,
	GROUP_OP_REPLACE_MEMBERS, /* ids: the whole new list */
};

struct group_op {
	enum group_op_kind kind;
	const char *text;           /* borrowed from the body */
	struct scim_ids ids;
	struct scim_filter *filter; /* owned */
};

struct group_patch {
	size_t n;
	struct group_op *ops; /* owned, in request order */
	/* How a value filter folds members' values (scim_call_fold; NULL:
	 * ASCII). Not parsed: the caller sets it. */
	const struct scim_fold *fold;
};

/* Parse a PatchOp body for the group group_id. max_filter_depth as in
 * scim_filter_parse (0: default). On failure *out is empty and err holds 400
 * invalidSyntax (malformed body or op), invalidPath (unknown attribute, or a
 * value filter on anything but a members removal), invalidFilter,
 * invalidValue (wrong value type), mutability (id, meta), noTarget (remove
 * without a path). Strings stay borrowed from body. Free with
 * group_patch_clear (also after a failure). */
int group_patch_parse(const json_t *body, const char *group_id, unsigned max_filter_depth,
		      struct group_patch *out, struct scim_error *err) OB_MUST_USE;
void group_patch_clear(struct group_patch *p);

#endif

/* The SCIM schema registry (RFC 7643 sections 2, 3.1, 6, 7 and 8.7): the
 * schemas and ResourceTypes shipped in schemas/scim/ (JSON), parsed once and
 * immutable afterwards, so any thread may read them without locks.
 *
 * Resources are held as JSON in their canonical form: core and common
 * attributes (id, externalId, meta, schemas) at the top level, extension
 * attributes in an object under the extension's schema URN, every name in
 * the schema's spelling.
 *
 * Typical use by a handler:
 *	const struct scim_rtype *rt = scim_rtype_user();   (NULL: see below)
 *	filter evaluation / PATCH:   scim_rtype_view(rt)
 *	POST/PUT body:               in = scim_validate(rt, body, current_or_NULL, &err)
 *	response:                    out = scim_project(rt, resource, attributes, excluded)
 */
#ifndef OB_SCIM_SCHEMA_H
#define OB_SCIM_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "log.h"
#include "scim/error.h"
#include "scim/filter.h"
#include "scim/schema_data.h"

#define SCIM_USER_URN "urn:ietf:params:scim:schemas:core:2.0:User"
#define SCIM_GROUP_URN "urn:ietf:params:scim:schemas:core:2.0:Group"
#define SCIM_ENTERPRISE_URN "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define SCIM_SCHEMA_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:Schema"
#define SCIM_RESOURCE_TYPE_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:ResourceType"

/* RFC 7643 section 2.2 "returned" and "uniqueness". */
enum scim_returned { SCIM_RET_DEFAULT, SCIM_RET_ALWAYS, SCIM_RET_NEVER, SCIM_RET_REQUEST };
enum scim_uniqueness { SCIM_UNIQ_NONE, SCIM_UNIQ_SERVER, SCIM_UNIQ_GLOBAL };

/* One attribute definition, read-only (owned by the registry). */
struct scim_attr_def {
	const char *name;   /* canonical spelling */
	enum scim_atype type;
	bool multi_valued;
	bool required;
	bool case_exact;
	enum scim_mut mutability;
	enum scim_returned returned;
	enum scim_uniqueness uniqueness;
	const struct scim_attr_def *subs; /* complex only: n_subs sub-attributes */
	size_t n_subs;
};

struct scim_registry;  /* schemas + resource types */
struct scim_rtype;     /* one resource type: core schema, extensions, common attributes */

/* Parse a registry from JSON documents (a table ended by a NULL name): each
 * is a Schema ({"id","attributes",...}), a ResourceType ({"id","endpoint",
 * "schema","schemaExtensions"}), or the schema with id "common" that defines
 * the common attributes every resource type has (not served by /Schemas).
 * A ResourceType may only name schemas of the same table. Returns NULL with
 * err (status 500, detail naming the file and attribute) when a document is
 * malformed. Free with scim_registry_free. */
struct scim_registry *scim_registry_load(const struct embedded_file *files,
					 struct scim_error *err) OB_MUST_USE;
void scim_registry_free(struct scim_registry *reg);

/* The registry of the definitions built into the daemon, loaded on first use
 * (pthread_once) and kept for the life of the process. NULL only when the
 * shipped JSON is broken (a build defect, logged; tests/unit/test_scim_schema
 * catches it). */
const struct scim_registry *scim_registry_builtin(void);
/* The built-in "User" and "Group" resource types (NULL as above). */
const struct scim_rtype *scim_rtype_user(void);
const struct scim_rtype *scim_rtype_group(void);

/* A resource type by id ("User"), case-insensitive; NULL when unknown. */
const struct scim_rtype *scim_registry_rtype(const struct scim_registry *reg, const char *id);
size_t scim_registry_rtype_count(const struct scim_registry *reg);
const struct scim_rtype *scim_registry_rtype_at(const struct scim_registry *reg, size_t i);

/* The served schemas (every schema but "common"), in file order, as the
 * shipped JSON documents; by id (URN, case-insensitive) NULL when unknown.
 * The documents are shared and read-only: json_deep_copy before changing. */
size_t scim_registry_schema_count(const struct scim_registry *reg);
const json_t *scim_registry_schema_doc(const struct scim_registry *reg, size_t i);
const json_t *scim_registry_schema_by_id(const struct scim_registry *reg, const char *id);

/* The resource type's id ("User"), endpoint ("/Users"), core schema URN and
 * its ResourceType document (shared, read-only). */
const char *scim_rtype_id(const struct scim_rtype *rt);
const char *scim_rtype_endpoint(const struct scim_rtype *rt);
const char *scim_rtype_core_urn(const struct scim_rtype *rt);
const json_t *scim_rtype_doc(const struct scim_rtype *rt);

/* The view the filter evaluator and the PATCH engine take (scim/filter.h).
 * Its lookup resolves, case-insensitively:
 *   urn NULL or the core URN: core attributes, then the common ones (id,
 *     externalId, meta, schemas);
 *   an extension URN of the type: that extension's attributes (ext_urn set
 *     to the canonical URN, the key the attributes live under);
 *   sub: a sub-attribute of a complex attribute (-1 for a simple one).
 * Unqualified names never resolve to extension attributes (RFC 7644 3.10:
 * those are written URN-qualified). Owned by the registry. */
const struct scim_schema_view *scim_rtype_view(const struct scim_rtype *rt);

/* The same resolution with the full definition: NULL when unknown; *ext_urn
 * (may be NULL) gets the canonical extension URN or NULL for core/common. */
const struct scim_attr_def *scim_rtype_attr(const struct scim_rtype *rt, const char *urn,
					    const char *attr, const char *sub,
					    const char **ext_urn);

/* ---- Input: POST and PUT bodies (RFC 7643 2.2-2.5, RFC 7644 3.3, 3.5.1) ----
 *
 * Check body against rt's schemas and return it in canonical form (a new
 * object; the caller owns it), or NULL with err filled:
 *  - names match case-insensitively and come out in the schema's spelling;
 *    extension attributes are read from the object under their URN key, and
 *    a top-level key "<schema URN>:<attr>" is accepted for a core or
 *    extension attribute too;
 *  - an unknown attribute or sub-attribute, a name given twice (in any case),
 *    a URN key, or a "schemas" entry, that is not one of rt's schemas:
 *    400 invalidSyntax (the body does not conform to the schema);
 *  - a value of the wrong JSON type (a string for a boolean, an object for a
 *    multi-valued attribute, a malformed dateTime or base64 binary, an
 *    integer attribute given 1.5, ...): 400 invalidValue. Booleans given as
 *    the strings "true"/"false" in any case (Entra ID sends "True") are
 *    converted;
 *  - more than one "primary": true among a multi-valued attribute's values:
 *    400 invalidValue (RFC 7643 2.4);
 *  - a required attribute (or a required sub-attribute of a present complex
 *    value) missing, null or "": 400 invalidValue. readOnly ones (id) are
 *    the server's and never required of the client;
 *  - null, [] and {} mean unassigned (RFC 7643 2.5): the attribute is left
 *    out; readOnly attributes and sub-attributes (id, meta, groups,
 *    members.display, manager.displayName) are ignored and left out;
 *    writeOnly ones (password) are kept: the store decides what to keep;
 *  - "schemas" comes out as the core URN followed by each extension URN that
 *    has attributes, whether or not the client listed them (a missing
 *    "schemas" is tolerated), so it always describes the content;
 *  - current (NULL for POST): the resource as stored, for PUT. An immutable
 *    attribute (or a sub-attribute of a single-valued complex one) that has
 *    a value there must come back unchanged (400 mutability), and when left
 *    out it keeps its current value. Immutable sub-attributes of
 *    multi-valued attributes (Group members.value) are not compared: a PUT
 *    replaces the whole list, adding and removing members.
 * The caller merges in the server's attributes (id, meta, groups). */
json_t *scim_validate(const struct scim_rtype *rt, const json_t *body, const json_t *current,
		      struct scim_error *err) OB_MUST_USE;

/* ---- Output: attributes / excludedAttributes (RFC 7644 3.4.2.5, 3.9) ----
 *
 * Return a new object: resource (canonical form) reduced for a response.
 * attributes and excluded are the raw query parameters (NULL or "" when
 * absent): comma-separated, case-insensitive attribute paths "attr",
 * "attr.sub", "<schema URN>:attr[.sub]" or a bare extension URN (the whole
 * extension). A value path's filter is dropped ("emails[type eq \"work\"]
 * .value" selects emails.value), and names that resolve to nothing are
 * ignored, so no request fails here.
 *  - returned "never" (password) is never returned, even when named;
 *  - returned "always" (id, schemas) is always returned, even when excluded;
 *  - attributes given: only the named attributes (a sub-attribute name keeps
 *    just that sub-attribute of each value) plus the "always" ones;
 *  - otherwise the "default" ones; "request" ones only when named;
 *  - excludedAttributes removes what it names from that (both may be given).
 * An extension object left empty is dropped. Unknown keys in the resource
 * count as returned "default". The result shares values with resource (by
 * reference count), so neither may be changed afterwards: both are only
 * dumped. NULL only on allocation failure. */
json_t *scim_project(const struct scim_rtype *rt, const json_t *resource, const char *attributes,
		     const char *excluded) OB_MUST_USE;

#endif

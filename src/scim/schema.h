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
 *	POST/PUT body:               in = scim_validate(rt, body, current, &err)
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

#endif

/* SCIM filters and sortBy translated into parameterised SQL (RFC 7644
 * 3.4.2.2-3). Pure: builds text and a parameter list, no I/O. Client values
 * only ever travel as parameters; the SQL text holds nothing but fixed
 * expressions from the storage map and $n placeholders.
 *
 * Where an attribute lives is described by a struct scim_storage: a column
 * expression for attributes kept in columns, a jsonb expression holding the
 * rest (keys in canonical spelling), and EXISTS templates for multi-valued
 * attributes kept in other tables (a User's groups, a Group's members).
 * Types, caseExact and multi-valuedness come from the schema view. */
#ifndef OB_SCIM_QUERY_H
#define OB_SCIM_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "scim/error.h"
#include "scim/filter.h"

/* An attribute (or sub-attribute, sub non-NULL) stored in a column. */
struct scim_column {
	const char *attr;
	const char *sub;
	const char *expr;  /* e.g. "m.username", "m.created_at" */
	bool is_uuid;      /* eq/ne compare as uuid (keeps the primary key usable) */
};

/* A multi-valued complex attribute stored in another table. exists is a
 * printf template with one %s: the predicate on the related row, e.g.
 * "EXISTS (SELECT 1 FROM team_members tm JOIN teams t ON ... WHERE
 *  tm.member_id = m.id AND (%s))"; subs map its sub-attributes to columns. */
struct scim_relation {
	const char *attr;
	const char *exists;
	const struct scim_column *subs; /* attr = the sub-attribute name; sub unused */
	size_t n_subs;
};

struct scim_storage {
	const char *profile;   /* jsonb expression, e.g. "m.profile" */
	const struct scim_column *columns;
	size_t n_columns;
	const struct scim_relation *relations;
	size_t n_relations;
};

#define SCIM_COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The columns every stored resource of table alias A has: id (the primary
 * key), externalId and meta's times. */
/* A dateTime column is a timestamptz the stores render in whole seconds
 * (ob_ts), so it compares in whole seconds: the instant a client read back
 * is the one it filters by (query.c keeps the comparison a range on the
 * column, so its indexes stay usable). */
#define SCIM_COMMON_COLUMNS(A)                                        \
	{ "id", NULL, A ".id", true },                                \
	{ "externalId", NULL, A ".external_id", false },              \
	{ "meta", "created", A ".created_at", false },                \
	{ "meta", "lastModified", A ".updated_at", false }

/* The rest of meta as the stores render it, for a table A with a version
 * column, of resource type TYPE ("User"): meta itself (always there),
 * resourceType and version (meta.location is not searchable:
 * scim_attr_filterable). */
#define SCIM_META_COLUMNS(A, TYPE)                                            \
	{ "meta", NULL, "true", false },                                      \
	{ "meta", "resourceType", "'" TYPE "'::text", false },                \
	{ "meta", "version", "'W/\"' || " A ".version || '\"'", false }

/* The sub-attributes of a reference to another resource (a User's groups,
 * a Group's members): value (its id) and display. */
#define SCIM_REF_COLUMNS(ID, DISPLAY) \
	{ "value", NULL, ID, true }, { "display", NULL, DISPLAY, false }

/* A struct scim_relation over the array SUBS, and a struct scim_storage
 * over the arrays COLUMNS and RELATIONS. */
#define SCIM_RELATION(ATTR, EXISTS, SUBS) { ATTR, EXISTS, SUBS, SCIM_COUNT_OF(SUBS) }
#define SCIM_STORAGE(PROFILE, COLUMNS, RELATIONS) \
	{ PROFILE, COLUMNS, SCIM_COUNT_OF(COLUMNS), RELATIONS, SCIM_COUNT_OF(RELATIONS) }

struct scim_sql {
	char *where;      /* boolean SQL expression, never NULL on success */
	char **params;    /* text values bound as $first .. $first+n_params-1 */
	size_t n_params;
};

/* Translate f. Placeholders start at $first_param. Unknown attributes and
 * comparisons that cannot apply (gt on a boolean, a complex attribute
 * without a value sub-attribute) are 400 invalidFilter. 0, or -1 with err. */
int scim_filter_sql(const struct scim_filter *f, const struct scim_schema_view *schema,
		    const struct scim_storage *st, unsigned first_param, struct scim_sql *out,
		    struct scim_error *err) OB_MUST_USE;
void scim_sql_clear(struct scim_sql *q);

/* A fixed SQL expression to ORDER BY for a sortBy attribute (malloc'd):
 * for a multi-valued attribute its primary value, else its first. -1 with 400
 * invalidValue for an attribute the schema does not know. */
int scim_sort_sql(const char *sort_by, const struct scim_schema_view *schema,
		  const struct scim_storage *st, char **out, struct scim_error *err) OB_MUST_USE;

#endif

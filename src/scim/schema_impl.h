/* Private to src/scim/schema*.c: the registry's layout. */
#ifndef OB_SCIM_SCHEMA_IMPL_H
#define OB_SCIM_SCHEMA_IMPL_H

#include "scim/schema.h"

struct scim_schema {
	char *id;
	struct scim_attr_def *attrs;
	size_t n_attrs;
	json_t *doc;
};

struct scim_rtype {
	char *id;
	char *endpoint;
	const struct scim_schema *core;
	const struct scim_schema *common; /* may be NULL */
	const struct scim_schema **ext;   /* n_ext */
	const char **ext_urns;            /* n_ext + NULL */
	size_t n_ext;
	struct scim_schema_view view;
	json_t *doc;
};

struct scim_registry {
	struct scim_schema *schemas; /* served schemas, file order */
	size_t n_schemas;
	struct scim_schema *common;  /* NULL when the table has none */
	struct scim_rtype *rtypes;
	size_t n_rtypes;
};

/* The definition named name (case-insensitive) among attrs, or NULL. */
const struct scim_attr_def *scim_attr_in(const struct scim_attr_def *attrs, size_t n,
					 const char *name);
/* The extension of rt whose URN is urn (case-insensitive): its index, or -1. */
int scim_rtype_ext_index(const struct scim_rtype *rt, const char *urn);

#endif

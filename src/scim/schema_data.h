/* The SCIM schema and ResourceType definitions shipped in schemas/scim/ (JSON),
 * compiled into the daemon (the build turns them into schema_data.c with
 * scripts/embed-files), so nothing depends on a runtime path. */
#ifndef OB_SCIM_SCHEMA_DATA_H
#define OB_SCIM_SCHEMA_DATA_H

#include <stddef.h>

struct embedded_file {
	const char *name;          /* basename, e.g. "user.json"; NULL ends the table */
	const unsigned char *data; /* len bytes, then a NUL */
	size_t len;
};

extern const struct embedded_file scim_schema_files[];

#endif

/* A SCIM failure as the pure SCIM modules (filter, path, PATCH, schema
 * validation) report it, before anything is rendered: the HTTP status, the
 * RFC 7644 section 3.12 scimType (NULL when the status has none) and a detail
 * for the client. The endpoints turn it into the error body. */
#ifndef OB_SCIM_ERROR_H
#define OB_SCIM_ERROR_H

#include <stdbool.h>

#include "log.h"

/* scimType values (RFC 7644 table 9). */
#define SCIM_INVALID_FILTER "invalidFilter"
#define SCIM_TOO_MANY "tooMany"
#define SCIM_UNIQUENESS "uniqueness"
#define SCIM_MUTABILITY "mutability"
#define SCIM_INVALID_SYNTAX "invalidSyntax"
#define SCIM_INVALID_PATH "invalidPath"
#define SCIM_NO_TARGET "noTarget"
#define SCIM_INVALID_VALUE "invalidValue"
#define SCIM_INVALID_VERS "invalidVers"
#define SCIM_SENSITIVE "sensitive"

struct scim_error {
	int status;            /* 400, 404, 409, 412, 413, 500, ... */
	const char *scim_type; /* one of the above, or NULL */
	char detail[256];
};

/* Fill err (NULL ok) and return -1, so failures read `return scim_fail(...)`. */
int scim_fail(struct scim_error *err, int status, const char *scim_type, const char *fmt, ...)
	OB_PRINTF(4, 5);

/* True when s is one of the scimType values above. */
bool scim_type_known(const char *s);

#endif

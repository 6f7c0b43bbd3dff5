#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scim/error.h"

int scim_fail(struct scim_error *err, int status, const char *scim_type, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->status = status;
	err->scim_type = scim_type;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	return -1;
}

bool scim_type_known(const char *s)
{
	static const char *const types[] = {
		SCIM_INVALID_FILTER, SCIM_TOO_MANY,    SCIM_UNIQUENESS,   SCIM_MUTABILITY,
		SCIM_INVALID_SYNTAX, SCIM_INVALID_PATH, SCIM_NO_TARGET,   SCIM_INVALID_VALUE,
		SCIM_INVALID_VERS,   SCIM_SENSITIVE,
	};

	for (size_t i = 0; s != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(s, types[i]) == 0)
			return true;
	return false;
}

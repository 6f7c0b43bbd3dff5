#include <stdarg.h>
#include <stdio.h>

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

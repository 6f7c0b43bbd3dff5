#include "sql_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "harness/harness.h"

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vformat(const char *fmt, va_list ap)
{
	char *text = NULL;

	assert_true(vasprintf(&text, fmt, ap) > 0);
	return text;
}

void tsql(const char *conninfo, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = vformat(fmt, ap);
	va_end(ap);
	assert_int_equal(pg_exec(conninfo, text), 0);
	free(text);
}

char *tsql_value(const char *conninfo, const char *fmt, ...)
{
	va_list ap;
	char *text, *v;

	va_start(ap, fmt);
	text = vformat(fmt, ap);
	va_end(ap);
	v = pg_query_value(conninfo, text);
	free(text);
	return v;
}

long long tsql_count(const char *conninfo, const char *fmt, ...)
{
	va_list ap;
	char *text, *v;
	long long n;

	va_start(ap, fmt);
	text = vformat(fmt, ap);
	va_end(ap);
	v = pg_query_value(conninfo, text);
	assert_non_null(v);
	n = atoll(v);
	free(v);
	free(text);
	return n;
}

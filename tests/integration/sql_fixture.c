#include "sql_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "harness/harness.h"

struct daemon_proc tfx_daemon;
char tfx_conninfo[600];
char tfx_mail_dir[700];
static struct pg_server tfx_pg;
static char clock_path[600];

int tfx_start(const char *dbname, const char *clock_tag, const char *conf_extra)
{
	const char *dir;

	if (pg_server_start(&tfx_pg) != 0 ||
	    pg_create_database(&tfx_pg, dbname, tfx_conninfo, sizeof(tfx_conninfo)) != 0)
		return -1;
	dir = harness_tmpdir(clock_tag);
	if (dir == NULL)
		return -1;
	snprintf(clock_path, sizeof(clock_path), "%s/offset", dir);
	tfx_set_clock(0);
	/* The daemon inherits the variable and reads the file on every clock_now(). */
	setenv("ORGBRIDGE_TEST_CLOCK_FILE", clock_path, 1);
	if (daemon_start(&tfx_daemon, tfx_conninfo, conf_extra) != 0)
		return -1;
	snprintf(tfx_mail_dir, sizeof(tfx_mail_dir), "%s/mail", tfx_daemon.dir);
	const char *argv[] = { "orgbridged", "-c", tfx_daemon.conf_path, "--migrate", NULL };
	return harness_run_tool(argv, NULL, NULL) == 0 ? 0 : -1;
}

int tfx_stop(void)
{
	/* A sanitizer report at exit shows up as a non-zero status. */
	int daemon_rc = daemon_stop(&tfx_daemon);

	if (pg_server_stop(&tfx_pg) != 0 || daemon_rc != 0)
		return -1;
	return 0;
}

void tfx_set_clock(long long offset)
{
	FILE *f = fopen(clock_path, "w");
	assert_non_null(f);
	fprintf(f, "%lld\n", offset);
	fclose(f);
}

int tfx_reset_clock(void **state)
{
	(void)state;
	tfx_set_clock(0);
	return 0;
}

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

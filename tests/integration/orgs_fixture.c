#include "orgs_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_util.h"

struct daemon_proc fx_daemon;
char fx_conninfo[600];

static struct pg_server pg;
static int counter;

int fx_start(const char *dbname, const char *conf_extra)
{
	return fx_start_locale(dbname, NULL, conf_extra);
}

int fx_start_locale(const char *dbname, const char *locale, const char *conf_extra)
{
	if (pg_server_start(&pg) != 0 ||
	    pg_create_database_locale(&pg, dbname, locale, fx_conninfo, sizeof(fx_conninfo)) != 0)
		return -1;
	if (daemon_start(&fx_daemon, fx_conninfo, conf_extra) != 0)
		return -1;
	const char *argv[] = { "orgbridged", "-c", fx_daemon.conf_path, "--migrate", NULL };
	return harness_run_tool(argv, NULL, NULL) == 0 ? 0 : -1;
}

int fx_stop(void)
{
	/* A sanitizer report at the daemon's exit shows up as a non-zero status. */
	int daemon_rc = daemon_stop(&fx_daemon);

	if (pg_server_stop(&pg) != 0 || daemon_rc != 0)
		return -1;
	return 0;
}

int fx_next(void)
{
	return ++counter;
}

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vformat(const char *fmt, va_list ap)
{
	char *text = NULL;
	assert_true(vasprintf(&text, fmt, ap) > 0);
	return text;
}

void fx_sql(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *text = vformat(fmt, ap);
	va_end(ap);
	if (pg_exec(fx_conninfo, text) != 0)
		fail_msg("SQL failed: %s", text);
	free(text);
}

static char *vvalue(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vvalue(const char *fmt, va_list ap)
{
	char *text = vformat(fmt, ap);
	char *v = pg_query_value(fx_conninfo, text);
	free(text);
	return v;
}

char *fx_sql_value(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *v = vvalue(fmt, ap);
	va_end(ap);
	return v;
}

long long fx_sql_count(const char *fmt, ...)
{
	va_list ap;
	long long n;

	va_start(ap, fmt);
	char *v = vvalue(fmt, ap);
	va_end(ap);
	assert_non_null(v);
	n = atoll(v);
	free(v);
	return n;
}

long fx_call(const char *token, const char *method, json_t **out, const char *body,
	     const char *path_fmt, ...)
{
	char path[1024];
	va_list ap;
	json_t *doc = NULL;
	long status;

	va_start(ap, path_fmt);
	vsnprintf(path, sizeof(path), path_fmt, ap);
	va_end(ap);
	if (body != NULL) {
		doc = json_loads(body, 0, NULL);
		if (doc == NULL) {
			fprintf(stderr, "fx_call: test body is not JSON: %s\n", body);
			return 0;
		}
	}
	status = api_req(&fx_daemon, token, method, path, doc, out);
	json_decref(doc);
	return status;
}

void fx_person(struct person *p, const char *tag)
{
	json_t *me = NULL;

	memset(p, 0, sizeof(*p));
	snprintf(p->email, sizeof(p->email), "%s-%d@example.com", tag, fx_next());
	assert_int_equal(http_signup(&fx_daemon, p->email, FX_PASSWORD, p->token, sizeof(p->token)), 0);
	assert_int_equal(fx_call(p->token, "GET", &me, NULL, "/api/v1/me"), 200);
	assert_non_null(jstr(me, "account.id"));
	snprintf(p->account_id, sizeof(p->account_id), "%s", jstr(me, "account.id"));
	json_decref(me);
}

void fx_org(const struct person *owner, const char *tag, char *slug, size_t slug_cap,
	    char *owner_member_id)
{
	char body[256];
	json_t *out = NULL;

	snprintf(body, sizeof(body), "{\"name\":\"%s %d\"}", tag, fx_next());
	assert_int_equal(fx_call(owner->token, "POST", &out, body, "/api/v1/orgs"), 201);
	assert_non_null(jstr(out, "slug"));
	snprintf(slug, slug_cap, "%s", jstr(out, "slug"));
	if (owner_member_id != NULL) {
		assert_non_null(jstr(out, "member_id"));
		snprintf(owner_member_id, 40, "%s", jstr(out, "member_id"));
	}
	json_decref(out);
}

void fx_join(const char *slug, const struct person *p, const char *role, char *id)
{
	char *v;

	fx_sql("INSERT INTO members (org_id, account_id, username, role)"
	       " SELECT o.id, '%s', split_part('%s', '@', 1), '%s' FROM organizations o"
	       " WHERE o.slug = '%s'",
	       p->account_id, p->email, role, slug);
	v = fx_sql_value("SELECT m.id FROM members m JOIN organizations o ON o.id = m.org_id"
			 " WHERE o.slug = '%s' AND m.account_id = '%s' AND m.status <> 'removed'",
			 slug, p->account_id);
	assert_non_null(v);
	snprintf(id, 40, "%s", v);
	free(v);
}

const char *fx_member_state(const char *member_id)
{
	static char buf[64];
	char *v = fx_sql_value("SELECT role || '/' || status FROM members WHERE id = '%s'",
			       member_id);

	snprintf(buf, sizeof(buf), "%s", v ? v : "(none)");
	free(v);
	return buf;
}

void fx_assert_admin_required(long status, json_t **body)
{
	assert_int_equal(status, 403);
	assert_string_equal(jerr(*body), "admin_required");
	assert_non_null(jstr(*body, "error.message"));
	assert_string_equal(jstr(*body, "error.message"), "Admin access required");
	json_decref(*body);
	*body = NULL;
}

void fx_org4(struct org4 *o, const char *tag)
{
	fx_person(&o->owner, "owner");
	fx_person(&o->admin, "admin");
	fx_person(&o->user, "user");
	fx_person(&o->viewer, "viewer");
	fx_org(&o->owner, tag, o->slug, sizeof(o->slug), o->owner_id);
	fx_join(o->slug, &o->admin, "ADMIN", o->admin_id);
	fx_join(o->slug, &o->user, "USER", o->user_id);
	fx_join(o->slug, &o->viewer, "VIEWER", o->viewer_id);
}

/* See common.h. */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void bench_die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

int bench_run(const char *const *argv, char **out)
{
	char *err = NULL;
	int rc = harness_run_tool(argv, out, &err);

	if (rc != 0) {
		fprintf(stderr, "bench: %s exited with %d\n%s", argv[0], rc, err ? err : "");
		if (out != NULL && *out != NULL)
			fputs(*out, stderr);
	}
	free(err);
	return rc;
}

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_stack_start(struct bench_stack *s, const char *conf_extra)
{
	char conf[4096];

	memset(s, 0, sizeof(*s));
	if (pg_server_start(&s->pg) != 0 ||
	    pg_create_database(&s->pg, "bench", s->conninfo, sizeof(s->conninfo)) != 0)
		bench_die("cannot start PostgreSQL");
	s->d.port = harness_free_port();
	snprintf(conf, sizeof(conf),
		 "[server]\nlisten = 127.0.0.1\nport = %u\npublic_base_url = http://127.0.0.1:%u\n"
		 "[database]\nconninfo = \"%s\"\nschema_dir = %s/schemas\n"
		 "[log]\nlevel = warn\n"
		 "[mail]\ntransport = file\nfile_dir = %s/mail\n%s",
		 s->d.port, s->d.port, s->conninfo, harness_srcdir(), harness_tmpdir("benchmail"),
		 conf_extra ? conf_extra : "");
	if (daemon_start_with_config(&s->d, conf) != 0)
		bench_die("cannot start orgbridged");
	const char *migrate[] = { "orgbridged", "-c", s->d.conf_path, "--migrate", NULL };
	if (bench_run(migrate, NULL) != 0)
		bench_die("migration failed");
}

int bench_stack_stop(struct bench_stack *s)
{
	int rc = s->d.pid > 0 ? daemon_stop(&s->d) : 0;

	pg_server_stop(&s->pg);
	return rc;
}

void bench_owner_org(const struct daemon_proc *d, const char *email, const char *slug,
		     char *token, size_t cap)
{
	char url[256], auth[256], *body = NULL;
	struct http_result res;
	json_t *doc;

	snprintf(url, sizeof(url), "%s/api/v1/signup", d->base_url);
	const char *json_hdr[] = { "Content-Type: application/json", NULL };
	if (asprintf(&body, "{\"email\":\"%s\",\"password\":\"bench password 1\"}", email) < 0)
		bench_die("out of memory");
	if (http_request("POST", url, json_hdr, body, strlen(body), &res) != 0 ||
	    res.status != 201 || (doc = http_result_json(&res)) == NULL)
		bench_die("sign-up failed");
	free(body);
	snprintf(token, cap, "%s", json_string_value(json_object_get(doc, "token")));
	json_decref(doc);
	http_result_free(&res);

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	const char *hdrs[] = { "Content-Type: application/json", auth, NULL };
	if (asprintf(&body, "{\"name\":\"%s\",\"slug\":\"%s\"}", slug, slug) < 0)
		bench_die("out of memory");
	snprintf(url, sizeof(url), "%s/api/v1/orgs", d->base_url);
	if (http_request("POST", url, hdrs, body, strlen(body), &res) != 0 || res.status != 201)
		bench_die("org creation failed (HTTP %ld)", res.status);
	free(body);
	http_result_free(&res);
}

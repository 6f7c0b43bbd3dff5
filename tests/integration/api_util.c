#include "api_util.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

long api_req(const struct daemon_proc *d, const char *token, const char *method, const char *path,
	     json_t *body, json_t **out)
{
	char url[1024], auth[256];
	const char *headers[3] = { "Content-Type: application/json", NULL, NULL };
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct http_result r;
	long status = 0;

	if (out != NULL)
		*out = NULL;
	snprintf(url, sizeof(url), "%s%s", d->base_url, path);
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		headers[1] = auth;
	}
	if (http_request(method, url, headers, text, text ? strlen(text) : 0, &r) == 0) {
		status = r.status;
		if (out != NULL)
			*out = http_result_json(&r);
		http_result_free(&r);
	}
	free(text);
	return status;
}

long api_reqf(const struct daemon_proc *d, const char *token, const char *method, const char *path,
	      json_t **out, const char *body_fmt, ...)
{
	char buf[8192];
	va_list ap;
	json_t *body;
	long status;

	va_start(ap, body_fmt);
	vsnprintf(buf, sizeof(buf), body_fmt, ap);
	va_end(ap);
	body = json_loads(buf, 0, NULL);
	if (body == NULL) {
		fprintf(stderr, "api_reqf: test body is not JSON: %s\n", buf);
		return 0;
	}
	status = api_req(d, token, method, path, body, out);
	json_decref(body);
	return status;
}

int http_signup(const struct daemon_proc *d, const char *email, const char *password, char *token,
	       size_t cap)
{
	json_t *out = NULL;
	long status = api_reqf(d, NULL, "POST", "/api/v1/signup", &out,
			       "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
	const char *t = jstr(out, "token");
	int rc = -1;

	if (status == 201 && t != NULL && strlen(t) < cap) {
		snprintf(token, cap, "%s", t);
		rc = 0;
	} else {
		fprintf(stderr, "http_signup(%s): status %ld\n", email, status);
	}
	json_decref(out);
	return rc;
}

int http_create_org(const struct daemon_proc *d, const char *token, const char *name, char *slug,
		   size_t cap)
{
	json_t *out = NULL;
	long status = api_reqf(d, token, "POST", "/api/v1/orgs", &out, "{\"name\":\"%s\"}", name);
	const char *s = jstr(out, "slug");
	int rc = -1;

	if (status == 201 && s != NULL && strlen(s) < cap) {
		snprintf(slug, cap, "%s", s);
		rc = 0;
	} else {
		fprintf(stderr, "http_create_org(%s): status %ld\n", name, status);
	}
	json_decref(out);
	return rc;
}

static json_t *jpath(json_t *root, const char *path)
{
	char buf[256], *save = NULL;
	json_t *cur = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *part = strtok_r(buf, ".", &save); cur != NULL && part != NULL;
	     part = strtok_r(NULL, ".", &save)) {
		if (json_is_array(cur))
			cur = json_array_get(cur, strtoul(part, NULL, 10));
		else
			cur = json_object_get(cur, part);
	}
	return cur;
}

const char *jstr(json_t *root, const char *path)
{
	return json_string_value(jpath(root, path));
}

long long jint(json_t *root, const char *path)
{
	json_t *v = jpath(root, path);
	return json_is_integer(v) ? json_integer_value(v) : -1;
}

const char *jerr(json_t *root)
{
	const char *code = jstr(root, "error.code");
	return code ? code : "";
}

/* Message files in name order (the transport names them by time, then id). */
static int list_mail(const char *dir, char ***names)
{
	struct dirent **entries = NULL;
	int n = scandir(dir, &entries, NULL, alphasort), count = 0;

	*names = calloc(n > 0 ? (size_t)n : 1, sizeof(char *));
	for (int i = 0; i < n; i++) {
		if (entries[i]->d_name[0] != '.' && strstr(entries[i]->d_name, ".eml") != NULL)
			(*names)[count++] = strdup(entries[i]->d_name);
		free(entries[i]);
	}
	free(entries);
	return count;
}

int mail_file_count(const char *dir)
{
	char **names;
	int n = list_mail(dir, &names);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return n;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;

	if (f == NULL)
		return NULL;
	text = calloc(1, 1 << 16);
	n = fread(text, 1, (1 << 16) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static int recipient_matches(const char *msg, const char *to)
{
	char line[512];
	const char *h = strcasestr(msg, "\nTo: ");

	if (to == NULL)
		return 1;
	if (h == NULL && strncasecmp(msg, "To: ", 4) == 0)
		h = msg - 1;
	if (h == NULL)
		return 0;
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(h + 5, "\r\n"), h + 5);
	return strcasestr(line, to) != NULL;
}

int mail_file_token(const char *dir, const char *to, const char *prefix, char *token, size_t cap)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		char **names;
		int n = list_mail(dir, &names), found = 0;

		for (int i = n - 1; i >= 0 && !found; i--) {
			char path[1024];
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			char *msg = slurp(path);
			const char *p = msg && recipient_matches(msg, to) ? strstr(msg, prefix) : NULL;
			if (p != NULL) {
				size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						       "0123456789_-");
				if (len < cap) {
					memcpy(token, p, len);
					token[len] = '\0';
					found = 1;
				}
			}
			free(msg);
		}
		for (int i = 0; i < n; i++)
			free(names[i]);
		free(names);
		if (found)
			return 0;
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000000L }, NULL);
	}
	return -1;
}

bool mail_file_contains(const char *dir, const char *needle)
{
	char **names;
	int n = list_mail(dir, &names);
	bool found = false;

	for (int i = 0; i < n; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		char *msg = found ? NULL : slurp(path);
		found = found || (msg != NULL && strstr(msg, needle) != NULL);
		free(msg);
		free(names[i]);
	}
	free(names);
	return found;
}

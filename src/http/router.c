#include "http/router.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Match one pattern against path, segment by segment. */
static bool pattern_match(const char *pattern, const char *path, size_t path_len,
			  struct route_match *m)
{
	const char *p = pattern, *s = path, *end = path + path_len;

	m->nparams = 0;
	while (*p != '\0' && s < end) {
		if (*p != '/' || *s != '/')
			return false;
		p++;
		s++;
		const char *pseg_end = strchr(p, '/');
		size_t plen = pseg_end ? (size_t)(pseg_end - p) : strlen(p);
		const char *sseg_end = memchr(s, '/', (size_t)(end - s));
		size_t slen = sseg_end ? (size_t)(sseg_end - s) : (size_t)(end - s);

		if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
			if (slen == 0 || m->nparams == HTTP_MAX_PARAMS)
				return false;
			m->params[m->nparams].off = (size_t)(s - path);
			m->params[m->nparams].len = slen;
			m->nparams++;
		} else if (plen != slen || memcmp(p, s, plen) != 0) {
			return false;
		}
		p += plen;
		s += slen;
	}
	return *p == '\0' && s == end;
}

static bool method_matches(const char *route_method, const char *method)
{
	if (strcmp(route_method, method) == 0)
		return true;
	return strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0;
}

static void allow_add(char *allow, size_t cap, const char *method)
{
	size_t len = strlen(allow);
	if (strstr(allow, method) != NULL)
		return;
	snprintf(allow + len, cap - len, "%s%s", len ? ", " : "", method);
}

int http_route_match(const struct http_route *routes, size_t n, const char *method,
		     const char *path, struct route_match *m)
{
	size_t path_len = strlen(path);
	bool path_known = false;
	struct route_match probe;

	memset(m, 0, sizeof(*m));
	if (path_len > 1 && path[path_len - 1] == '/')
		path_len--;
	for (size_t i = 0; i < n; i++) {
		if (!pattern_match(routes[i].pattern, path, path_len, &probe))
			continue;
		if (method_matches(routes[i].method, method)) {
			probe.route = &routes[i];
			probe.allow[0] = '\0';
			*m = probe;
			return 200;
		}
		path_known = true;
		allow_add(m->allow, sizeof(m->allow), routes[i].method);
	}
	return path_known ? 405 : 404;
}

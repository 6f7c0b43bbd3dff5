/* A small HTTP client on libcurl's easy interface. Every request has its own
 * easy handle, so race tests may call it from several threads at once. */
#include "harness/harness.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_TIMEOUT_S 30L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct grow {
	char *data;
	size_t len;
	size_t cap;
	bool failed;
};

static void grow_append(struct grow *g, const char *p, size_t n)
{
	if (g->failed)
		return;
	if (g->len + n + 1 > g->cap) {
		size_t cap = g->cap != 0 ? g->cap : 1024;
		while (cap < g->len + n + 1)
			cap *= 2;
		char *grown = realloc(g->data, cap);
		if (grown == NULL) {
			g->failed = true;
			return;
		}
		g->data = grown;
		g->cap = cap;
	}
	memcpy(g->data + g->len, p, n);
	g->len += n;
	g->data[g->len] = '\0';
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	grow_append(arg, p, size * n);
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct grow *g = arg;

	/* A new status line (after "100 Continue" or an interim response)
	 * starts the block again: keep the final response's headers only. */
	if (size * n >= 5 && strncmp(p, "HTTP/", 5) == 0)
		g->len = 0;
	grow_append(g, p, size * n);
	return size * n;
}

static bool has_header(const char *const *headers, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
		if (strncasecmp(headers[i], name, n) == 0 && headers[i][n] == ':')
			return true;
	}
	return false;
}

int http_request(const char *method, const char *url, const char *const *headers,
		 const char *body, size_t body_len, struct http_result *res)
{
	struct grow rb = { 0 }, rh = { 0 };
	struct curl_slist *list = NULL, *grown;
	CURL *h = NULL;
	CURLcode rc;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		fprintf(stderr, "harness: curl_global_init failed\n");
		return -1;
	}
	h = curl_easy_init();
	if (h == NULL)
		return -1;
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
		grown = curl_slist_append(list, headers[i]);
		if (grown == NULL)
			goto done;
		list = grown;
	}
	/* Send the body at once rather than waiting for "100 Continue". */
	if (!has_header(headers, "Expect")) {
		grown = curl_slist_append(list, "Expect:");
		if (grown == NULL)
			goto done;
		list = grown;
	}

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_TIMEOUT, HTTP_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &rb);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &rh);
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else {
		/* POST/PUT/PATCH without a body still send Content-Length: 0. */
		if (body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
		    strcmp(method, "PATCH") == 0) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, body != NULL ? body : "");
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)(body != NULL ? body_len : 0));
		}
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}

	rc = curl_easy_perform(h);
	if (rc != CURLE_OK || rb.failed || rh.failed)
		goto done;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
	res->body = rb.data != NULL ? rb.data : strdup("");
	res->body_len = rb.len;
	res->headers = rh.data != NULL ? rh.data : strdup("");
	rb.data = rh.data = NULL;
	if (res->body == NULL || res->headers == NULL) {
		http_result_free(res);
		goto done;
	}
	ret = 0;

done:
	if (ret != 0)
		res->status = 0;
	free(rb.data);
	free(rh.data);
	curl_slist_free_all(list);
	curl_easy_cleanup(h);
	return ret;
}

void http_result_free(struct http_result *res)
{
	if (res == NULL)
		return;
	free(res->body);
	free(res->headers);
	res->body = res->headers = NULL;
	res->body_len = 0;
}

json_t *http_result_json(const struct http_result *res)
{
	if (res == NULL || res->body == NULL)
		return NULL;
	return json_loadb(res->body, res->body_len, 0, NULL);
}

char *http_result_header(const struct http_result *res, const char *name)
{
	size_t n = strlen(name);
	const char *line;

	if (res == NULL || res->headers == NULL)
		return NULL;
	for (line = res->headers; *line != '\0';) {
		const char *end = strstr(line, "\r\n");
		if (end == NULL)
			end = line + strlen(line);
		if ((size_t)(end - line) > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1, *e = end;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
				e--;
			return strndup(v, (size_t)(e - v));
		}
		line = *end != '\0' ? end + 2 : end;
	}
	return NULL;
}

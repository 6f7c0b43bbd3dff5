#include "scim_users_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_util.h"

static void copy_header(const struct http_result *res, const char *name, char *out, size_t cap)
{
	char *v = http_result_header(res, name);

	snprintf(out, cap, "%s", v ? v : "");
	free(v);
}

long scim_req(const char *token, const char *method, const char *path, const char *body,
	      const char *const *headers, struct scim_answer *ans)
{
	const char *h[16];
	char auth[256], url[1200];
	size_t n = 0;
	struct http_result res;

	memset(ans, 0, sizeof(*ans));
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[n++] = auth;
	}
	if (body != NULL)
		h[n++] = "Content-Type: application/scim+json";
	for (size_t i = 0; headers != NULL && headers[i] != NULL && n < 15; i++)
		h[n++] = headers[i];
	h[n] = NULL;
	snprintf(url, sizeof(url), "%s%s", fx_daemon.base_url, path);
	assert_int_equal(http_request(method, url, h, body, body ? strlen(body) : 0, &res), 0);
	ans->status = res.status;
	ans->body = http_result_json(&res);
	copy_header(&res, "ETag", ans->etag, sizeof(ans->etag));
	copy_header(&res, "Location", ans->location, sizeof(ans->location));
	copy_header(&res, "Content-Type", ans->content_type, sizeof(ans->content_type));
	copy_header(&res, "WWW-Authenticate", ans->www_authenticate, sizeof(ans->www_authenticate));
	http_result_free(&res);
	return ans->status;
}

void scim_answer_free(struct scim_answer *ans)
{
	json_decref(ans->body);
	ans->body = NULL;
}

void scim_connect(const struct person *admin, const char *slug, const char *tag, char *conn_id,
		  char *token)
{
	char body[256];
	json_t *out = NULL;

	snprintf(body, sizeof(body), "{\"name\":\"%s %d\"}", tag, fx_next());
	assert_int_equal(fx_call(admin->token, "POST", &out, body, "/api/v1/orgs/%s/scim-connections",
				 slug),
			 201);
	assert_non_null(jstr(out, "token"));
	snprintf(conn_id, 64, "%s", jstr(out, "id"));
	snprintf(token, 64, "%s", jstr(out, "token"));
	json_decref(out);
}

void scim_urlencode(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s && o + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

void tenant_make(struct tenant *t, const char *tag)
{
	fx_person(&t->owner, "owner");
	fx_person(&t->admin, "admin");
	fx_org(&t->owner, tag, t->slug, sizeof(t->slug), t->owner_id);
	fx_join(t->slug, &t->admin, "ADMIN", t->admin_id);
	scim_connect(&t->admin, t->slug, "idp", t->conn_id, t->token);
}

/* Helpers for the SCIM connection and User tests (on top of orgs_fixture.h):
 * SCIM requests with headers and ETags, and connections made through the
 * management API. Every helper asserts (cmocka) on transport failures only;
 * the tests state their own expectations. */
#ifndef OB_TESTS_SCIM_USERS_FIXTURE_H
#define OB_TESTS_SCIM_USERS_FIXTURE_H

#include <jansson.h>
#include <stddef.h>

#include "orgs_fixture.h"

struct scim_answer {
	long status;
	json_t *body;      /* parsed JSON or NULL */
	char etag[64];     /* ETag header, "" when none */
	char location[512];/* Location header, "" when none */
	char content_type[128];
	char www_authenticate[128];
};

/* One SCIM request to path ("/scim/v2/Users?..." : already URL-encoded),
 * Bearer token (NULL: no Authorization), body JSON text (NULL: none),
 * extra headers (NULL-terminated, may be NULL). Returns the status. */
long scim_req(const char *token, const char *method, const char *path, const char *body,
	      const char *const *headers, struct scim_answer *ans);
void scim_answer_free(struct scim_answer *ans);

/* POST a connection named "<tag> <n>" in slug as admin: its id and token
 * (caps >= 64). */
void scim_connect(const struct person *admin, const char *slug, const char *tag, char *conn_id,
		  char *token);

/* An org with an owner, an admin who made a SCIM connection, and its token. */
struct tenant {
	char slug[64];
	struct person owner, admin;
	char owner_id[40], admin_id[40];
	char conn_id[64], token[64];
};
/* Make one: a new org "<tag> <n>" with an owner, an ADMIN and a SCIM connection. */
void tenant_make(struct tenant *t, const char *tag);

/* URL-encode s into out (for filters). */
void scim_urlencode(const char *s, char *out, size_t cap);

#endif

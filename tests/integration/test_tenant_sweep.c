/* Tenant isolation, swept over every route of the daemon's own table
 * (src/api/routes.c: api_routes[], management API and SCIM alike). Every
 * route has at least one case below; a route added later without one, or a
 * case whose route was removed, fails test_every_route_has_a_case.
 *
 * Each case is a request template. "@NAME@" placeholders stand for org B's
 * objects; every case is sent twice, once naming B's objects and once naming
 * objects that exist nowhere, by every kind of caller of org A (and by
 * callers with no valid credentials). For each pair the answers must agree:
 * the same status and, for errors (and for the lists, searches and Bulk
 * answers), the same body once the names sent are put back as placeholders.
 * No answer may hold anything of B's that the request did not itself send,
 * and B's rows and audit trail must be the same after the sweep as before.
 * Cases naming the org slug run twice more with A's own slug, so A's org
 * path never reaches B's objects by id either.
 *
 * A new route needs a case here: a template naming every B object the route
 * can take (path, query, body, If-Match), with a placeholder make_tenants
 * fills for B and for nobody. When A may legitimately store a B name in its
 * own org (a team or SCIM User named like B's: names are unique per org), a
 * 201 answer makes that name A's too, and later answers may show it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "api/api.h"
#include "api_util.h"
#include "orgs_fixture.h"
#include "scim_groups_fixture.h"

#define DIR_B "sweepdir"
#define METRICS_TOKEN "obm-sweep-metrics-token-0123456789"
#define SEARCH_SCHEMA "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
#define BULK_SCHEMA "urn:ietf:params:scim:api:messages:2.0:BulkRequest"

/* Anonymous routes answer callers without credentials. */
#define F_ANON 1u
/* Compare the bodies of 2xx answers too (lists, searches, Bulk). */
#define F_BODY 2u
/* Objects the route names are not B's alone (config directories and their
 * runs, which any org's admin may see): only the "nothing of B" check. */
#define F_NOCMP 4u
/* Not sent with A's session token (it would end that session). */
#define F_NO_SESSION 8u

struct rcase {
	const char *method;
	const char *pattern; /* exactly as in api_routes[] */
	const char *path;    /* template */
	const char *body;    /* template or NULL */
	const char *header;  /* template of one more header line, or NULL */
	unsigned flags;
};

#define U "/api/v1/orgs/@SLUG@"
#define SCIM_PATCH(ops) \
	"{\"schemas\":[\"" SG_PATCH_SCHEMA "\"],\"Operations\":" ops "}"
#define SCIM_USER(extra) "{\"schemas\":[\"" SG_USER_SCHEMA "\"]" extra "}"
#define SCIM_GROUP(extra) "{\"schemas\":[\"" SG_GROUP_SCHEMA "\"]" extra "}"
#define SEARCH(filter) "{\"schemas\":[\"" SEARCH_SCHEMA "\"],\"filter\":\"" filter "\"}"

static const struct rcase cases[] = {
	{ "GET", "/healthz", "/healthz", NULL, NULL, F_ANON },
	{ "GET", "/readyz", "/readyz", NULL, NULL, F_ANON },
	{ "POST", "/api/v1/signup", "/api/v1/signup",
	  "{\"email\":\"@EMAIL@\",\"password\":\"" FX_PASSWORD "\"}", NULL, F_ANON | F_NOCMP },
	{ "POST", "/api/v1/login", "/api/v1/login",
	  "{\"email\":\"@EMAIL@\",\"password\":\"wrong password here\"}", NULL, F_ANON | F_NOCMP },
	{ "POST", "/api/v1/logout", "/api/v1/logout", NULL, NULL, F_NO_SESSION },
	{ "GET", "/api/v1/me", "/api/v1/me", NULL, NULL, 0 },
	{ "POST", "/api/v1/me/password", "/api/v1/me/password",
	  "{\"current_password\":\"not the password\",\"password\":\"another long password\"}",
	  NULL, 0 },
	{ "POST", "/api/v1/invitations/accept", "/api/v1/invitations/accept",
	  "{\"token\":\"obi_@INV@\",\"password\":\"" FX_PASSWORD "\"}", NULL, F_ANON },
	{ "POST", "/api/v1/ownership-transfers/confirm", "/api/v1/ownership-transfers/confirm",
	  "{\"token\":\"obx_@TEAM@\"}", NULL, F_ANON },

	{ "GET", "/api/v1/orgs", "/api/v1/orgs", NULL, NULL, F_BODY },
	{ "POST", "/api/v1/orgs", "/api/v1/orgs", "{\"name\":\"Sweep @N@\"}", NULL, 0 },
	{ "GET", "/api/v1/orgs/{slug}", U, NULL, NULL, 0 },
	{ "PATCH", "/api/v1/orgs/{slug}", U, "{\"settings\":{\"note\":\"sweep\"}}", NULL, 0 },
	{ "DELETE", "/api/v1/orgs/{slug}", U, "{\"confirm\":\"@ORGNAME@\"}", NULL, 0 },
	{ "POST", "/api/v1/orgs/{slug}/leave", U "/leave", NULL, NULL, 0 },
	{ "GET", "/api/v1/orgs/{slug}/audit", U "/audit", NULL, NULL, 0 },

	{ "GET", "/api/v1/orgs/{slug}/members", U "/members", NULL, NULL, 0 },
	{ "GET", "/api/v1/orgs/{slug}/members", U "/members?source=scim&status=active&limit=200",
	  NULL, NULL, 0 },
	{ "GET", "/api/v1/orgs/{slug}/members/{id}", U "/members/@MEMBER@", NULL, NULL, 0 },
	{ "GET", "/api/v1/orgs/{slug}/members/{id}", U "/members/me", NULL, NULL, 0 },
	{ "GET", "/api/v1/orgs/{slug}/members/{id}", U "/members/@OWNER@", NULL, NULL, 0 },
	{ "PATCH", "/api/v1/orgs/{slug}/members/{id}", U "/members/@MEMBER@",
	  "{\"role\":\"ADMIN\"}", NULL, 0 },
	{ "PATCH", "/api/v1/orgs/{slug}/members/{id}", U "/members/@OWNER@",
	  "{\"status\":\"suspended\"}", NULL, 0 },
	{ "DELETE", "/api/v1/orgs/{slug}/members/{id}", U "/members/@MEMBER@", NULL, NULL, 0 },
	{ "GET", "/api/v1/orgs/{slug}/members/{id}/permissions", U "/members/@MEMBER@/permissions",
	  NULL, NULL, 0 },

	{ "GET", "/api/v1/orgs/{slug}/teams", U "/teams", NULL, NULL, 0 },
	{ "POST", "/api/v1/orgs/{slug}/teams", U "/teams", "{\"name\":\"@TEAMNAME@ @N@\"}", NULL, 0 },
	{ "GET", "/api/v1/orgs/{slug}/teams/{id}", U "/teams/@TEAM@", NULL, NULL, 0 },
	{ "PATCH", "/api/v1/orgs/{slug}/teams/{id}", U "/teams/@TEAM@",
	  "{\"description\":\"taken\",\"role\":\"ADMIN\"}", NULL, 0 },
	{ "DELETE", "/api/v1/orgs/{slug}/teams/{id}", U "/teams/@TEAM@", NULL, NULL, 0 },
	{ "GET", "/api/v1/orgs/{slug}/teams/{id}/members", U "/teams/@TEAM@/members", NULL, NULL,
	  0 },
	{ "PUT", "/api/v1/orgs/{slug}/teams/{id}/members/{member}",
	  U "/teams/@TEAM@/members/@MEMBER@", NULL, NULL, 0 },
	{ "PUT", "/api/v1/orgs/{slug}/teams/{id}/members/{member}",
	  U "/teams/@ATEAM@/members/@MEMBER@", NULL, NULL, 0 },
	{ "DELETE", "/api/v1/orgs/{slug}/teams/{id}/members/{member}",
	  U "/teams/@TEAM@/members/@MEMBER@", NULL, NULL, 0 },

	{ "GET", "/api/v1/orgs/{slug}/invitations", U "/invitations", NULL, NULL, 0 },
	{ "POST", "/api/v1/orgs/{slug}/invitations", U "/invitations",
	  "{\"email\":\"@EMAIL@\",\"username\":\"@USERNAME@\",\"role\":\"USER\"}", NULL, 0 },
	{ "POST", "/api/v1/orgs/{slug}/invitations/{id}/resend", U "/invitations/@INV@/resend",
	  NULL, NULL, 0 },
	{ "POST", "/api/v1/orgs/{slug}/invitations/{id}/revoke", U "/invitations/@INV@/revoke",
	  NULL, NULL, 0 },

	{ "GET", "/api/v1/orgs/{slug}/ownership-transfer", U "/ownership-transfer", NULL, NULL, 0 },
	{ "POST", "/api/v1/orgs/{slug}/ownership-transfer", U "/ownership-transfer",
	  "{\"member_id\":\"@MEMBER@\"}", NULL, 0 },
	{ "POST", "/api/v1/orgs/{slug}/ownership-transfer/cancel", U "/ownership-transfer/cancel",
	  NULL, NULL, 0 },

	{ "GET", "/api/v1/orgs/{slug}/api-tokens", U "/api-tokens", NULL, NULL, 0 },
	{ "POST", "/api/v1/orgs/{slug}/api-tokens", U "/api-tokens",
	  "{\"name\":\"@TOKENNAME@\",\"role\":\"VIEWER\"}", NULL, 0 },
	{ "DELETE", "/api/v1/orgs/{slug}/api-tokens/{id}", U "/api-tokens/@TOKEN@", NULL, NULL, 0 },

	/* The sweep's daemon asks a token for /metrics ([server] metrics_token_file). */
	{ "GET", "/metrics", "/metrics", NULL, NULL, 0 },

	{ "GET", "/api/v1/orgs/{slug}/scim-connections", U "/scim-connections", NULL, NULL, 0 },
	{ "POST", "/api/v1/orgs/{slug}/scim-connections", U "/scim-connections",
	  "{\"name\":\"@CONNNAME@ @N@\"}", NULL, 0 },
	{ "GET", "/api/v1/orgs/{slug}/scim-connections/{id}", U "/scim-connections/@CONN@", NULL,
	  NULL, 0 },
	{ "DELETE", "/api/v1/orgs/{slug}/scim-connections/{id}", U "/scim-connections/@CONN@", NULL,
	  NULL, 0 },
	{ "POST", "/api/v1/orgs/{slug}/scim-connections/{id}/rotate",
	  U "/scim-connections/@CONN@/rotate", NULL, NULL, 0 },
	{ "GET", "/api/v1/orgs/{slug}/scim-connections/{id}/group-mappings",
	  U "/scim-connections/@CONN@/group-mappings", NULL, NULL, 0 },
	{ "POST", "/api/v1/orgs/{slug}/scim-connections/{id}/group-mappings",
	  U "/scim-connections/@CONN@/group-mappings", "{\"group\":\"g @N@\",\"role\":\"USER\"}",
	  NULL, 0 },
	{ "POST", "/api/v1/orgs/{slug}/scim-connections/{id}/group-mappings",
	  U "/scim-connections/@ACONN@/group-mappings", "{\"group\":\"g @N@\",\"team_id\":\"@TEAM@\"}",
	  NULL, 0 },
	{ "DELETE", "/api/v1/orgs/{slug}/scim-connections/{id}/group-mappings/{member}",
	  U "/scim-connections/@CONN@/group-mappings/@MAP@", NULL, NULL, 0 },
	{ "DELETE", "/api/v1/orgs/{slug}/scim-connections/{id}/group-mappings/{member}",
	  U "/scim-connections/@ACONN@/group-mappings/@MAP@", NULL, NULL, 0 },

	{ "GET", "/api/v1/orgs/{slug}/directory-mappings", U "/directory-mappings", NULL, NULL, 0 },
	{ "GET", "/api/v1/orgs/{slug}/directory-mappings",
	  U "/directory-mappings?directory=" DIR_B, NULL, NULL, 0 },
	{ "POST", "/api/v1/orgs/{slug}/directory-mappings", U "/directory-mappings",
	  "{\"directory\":\"" DIR_B "\",\"group\":\"cn=g@N@,ou=groups,dc=example,dc=org\","
	  "\"team_id\":\"@TEAM@\"}", NULL, 0 },
	{ "DELETE", "/api/v1/orgs/{slug}/directory-mappings/{id}", U "/directory-mappings/@DIRMAP@",
	  NULL, NULL, 0 },
	{ "GET", "/api/v1/directories", "/api/v1/directories", NULL, NULL, 0 },
	{ "GET", "/api/v1/directories/{slug}", "/api/v1/directories/" DIR_B, NULL, NULL, 0 },
	{ "POST", "/api/v1/directories/{slug}/sync", "/api/v1/directories/" DIR_B "/sync", NULL,
	  NULL, 0 },
	{ "GET", "/api/v1/directories/{slug}/runs", "/api/v1/directories/" DIR_B "/runs", NULL, NULL,
	  0 },
	{ "GET", "/api/v1/directories/{slug}/runs/{id}", "/api/v1/directories/" DIR_B "/runs/@RUN@",
	  NULL, NULL, F_NOCMP },

	{ "GET", "/scim/v2/ServiceProviderConfig", "/scim/v2/ServiceProviderConfig", NULL, NULL, 0 },
	{ "GET", "/scim/v2/ResourceTypes", "/scim/v2/ResourceTypes", NULL, NULL, 0 },
	{ "GET", "/scim/v2/ResourceTypes/{id}", "/scim/v2/ResourceTypes/User", NULL, NULL, 0 },
	{ "GET", "/scim/v2/Schemas", "/scim/v2/Schemas", NULL, NULL, 0 },
	{ "GET", "/scim/v2/Schemas/{id}", "/scim/v2/Schemas/" SG_GROUP_SCHEMA, NULL, NULL, 0 },
	{ "POST", "/scim/v2/.search", "/scim/v2/.search",
	  "{\"schemas\":[\"" SEARCH_SCHEMA "\"],\"count\":10000}", NULL, 0 },
	{ "POST", "/scim/v2/.search", "/scim/v2/.search", SEARCH("id eq \\\"@USER@\\\""), NULL,
	  F_BODY },
	{ "POST", "/scim/v2/.search", "/scim/v2/.search",
	  SEARCH("members.value eq \\\"@USER@\\\" or displayName eq \\\"@GROUPNAME@\\\""), NULL,
	  F_BODY },
	{ "POST", "/scim/v2/Bulk", "/scim/v2/Bulk",
	  "{\"schemas\":[\"" BULK_SCHEMA "\"],\"Operations\":["
	  "{\"method\":\"PATCH\",\"path\":\"/Users/@USER@\",\"data\":" SCIM_PATCH(
		  "[{\"op\":\"replace\",\"path\":\"active\",\"value\":false}]") "},"
	  "{\"method\":\"PUT\",\"path\":\"/Groups/@GROUP@\",\"version\":\"@GROUPETAGJSON@\",\"data\":"
	  SCIM_GROUP(",\"displayName\":\"taken @N@\"") "},"
	  "{\"method\":\"DELETE\",\"path\":\"/Users/@USER@\"},"
	  "{\"method\":\"DELETE\",\"path\":\"/Groups/@GROUP@\"},"
	  "{\"method\":\"POST\",\"path\":\"/Groups\",\"bulkId\":\"g1\",\"data\":"
	  SCIM_GROUP(",\"displayName\":\"bulk @N@\",\"members\":[{\"value\":\"@USER@\"}]") "},"
	  "{\"method\":\"PATCH\",\"path\":\"/Groups/@AGROUP@\",\"data\":" SCIM_PATCH(
		  "[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"@USER@\","
		  "\"$ref\":\"/scim/v2/Users/@USER@\"}]}]") "},"
	  "{\"method\":\"PATCH\",\"path\":\"/Groups/@AGROUP@\",\"data\":" SCIM_PATCH(
		  "[{\"op\":\"remove\",\"path\":\"members[value eq \\\"@USER@\\\"]\"}]") "},"
	  /* B's id as a bulkId, and a reference to it and to B's Group */
	  "{\"method\":\"POST\",\"path\":\"/Users\",\"bulkId\":\"@USER@\",\"data\":"
	  SCIM_USER(",\"userName\":\"bulk-@N@-r@RUN@@example.com\"") "},"
	  "{\"method\":\"PATCH\",\"path\":\"/Groups/@AGROUP@\",\"data\":" SCIM_PATCH(
		  "[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"bulkId:@USER@\"},"
		  "{\"value\":\"@GROUP@\",\"$ref\":\"/scim/v2/Groups/@GROUP@\"}]}]") "}"
	  "]}", NULL, F_BODY },
	{ "GET", "/scim/v2/Me", "/scim/v2/Me", NULL, NULL, 0 },
	{ "POST", "/scim/v2/Me", "/scim/v2/Me", SCIM_USER(",\"userName\":\"@UNAME@\""), NULL, 0 },
	{ "PUT", "/scim/v2/Me", "/scim/v2/Me", SCIM_USER(",\"userName\":\"@UNAME@\""), NULL, 0 },
	{ "PATCH", "/scim/v2/Me", "/scim/v2/Me",
	  SCIM_PATCH("[{\"op\":\"replace\",\"path\":\"active\",\"value\":false}]"), NULL, 0 },
	{ "DELETE", "/scim/v2/Me", "/scim/v2/Me", NULL, NULL, 0 },
	{ "POST", "/scim/v2/Users/.search", "/scim/v2/Users/.search",
	  SEARCH("id eq \\\"@USER@\\\" or userName eq \\\"@UNAME@\\\" or externalId eq \\\"@UEXT@\\\""),
	  NULL, F_BODY },
	{ "GET", "/scim/v2/Users", "/scim/v2/Users?count=10000", NULL, NULL, 0 },
	{ "GET", "/scim/v2/Users", "/scim/v2/Users?filter=id%20eq%20%22@USER@%22", NULL, NULL,
	  F_BODY },
	{ "GET", "/scim/v2/Users", "/scim/v2/Users?filter=userName%20eq%20%22@UNAME@%22", NULL, NULL,
	  F_BODY },
	{ "GET", "/scim/v2/Users", "/scim/v2/Users?filter=externalId%20eq%20%22@UEXT@%22", NULL,
	  NULL, F_BODY },
	{ "GET", "/scim/v2/Users", "/scim/v2/Users?filter=groups.value%20eq%20%22@GROUP@%22", NULL,
	  NULL, F_BODY },
	{ "POST", "/scim/v2/Users", "/scim/v2/Users",
	  SCIM_USER(",\"userName\":\"@UNAME@\",\"externalId\":\"@UEXT@\",\"active\":true"), NULL, 0 },
	{ "GET", "/scim/v2/Users/{id}", "/scim/v2/Users/@USER@", NULL, NULL, 0 },
	{ "GET", "/scim/v2/Users/{id}", "/scim/v2/Users/@USER@", NULL,
	  "If-None-Match: @USERETAG@", 0 },
	{ "PUT", "/scim/v2/Users/{id}", "/scim/v2/Users/@USER@",
	  SCIM_USER(",\"userName\":\"taken-@N@@example.com\",\"active\":false"), "If-Match: @USERETAG@", 0 },
	{ "PATCH", "/scim/v2/Users/{id}", "/scim/v2/Users/@USER@",
	  SCIM_PATCH("[{\"op\":\"replace\",\"path\":\"active\",\"value\":false}]"), "If-Match: @USERETAG@", 0 },
	{ "DELETE", "/scim/v2/Users/{id}", "/scim/v2/Users/@USER@", NULL, "If-Match: @USERETAG@", 0 },
	{ "POST", "/scim/v2/Groups/.search", "/scim/v2/Groups/.search",
	  SEARCH("id eq \\\"@GROUP@\\\" or members.value eq \\\"@USER@\\\""), NULL, F_BODY },
	{ "GET", "/scim/v2/Groups", "/scim/v2/Groups?count=10000", NULL, NULL, 0 },
	{ "GET", "/scim/v2/Groups", "/scim/v2/Groups?filter=displayName%20eq%20%22@GROUPNAME@%22",
	  NULL, NULL, F_BODY },
	{ "GET", "/scim/v2/Groups", "/scim/v2/Groups?filter=members.value%20eq%20%22@USER@%22", NULL,
	  NULL, F_BODY },
	{ "POST", "/scim/v2/Groups", "/scim/v2/Groups",
	  SCIM_GROUP(",\"displayName\":\"@GROUPNAME@\",\"externalId\":\"@UEXT@\"") , NULL, 0 },
	{ "POST", "/scim/v2/Groups", "/scim/v2/Groups",
	  SCIM_GROUP(",\"displayName\":\"with @N@\",\"members\":[{\"value\":\"@USER@\"}]"), NULL, 0 },
	{ "GET", "/scim/v2/Groups/{id}", "/scim/v2/Groups/@GROUP@", NULL, NULL, 0 },
	{ "GET", "/scim/v2/Groups/{id}", "/scim/v2/Groups/@GROUP@", NULL,
	  "If-None-Match: @GROUPETAG@", 0 },
	{ "PUT", "/scim/v2/Groups/{id}", "/scim/v2/Groups/@GROUP@",
	  SCIM_GROUP(",\"displayName\":\"taken @N@\",\"members\":[]"), "If-Match: @GROUPETAG@", 0 },
	{ "PATCH", "/scim/v2/Groups/{id}", "/scim/v2/Groups/@GROUP@",
	  SCIM_PATCH("[{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"taken @N@\"}]"),
	  "If-Match: @GROUPETAG@", 0 },
	{ "PATCH", "/scim/v2/Groups/{id}", "/scim/v2/Groups/@AGROUP@",
	  SCIM_PATCH("[{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"@USER@\"}]}]"),
	  NULL, 0 },
	{ "PATCH", "/scim/v2/Groups/{id}", "/scim/v2/Groups/@AGROUP@",
	  SCIM_PATCH("[{\"op\":\"replace\",\"path\":\"members\",\"value\":[{\"value\":\"@AUSER@\"},"
		     "{\"value\":\"@USER@\"}]}]"),
	  NULL, 0 },
	{ "DELETE", "/scim/v2/Groups/{id}", "/scim/v2/Groups/@GROUP@", NULL, "If-Match: @GROUPETAG@", 0 },
};

/* ---- the two tenants ---- */

enum { V_B, V_NONE, NVARIANTS };
enum { MAXSUB = 40 };

struct sub {
	const char *name;          /* "@USER@" */
	char val[NVARIANTS][160];  /* B's, and one that exists nowhere */
};

static struct tenant A, B;
static char a_api_token[128], a_team[40], a_user[40], a_group[40];
static char b_org_id[40], b_org_name[128], b_member[40], b_member_email[128];
static char b_api_token[128], b_revoked_scim[64], b_rotated_scim[64];
static struct person b_person;
static struct sub subs[MAXSUB];
static size_t nsubs;
/* Everything of B's an answer to A must never hold unless A sent it. */
static char markers[64][160];
static size_t nmarkers;
/* Markers A stored in its own org (a team A named like B's, a User with B's
 * userName: allowed, and asserted to be allowed): A's own from then on. */
static bool adopted[64];

static void marker(const char *v)
{
	assert_true(nmarkers < 64);
	assert_true(v != NULL && v[0] != '\0');
	snprintf(markers[nmarkers++], sizeof(markers[0]), "%s", v);
}

static void sub_set(const char *name, const char *b, const char *none)
{
	assert_true(nsubs < MAXSUB);
	subs[nsubs].name = name;
	snprintf(subs[nsubs].val[V_B], sizeof(subs[0].val[0]), "%s", b);
	snprintf(subs[nsubs].val[V_NONE], sizeof(subs[0].val[0]), "%s", none);
	nsubs++;
}

/* B's object and a well-formed id of nothing; the B value is also a marker. */
static void sub_b(const char *name, const char *b, const char *none)
{
	sub_set(name, b, none);
	marker(b);
}

static char *copy_str(const char *s)
{
	char *c = strdup(s ? s : "");
	assert_non_null(c);
	return c;
}

static void json_field(json_t *o, const char *path, char *out, size_t cap)
{
	const char *v = jstr(o, path);
	assert_non_null(v);
	snprintf(out, cap, "%s", v);
}

/* POST as token, expecting 201; field "id" (or another) of the answer. */
static void post_id(const char *token, const char *path, const char *body, const char *field,
		    char *out, size_t cap)
{
	json_t *o = NULL;
	long st = fx_call(token, "POST", &o, body, "%s", path);
	if (st != 201)
		fprintf(stderr, "POST %s -> %ld %s\n", path, st, jerr(o));
	assert_int_equal(st, 201);
	json_field(o, field, out, cap);
	json_decref(o);
}

static void scim_post(const char *token, const char *path, const char *body, char *id,
		      char *etag)
{
	struct scim_answer a;
	assert_int_equal(scim_req(token, "POST", path, body, NULL, &a), 201);
	snprintf(id, 40, "%s", jstr(a.body, "id"));
	if (etag != NULL)
		snprintf(etag, 64, "%s", a.etag);
	scim_answer_free(&a);
}

static void make_tenants(void)
{
	char path[256], body[1024], id[64], name[128], uname[128], uext[64], gname[128];
	char b_user[40], b_group[40], b_user_etag[64], b_group_etag[64], b_team[40];
	json_t *o = NULL;
	int n = fx_next();

	tenant_make(&A, "sweep-a");
	tenant_make(&B, "sweep-b");

	/* A: an ADMIN API token, a team, a SCIM User and Group of its own. */
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/api-tokens", A.slug);
	post_id(A.owner.token, path, "{\"name\":\"a ci\",\"role\":\"ADMIN\"}", "token", a_api_token,
		sizeof(a_api_token));
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/teams", A.slug);
	post_id(A.owner.token, path, "{\"name\":\"A team\"}", "id", a_team, sizeof(a_team));
	scim_post(A.token, "/scim/v2/Users",
		  SCIM_USER(",\"userName\":\"a-user@example.com\",\"active\":true"), a_user, NULL);
	snprintf(body, sizeof(body), SCIM_GROUP(",\"displayName\":\"A group\",\"members\":[{\"value\":\"%s\"}]"),
		 a_user);
	scim_post(A.token, "/scim/v2/Groups", body, a_group, NULL);

	/* B: every kind of object A could name. */
	assert_int_equal(fx_call(B.owner.token, "GET", &o, NULL, "/api/v1/orgs/%s", B.slug), 200);
	json_field(o, "id", b_org_id, sizeof(b_org_id));
	json_field(o, "name", b_org_name, sizeof(b_org_name));
	json_decref(o);
	o = NULL;
	fx_person(&b_person, "sweep-bu");
	fx_join(B.slug, &b_person, "USER", b_member);
	snprintf(b_member_email, sizeof(b_member_email), "%s", b_person.email);

	snprintf(name, sizeof(name), "B team %d", n);
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/teams", B.slug);
	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	post_id(B.admin.token, path, body, "id", b_team, sizeof(b_team));
	assert_int_equal(fx_call(B.admin.token, "PUT", NULL, NULL,
				 "/api/v1/orgs/%s/teams/%s/members/%s", B.slug, b_team, b_member),
			 200);
	sub_b("@TEAM@", b_team, "00000000-0000-4000-8000-00000000a001");
	sub_b("@TEAMNAME@", name, "No such team");

	snprintf(path, sizeof(path), "/api/v1/orgs/%s/invitations", B.slug);
	snprintf(body, sizeof(body),
		 "{\"email\":\"b-invitee-%d@example.com\",\"username\":\"binvitee%d\",\"role\":\"USER\"}",
		 n, n);
	post_id(B.admin.token, path, body, "id", id, sizeof(id));
	sub_b("@INV@", id, "00000000-0000-4000-8000-00000000a002");
	snprintf(name, sizeof(name), "b-invitee-%d@example.com", n);
	marker(name);

	snprintf(name, sizeof(name), "b ci %d", n);
	snprintf(path, sizeof(path), "/api/v1/orgs/%s/api-tokens", B.slug);
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"role\":\"VIEWER\"}", name);
	assert_int_equal(fx_call(B.owner.token, "POST", &o, body, "%s", path), 201);
	json_field(o, "token", b_api_token, sizeof(b_api_token));
	json_field(o, "id", id, sizeof(id));
	json_decref(o);
	o = NULL;
	sub_b("@TOKEN@", id, "00000000-0000-4000-8000-00000000a003");
	sub_b("@TOKENNAME@", name, "No such token");
	marker(b_api_token);

	sub_b("@CONN@", B.conn_id, "00000000-0000-4000-8000-00000000a004");
	marker(B.token);
	assert_int_equal(fx_call(B.admin.token, "GET", &o, NULL, "/api/v1/orgs/%s/scim-connections/%s",
				 B.slug, B.conn_id),
			 200);
	json_field(o, "name", name, sizeof(name));
	json_decref(o);
	o = NULL;
	sub_b("@CONNNAME@", name, "No such connection");

	snprintf(path, sizeof(path), "/api/v1/orgs/%s/scim-connections/%s/group-mappings", B.slug,
		 B.conn_id);
	snprintf(body, sizeof(body), "{\"group\":\"b-idp-group-%d\",\"role\":\"VIEWER\"}", n);
	post_id(B.admin.token, path, body, "id", id, sizeof(id));
	sub_b("@MAP@", id, "00000000-0000-4000-8000-00000000a005");
	snprintf(name, sizeof(name), "b-idp-group-%d", n);
	marker(name);

	snprintf(path, sizeof(path), "/api/v1/orgs/%s/directory-mappings", B.slug);
	snprintf(body, sizeof(body),
		 "{\"directory\":\"" DIR_B "\",\"group\":\"cn=b-dir-%d,ou=groups,dc=example,dc=org\","
		 "\"role\":\"USER\"}", n);
	post_id(B.admin.token, path, body, "id", id, sizeof(id));
	sub_b("@DIRMAP@", id, "00000000-0000-4000-8000-00000000a006");
	snprintf(name, sizeof(name), "cn=b-dir-%d,ou=groups,dc=example,dc=org", n);
	marker(name);

	/* A finished run of B's directory whose details name B. */
	char *run = fx_sql_value(
		"INSERT INTO ldap_sync_runs (directory_name, kind, status, finished_at, counts, errors)"
		" VALUES ('" DIR_B "', 'full', 'failed', now(),"
		" jsonb_build_object('users_seen', 3, 'orgs', jsonb_build_array(jsonb_build_object("
		"  'org_id', '%s'::text, 'slug', '%s'::text, 'added', 2))),"
		" jsonb_build_array(jsonb_build_object('org_id', '%s'::text,"
		"  'dn', 'uid=b-secret-dn-%d,ou=people,dc=example,dc=org', 'error', 'x')))"
		" RETURNING id",
		b_org_id, B.slug, b_org_id, n);
	assert_non_null(run);
	sub_set("@RUN@", run, "999999999");
	free(run);
	snprintf(name, sizeof(name), "uid=b-secret-dn-%d", n);
	marker(name);

	/* B's SCIM User (with an externalId) in B's SCIM Group. */
	snprintf(uname, sizeof(uname), "b-scim-%d@example.com", n);
	snprintf(uext, sizeof(uext), "b-ext-%d", n);
	snprintf(body, sizeof(body),
		 SCIM_USER(",\"userName\":\"%s\",\"externalId\":\"%s\",\"displayName\":\"B Secret %d\","
			   "\"active\":true"),
		 uname, uext, n);
	scim_post(B.token, "/scim/v2/Users", body, b_user, b_user_etag);
	snprintf(gname, sizeof(gname), "B group %d", n);
	snprintf(body, sizeof(body),
		 SCIM_GROUP(",\"displayName\":\"%s\",\"members\":[{\"value\":\"%s\"}]"), gname,
		 b_user);
	scim_post(B.token, "/scim/v2/Groups", body, b_group, b_group_etag);
	sub_b("@USER@", b_user, "00000000-0000-4000-8000-00000000a007");
	sub_b("@UNAME@", uname, "nobody-at-all@example.com");
	sub_b("@UEXT@", uext, "no-such-external-id");
	sub_b("@GROUP@", b_group, "00000000-0000-4000-8000-00000000a008");
	sub_b("@GROUPNAME@", gname, "No such group");
	snprintf(name, sizeof(name), "B Secret %d", n);
	marker(name);
	/* The same validator is sent for both: only the id differs. */
	sub_set("@USERETAG@", b_user_etag, b_user_etag);
	sub_set("@GROUPETAG@", b_group_etag, b_group_etag);
	char etag_json[128], *w = etag_json;
	for (const char *r = b_group_etag; *r != '\0' && w < etag_json + sizeof(etag_json) - 3; r++) {
		if (*r == '"')
			*w++ = '\\';
		*w++ = *r;
	}
	*w = '\0';
	sub_set("@GROUPETAGJSON@", etag_json, etag_json);

	/* A revoked connection's token and a rotated-out one (no overlap). */
	scim_connect(&B.admin, B.slug, "revoked", id, b_revoked_scim);
	assert_int_equal(fx_call(B.admin.token, "DELETE", NULL, NULL,
				 "/api/v1/orgs/%s/scim-connections/%s", B.slug, id),
			 204);
	scim_connect(&B.admin, B.slug, "rotated", id, b_rotated_scim);
	assert_int_equal(fx_call(B.admin.token, "POST", NULL, NULL,
				 "/api/v1/orgs/%s/scim-connections/%s/rotate", B.slug, id),
			 200);

	sub_b("@ORGNAME@", b_org_name, "No such org");
	sub_b("@MEMBER@", b_member, "00000000-0000-4000-8000-00000000a009");
	sub_b("@OWNER@", B.owner_id, "00000000-0000-4000-8000-00000000a00a");
	sub_b("@EMAIL@", b_member_email, "nobody-here@example.com");
	snprintf(name, sizeof(name), "%.*s", (int)(strchr(b_member_email, '@') - b_member_email),
		 b_member_email);
	sub_set("@USERNAME@", name, "nobodyhere");
	marker(b_org_id);
	marker(B.admin_id);
	marker(B.owner.email);
	marker(B.admin.email);
	marker(B.owner.token);
	marker(B.admin.token);
	marker(b_person.token);
	/* Last, so that the longer names above are put back first. */
	sub_b("@SLUG@", B.slug, "no-such-org-anywhere");
}

/* ---- requests ---- */

enum caller {
	K_SESSION,   /* A's owner's session */
	K_API,       /* an ADMIN API token of A */
	K_SCIM,      /* A's SCIM connection */
	K_B_REVOKED, /* a revoked connection of B */
	K_B_ROTATED, /* a connection of B's token, rotated out (no overlap) */
	K_NONE,
	K_MALFORMED,
	NCALLERS
};

static const char *const caller_names[NCALLERS] = {
	"A session", "A API token", "A SCIM token", "B revoked SCIM token",
	"B rotated-out SCIM token", "no token", "malformed token",
};

static const char *caller_token(enum caller k)
{
	switch (k) {
	case K_SESSION: return A.owner.token;
	case K_API: return a_api_token;
	case K_SCIM: return A.token;
	case K_B_REVOKED: return b_revoked_scim;
	case K_B_ROTATED: return b_rotated_scim;
	case K_NONE: return NULL;
	case K_MALFORMED: return "obs_%%not=a\"token..";
	default: return NULL;
	}
}

static const struct sub *sub_find(const char *name, size_t len)
{
	for (size_t i = 0; i < nsubs; i++)
		if (strlen(subs[i].name) == len && strncmp(subs[i].name, name, len) == 0)
			return &subs[i];
	return NULL;
}

/* Expand a template: "@NAME@" (capitals only) is B's value or nobody's;
 * mode_a puts A's own slug for @SLUG@; @N@ is n; A's own objects are
 * @ATEAM@, @ACONN@, @AGROUP@, @AUSER@. */
static void expand(const char *t, int variant, int mode_a, int n, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	if (t == NULL)
		return;
	while (*t != '\0') {
		size_t len = 1;
		if (*t == '@')
			while (t[len] >= 'A' && t[len] <= 'Z')
				len++;
		if (*t != '@' || len == 1 || t[len] != '@') {
			assert_true(o + 1 < cap);
			out[o++] = *t++;
			continue;
		}
		len++; /* the closing '@' */
		char num[16];
		const char *v = NULL;
		const struct sub *s;
		if (len == 3 && t[1] == 'N') {
			snprintf(num, sizeof(num), "%d", n);
			v = num;
		} else if (strncmp(t, "@ATEAM@", len) == 0 && len == 7) {
			v = a_team;
		} else if (strncmp(t, "@ACONN@", len) == 0 && len == 7) {
			v = A.conn_id;
		} else if (strncmp(t, "@AGROUP@", len) == 0 && len == 8) {
			v = a_group;
		} else if (strncmp(t, "@AUSER@", len) == 0 && len == 7) {
			v = a_user;
		} else if (mode_a && strncmp(t, "@SLUG@", len) == 0 && len == 6) {
			v = A.slug;
		} else if ((s = sub_find(t, len)) != NULL) {
			v = s->val[variant];
		}
		if (v == NULL)
			fail_msg("unknown placeholder in template: %.*s", (int)len, t);
		char enc[512];
		if (memchr(out, '?', o) != NULL) { /* a value in a query string */
			scim_urlencode(v, enc, sizeof(enc));
			v = enc;
		}
		size_t vl = strlen(v);
		assert_true(o + vl < cap);
		memcpy(out + o, v, vl);
		o += vl;
		t += len;
	}
	out[o] = '\0';
}

struct answer {
	long status;
	char *body;
};

static void answer_free(struct answer *a)
{
	free(a->body);
	a->body = NULL;
}

static void send(enum caller k, const char *method, const char *path, const char *body,
		 const char *header, struct answer *ans)
{
	const char *h[4];
	char auth[256], url[2048];
	size_t n = 0;
	struct http_result res;
	const char *token = caller_token(k);

	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[n++] = auth;
	}
	if (body != NULL)
		h[n++] = strncmp(path, "/scim/", 6) == 0 ? "Content-Type: application/scim+json"
							: "Content-Type: application/json";
	if (header != NULL && header[0] != '\0')
		h[n++] = header;
	h[n] = NULL;
	snprintf(url, sizeof(url), "%s%s", fx_daemon.base_url, path);
	if (http_request(method, url, h, body, body ? strlen(body) : 0, &res) != 0)
		fail_msg("no answer to %s %s as %s", method, path, caller_names[k]);
	ans->status = res.status;
	ans->body = copy_str(res.body);
	http_result_free(&res);
}

/* Replace every occurrence of from by to in *s (reallocated). */
static void replace_all(char **s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), count = 0;
	const char *p;

	if (fl == 0)
		return;
	for (p = *s; (p = strstr(p, from)) != NULL; p += fl)
		count++;
	if (count == 0)
		return;
	char *out = malloc(strlen(*s) + count * (tl + 1) + 1), *w = out;
	assert_non_null(out);
	const char *r = *s;
	while ((p = strstr(r, from)) != NULL) {
		memcpy(w, r, (size_t)(p - r));
		w += p - r;
		memcpy(w, to, tl);
		w += tl;
		r = p + fl;
	}
	strcpy(w, r);
	free(*s);
	*s = out;
}

/* What may differ between two answers that reveal the same: request ids,
 * and the ids, versions and locations of objects A itself created. */
static void strip(json_t *j)
{
	static const char *const drop[] = { "request_id", "id", "location", "version", "meta",
					    "created_at", "updated_at", "token", "expires_at" };
	size_t i;
	json_t *v;
	const char *key;
	void *tmp;

	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			strip(v);
	} else if (json_is_object(j)) {
		for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
			json_object_del(j, drop[i]);
		json_object_foreach_safe(j, tmp, key, v)
			strip(v);
	}
}

/* The answer as text with what was sent put back as placeholders. */
static char *normalize(const char *body, int variant, int mode_a)
{
	json_t *j = json_loads(body, 0, NULL);
	char *text;
	size_t order[MAXSUB];

	if (j != NULL) {
		strip(j);
		text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
		json_decref(j);
	} else {
		text = copy_str(body);
	}
	assert_non_null(text);
	/* Longest values first, so that no value is cut inside another. */
	for (size_t i = 0; i < nsubs; i++)
		order[i] = i;
	for (size_t i = 0; i < nsubs; i++)
		for (size_t k = i + 1; k < nsubs; k++)
			if (strlen(subs[order[k]].val[variant]) > strlen(subs[order[i]].val[variant])) {
				size_t t = order[i];
				order[i] = order[k];
				order[k] = t;
			}
	/* Only values that differ between the two requests; short ones (a run
	 * number) would be found inside unrelated numbers. @N@ is the same in
	 * both requests, so it needs no putting back. */
	for (size_t i = 0; i < nsubs; i++) {
		const struct sub *s = &subs[order[i]];
		if ((mode_a && strcmp(s->name, "@SLUG@") == 0) ||
		    strcmp(s->val[V_B], s->val[V_NONE]) == 0 || strlen(s->val[variant]) < 6)
			continue;
		replace_all(&text, s->val[variant], s->name);
	}
	return text;
}

static int failures;

static void report(const struct rcase *c, int mode_a, enum caller k, const char *what,
		   const char *path, const struct answer *a, const char *detail)
{
	failures++;
	fprintf(stderr, "LEAK %s %s%s as %s: %s\n  sent %s\n  answer %ld %.600s\n%s%s",
		c->method, c->pattern, mode_a ? " [A's slug]" : "", caller_names[k], what, path,
		a->status, a->body, detail ? detail : "", detail ? "\n" : "");
}

static bool is_2xx(long status)
{
	return status >= 200 && status < 300;
}

/* Which B names an answer holds that the request did not send itself. */
static void check_markers(const struct rcase *c, int mode_a, enum caller k, const char *path,
			  const char *body, const struct answer *a)
{
	for (size_t i = 0; i < nmarkers; i++) {
		const char *m = markers[i];
		bool sent = strstr(path, m) != NULL || (body != NULL && strstr(body, m) != NULL);
		if (sent && a->status == 201 && !adopted[i]) {
			adopted[i] = true;
			fprintf(stderr, "A now holds a copy of \"%s\" (%s %s)\n", m, c->method, path);
		}
		if (sent || adopted[i])
			continue;
		if (strstr(a->body, m) != NULL)
			report(c, mode_a, k, "the answer holds B's", path, a, m);
	}
}

static int run_case(const struct rcase *c, int mode_a, enum caller k)
{
	char path[NVARIANTS][2048], body[NVARIANTS][4096], hdr[NVARIANTS][256];
	struct answer a[NVARIANTS] = { { 0, NULL }, { 0, NULL } };
	int n = fx_next();
	int nv;
	bool scim = strncmp(c->path, "/scim/", 6) == 0;

	for (int v = 0; v < NVARIANTS; v++) {
		expand(c->path, v, mode_a, n, path[v], sizeof(path[v]));
		expand(c->body, v, mode_a, n, body[v], sizeof(body[v]));
		expand(c->header, v, mode_a, n, hdr[v], sizeof(hdr[v]));
	}
	/* A template naming nothing of B's is sent once. */
	nv = strcmp(path[V_B], path[V_NONE]) || strcmp(body[V_B], body[V_NONE]) ||
			     strcmp(hdr[V_B], hdr[V_NONE])
		     ? 2
		     : 1;
	for (int v = 0; v < nv; v++) {
		send(k, c->method, path[v], c->body ? body[v] : NULL, hdr[v], &a[v]);
		check_markers(c, mode_a, k, path[v], c->body ? body[v] : NULL, &a[v]);
	}

	/* Credentials first: what no valid credential of the route's kind may pass. */
	bool bad_credential = k == K_B_REVOKED || k == K_B_ROTATED || k == K_NONE ||
			      k == K_MALFORMED || (k == K_SCIM && !scim) ||
			      ((k == K_SESSION || k == K_API) && scim);
	if (bad_credential && !(c->flags & F_ANON) && a[V_B].status != 401)
		report(c, mode_a, k, "a caller without a valid credential was not refused with 401",
		       path[V_B], &a[V_B], NULL);
	/* B's slug: A is no member of B, so B is not there for A. */
	if (!mode_a && strstr(c->path, "@SLUG@") != NULL && is_2xx(a[V_B].status))
		report(c, mode_a, k, "B's org answered A", path[V_B], &a[V_B], NULL);

	if (nv == 2 && !(c->flags & F_NOCMP)) {
		if (a[V_B].status != a[V_NONE].status) {
			report(c, mode_a, k, "B's object is told apart from none by the status",
			       path[V_B], &a[V_B], NULL);
			fprintf(stderr, "  nothing: %s -> %ld %.300s\n", path[V_NONE], a[V_NONE].status,
				a[V_NONE].body);
		} else if (!is_2xx(a[V_B].status) || (c->flags & F_BODY)) {
			char *nb = normalize(a[V_B].body, V_B, mode_a);
			char *nn = normalize(a[V_NONE].body, V_NONE, mode_a);
			if (strcmp(nb, nn) != 0) {
				report(c, mode_a, k, "B's object is told apart from none by the body",
				       path[V_B], &a[V_B], NULL);
				fprintf(stderr, "  B:       %.600s\n  nothing: %.600s\n", nb, nn);
			}
			free(nb);
			free(nn);
		}
	}
	for (int v = 0; v < nv; v++)
		answer_free(&a[v]);
	return nv;
}

/* B's rows, as text, and how many audit events B has. */
static char *b_state(void)
{
	char *s = fx_sql_value(
		"SELECT string_agg(r, E'\\n' ORDER BY r) FROM ("
		" SELECT 'org ' || row(o.*)::text r FROM organizations o WHERE o.id = '%1$s'"
		" UNION ALL SELECT 'member ' || row(x.*)::text FROM members x WHERE x.org_id = '%1$s'"
		" UNION ALL SELECT 'team ' || row(x.*)::text FROM teams x WHERE x.org_id = '%1$s'"
		" UNION ALL SELECT 'team_member ' || row(x.*)::text FROM team_members x"
		"  WHERE x.org_id = '%1$s'"
		" UNION ALL SELECT 'invitation ' || row(x.*)::text FROM invitations x"
		"  WHERE x.org_id = '%1$s'"
		" UNION ALL SELECT 'api_token ' || row(x.*)::text FROM api_tokens x"
		"  WHERE x.org_id = '%1$s'"
		" UNION ALL SELECT 'transfer ' || row(x.*)::text FROM ownership_transfers x"
		"  WHERE x.org_id = '%1$s'"
		" UNION ALL SELECT 'scim_connection ' || row(x.*)::text FROM scim_connections x"
		"  WHERE x.org_id = '%1$s'"
		" UNION ALL SELECT 'scim_token ' || row(x.*)::text FROM scim_tokens x"
		"  JOIN scim_connections c ON c.id = x.connection_id WHERE c.org_id = '%1$s'"
		" UNION ALL SELECT 'mapping ' || row(x.*)::text FROM group_role_mappings x"
		"  WHERE x.org_id = '%1$s'"
		" UNION ALL SELECT 'audit events ' || count(*) FROM audit_events x"
		"  WHERE x.org_id = '%1$s') rows",
		b_org_id);
	assert_non_null(s);
	return s;
}

/* ---- tests ---- */

static void test_every_route_has_a_case(void **state)
{
	int missing = 0;

	(void)state;
	for (size_t r = 0; r < api_routes_count; r++) {
		bool found = false;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && !found; i++)
			found = strcmp(cases[i].method, api_routes[r].method) == 0 &&
				strcmp(cases[i].pattern, api_routes[r].pattern) == 0;
		if (!found) {
			fprintf(stderr, "no tenant sweep case for %s %s\n", api_routes[r].method,
				api_routes[r].pattern);
			missing++;
		}
	}
	/* And no case for a route that is gone (a typo would test nothing). */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool found = false;
		for (size_t r = 0; r < api_routes_count && !found; r++)
			found = strcmp(cases[i].method, api_routes[r].method) == 0 &&
				strcmp(cases[i].pattern, api_routes[r].pattern) == 0;
		if (!found) {
			fprintf(stderr, "tenant sweep case for no route: %s %s\n", cases[i].method,
				cases[i].pattern);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

static void test_every_route_as_every_caller_of_a_reveals_and_changes_nothing_of_b(void **state)
{
	char *before, *after;
	size_t requests = 0;

	(void)state;
	before = b_state();
	failures = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcase *c = &cases[i];
		int modes = strstr(c->path, "@SLUG@") != NULL ? 2 : 1;
		for (int mode_a = 0; mode_a < modes; mode_a++)
			for (int k = 0; k < NCALLERS; k++) {
				if (k == K_SESSION && (c->flags & F_NO_SESSION))
					continue;
				requests += (size_t)run_case(c, mode_a, (enum caller)k);
			}
	}
	fprintf(stderr, "tenant sweep: %zu cases, %zu requests, %d findings\n",
		sizeof(cases) / sizeof(cases[0]), requests, failures);
	after = b_state();
	bool same = strcmp(before, after) == 0;
	if (!same)
		fprintf(stderr, "B before the sweep:\n%s\nB after:\n%s\n", before, after);
	free(before);
	free(after);
	assert_int_equal(failures, 0);
	assert_true(same);
	/* A's own session still works: the sweep tested something all along. */
	assert_int_equal(fx_call(A.owner.token, "GET", NULL, NULL, "/api/v1/orgs/%s", A.slug), 200);
}

/* GET /metrics with "Authorization: <authorization>" (NULL: none). */
static long get_metrics(const char *authorization, struct answer *ans)
{
	const char *h[2] = { authorization, NULL };
	char url[600];
	struct http_result res;

	snprintf(url, sizeof(url), "%s/metrics", fx_daemon.base_url);
	assert_int_equal(http_request("GET", url, h, NULL, 0, &res), 0);
	ans->status = res.status;
	ans->body = copy_str(res.body);
	http_result_free(&res);
	return ans->status;
}

static void test_metrics_with_a_token_file_answer_only_that_token(void **state)
{
	struct answer a;
	const char *refused[] = { NULL, "Authorization: Bearer wrong-token",
				  "Authorization: Basic " METRICS_TOKEN,
				  "Authorization: Bearer " METRICS_TOKEN "x" };
	char auth[256];

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (get_metrics(refused[i], &a) != 401)
			fail_msg("/metrics with %s: %ld", refused[i] ? refused[i] : "nothing", a.status);
		assert_null(strstr(a.body, "orgbridge_"));
		answer_free(&a);
	}
	/* Not even a valid session, API or SCIM token of an org will do. */
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", A.owner.token);
	assert_int_equal(get_metrics(auth, &a), 401);
	answer_free(&a);
	assert_int_equal(get_metrics("Authorization: Bearer " METRICS_TOKEN, &a), 200);
	assert_non_null(strstr(a.body, "orgbridge_http_requests_total"));
	answer_free(&a);
}

static void test_metrics_holds_no_org_or_user_names(void **state)
{
	struct answer a;
	const char *names[] = { A.slug, A.conn_id, A.owner.email, A.owner_id, a_user, a_group,
				a_team, "a-user@example.com" };

	(void)state;
	/* Traffic naming both tenants first, so the counters have seen their paths. */
	assert_int_equal(fx_call(A.owner.token, "GET", NULL, NULL, "/api/v1/orgs/%s/members/%s",
				 A.slug, A.owner_id), 200);
	assert_int_equal(get_metrics("Authorization: Bearer " METRICS_TOKEN, &a), 200);
	for (size_t i = 0; i < nmarkers; i++)
		if (strstr(a.body, markers[i]) != NULL)
			fail_msg("/metrics holds B's %s", markers[i]);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strstr(a.body, names[i]) != NULL)
			fail_msg("/metrics holds A's %s", names[i]);
	/* Routes are labelled by pattern, which is how it stays that way. */
	assert_non_null(strstr(a.body, "route=\"/api/v1/orgs/{slug}/members/{id}\""));
	answer_free(&a);
}

/* Regression: a directory's status counted the mappings, orgs and managed
 * members of every org it maps to, so an admin of A learnt how many of B's
 * members a directory mapped only to B manages. */
static void test_directory_status_counts_only_the_callers_orgs(void **state)
{
	json_t *out = NULL;

	(void)state;
	assert_int_equal(fx_call(A.owner.token, "GET", &out, NULL, "/api/v1/directories/" DIR_B),
			 200);
	assert_int_equal(jint(out, "mappings"), 0);
	assert_int_equal(jint(out, "orgs"), 0);
	assert_int_equal(jint(out, "managed_members"), 0);
	json_decref(out);
	assert_int_equal(fx_call(a_api_token, "GET", &out, NULL, "/api/v1/directories"), 200);
	assert_string_equal(jstr(out, "items.0.name"), DIR_B);
	assert_int_equal(jint(out, "items.0.mappings"), 0);
	assert_int_equal(jint(out, "items.0.orgs"), 0);
	json_decref(out);
	/* B's admin still sees B's mapping. */
	assert_int_equal(fx_call(B.admin.token, "GET", &out, NULL, "/api/v1/directories/" DIR_B),
			 200);
	assert_int_equal(jint(out, "mappings"), 1);
	assert_int_equal(jint(out, "orgs"), 1);
	json_decref(out);
}

/* Regression: /Me answered 501 to anyone, token or not, while every other
 * SCIM endpoint (discovery included) answers only a connection's token. */
static void test_scim_me_needs_a_connection_token(void **state)
{
	struct answer a;
	static const enum caller refused[] = { K_NONE, K_MALFORMED, K_B_REVOKED, K_B_ROTATED,
					       K_SESSION, K_API };

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		send(refused[i], "GET", "/scim/v2/Me", NULL, NULL, &a);
		if (a.status != 401)
			fail_msg("GET /scim/v2/Me as %s: %ld", caller_names[refused[i]], a.status);
		answer_free(&a);
	}
	send(K_SCIM, "GET", "/scim/v2/Me", NULL, NULL, &a);
	assert_int_equal(a.status, 501);
	answer_free(&a);
}

static char metrics_token_path[64];

static int group_setup(void **state)
{
	char conf[1024];
	int fd;

	(void)state;
	/* mkstemp makes the file 0600: the daemon refuses a token others can read. */
	snprintf(metrics_token_path, sizeof(metrics_token_path), "/tmp/ob-sweep-metrics-XXXXXX");
	fd = mkstemp(metrics_token_path);
	if (fd < 0 || write(fd, METRICS_TOKEN "\n", strlen(METRICS_TOKEN) + 1) < 0 || close(fd) != 0)
		return -1;
	snprintf(conf, sizeof(conf),
		 "[server]\nmetrics_token_file = %s\n"
		 "[scim]\ntoken_cache_ttl = 0\ntoken_rotation_overlap = 0\n"
		 "[directory " DIR_B "]\nuri = ldap://127.0.0.1:9\n"
		 "user_base = ou=people,dc=example,dc=org\n"
		 "group_base = ou=groups,dc=example,dc=org\ninterval = 0\n",
		 metrics_token_path);
	if (fx_start("tenant_sweep", conf) != 0)
		return -1;
	make_tenants();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(metrics_token_path);
	return fx_stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_route_has_a_case),
		cmocka_unit_test(test_every_route_as_every_caller_of_a_reveals_and_changes_nothing_of_b),
		cmocka_unit_test(test_metrics_holds_no_org_or_user_names),
		cmocka_unit_test(test_metrics_with_a_token_file_answer_only_that_token),
		cmocka_unit_test(test_scim_me_needs_a_connection_token),
		cmocka_unit_test(test_directory_status_counts_only_the_callers_orgs),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

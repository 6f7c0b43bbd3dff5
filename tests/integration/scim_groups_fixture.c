#include "scim_groups_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_util.h"

void sg_user(const struct tenant *t, const char *tag, char *id)
{
	char body[512];
	struct scim_answer a;

	snprintf(body, sizeof(body),
		 "{\"schemas\":[\"" SG_USER_SCHEMA "\"],\"userName\":\"%s-%d@example.com\","
		 "\"displayName\":\"%s\",\"active\":true}",
		 tag, fx_next(), tag);
	assert_int_equal(scim_req(t->token, "POST", "/scim/v2/Users", body, NULL, &a), 201);
	snprintf(id, 40, "%s", jstr(a.body, "id"));
	scim_answer_free(&a);
}

long sg_group(const struct tenant *t, const char *name, const char *const *members, char *id)
{
	char body[8192];
	size_t n;
	struct scim_answer a;
	long status;

	n = (size_t)snprintf(body, sizeof(body),
			     "{\"schemas\":[\"" SG_GROUP_SCHEMA "\"],\"displayName\":\"%s\",\"members\":[",
			     name);
	for (size_t i = 0; members != NULL && members[i] != NULL; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "%s{\"value\":\"%s\"}",
				      i ? "," : "", members[i]);
	snprintf(body + n, sizeof(body) - n, "]}");
	status = scim_req(t->token, "POST", "/scim/v2/Groups", body, NULL, &a);
	if (id != NULL)
		snprintf(id, 40, "%s", status == 201 && jstr(a.body, "id") ? jstr(a.body, "id") : "");
	scim_answer_free(&a);
	return status;
}

long sg_patch(const struct tenant *t, const char *id, const char *operations,
	      struct scim_answer *ans)
{
	char path[128];
	char *body = NULL;
	struct scim_answer a;
	long status;

	snprintf(path, sizeof(path), "/scim/v2/Groups/%s", id);
	assert_true(asprintf(&body, "{\"schemas\":[\"" SG_PATCH_SCHEMA "\"],\"Operations\":%s}",
			     operations) > 0);
	status = scim_req(t->token, "PATCH", path, body, NULL, ans ? ans : &a);
	if (ans == NULL)
		scim_answer_free(&a);
	free(body);
	return status;
}

long long sg_member_count(const char *group_id)
{
	return fx_sql_count("SELECT count(*) FROM team_members WHERE team_id = '%s'", group_id);
}

int sg_is_member(const char *group_id, const char *member_id)
{
	return (int)fx_sql_count("SELECT count(*) FROM team_members WHERE team_id = '%s'"
				 " AND member_id = '%s'", group_id, member_id);
}

void sg_map(const struct tenant *t, const char *group, const char *role, const char *team_id)
{
	char body[1024];
	json_t *out = NULL;

	snprintf(body, sizeof(body), "{\"group\":\"%s\"%s%s%s%s%s%s}", group,
		 role ? ",\"role\":\"" : "", role ? role : "", role ? "\"" : "",
		 team_id ? ",\"team_id\":\"" : "", team_id ? team_id : "", team_id ? "\"" : "");
	assert_int_equal(fx_call(t->admin.token, "POST", &out, body,
				 "/api/v1/orgs/%s/scim-connections/%s/group-mappings", t->slug,
				 t->conn_id),
			 201);
	json_decref(out);
}

#include "scim/user_render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCIM_USER_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:User"

void scim_user_timestamp(int64_t seconds, char *buf, size_t cap)
{
	time_t t = (time_t)seconds;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, cap, "1970-01-01T00:00:00Z");
		return;
	}
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* jsonb's key order: shorter keys first, equal lengths bytewise. */
struct key {
	const char *name;
	size_t len;
	json_t *value;
};

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->name, y->name, x->len);
}

/* A copy of obj (values shared) with its keys in jsonb's order. */
static json_t *in_jsonb_order(json_t *obj)
{
	size_t n = json_object_size(obj), i = 0;
	struct key *keys = calloc(n ? n : 1, sizeof(*keys));
	json_t *out = json_object(), *v;
	const char *k;

	if (keys == NULL || out == NULL)
		goto fail;
	json_object_foreach(obj, k, v) {
		keys[i++] = (struct key){ k, strlen(k), v };
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 0; i < n; i++)
		if (json_object_set(out, keys[i].name, keys[i].value) != 0)
			goto fail;
	free(keys);
	return out;
fail:
	free(keys);
	json_decref(out);
	return NULL;
}

/* base + "/" + kind + "/" + id, as a new JSON string. */
static json_t *ref_of(const char *base, const char *kind, const char *id)
{
	size_t len = strlen(base) + strlen(kind) + strlen(id) + 3;
	char *s = malloc(len);
	json_t *out;

	if (s == NULL)
		return NULL;
	snprintf(s, len, "%s/%s/%s", base, kind, id);
	out = json_string(s);
	free(s);
	return out;
}

static int set_new(json_t *obj, const char *key, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(obj, key, v);
}

/* {"$ref", "value", "display"}: jsonb's order of the SQL rendering. */
static json_t *group_of(const struct scim_user_fields *f, const struct scim_user_group *g)
{
	json_t *o = json_object();

	if (o == NULL || set_new(o, "$ref", ref_of(f->base_url, "Groups", g->id)) != 0 ||
	    set_new(o, "value", json_string(g->id)) != 0 ||
	    set_new(o, "display", json_string(g->name)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *meta_of(const struct scim_user_fields *f)
{
	char created[32], modified[32], version[48];
	json_t *o = json_object();

	scim_user_timestamp(f->created, created, sizeof(created));
	scim_user_timestamp(f->last_modified, modified, sizeof(modified));
	snprintf(version, sizeof(version), "W/\"%ld\"", f->version);
	/* jsonb's order: created, version, location, lastModified, resourceType. */
	if (o == NULL || set_new(o, "created", json_string(created)) != 0 ||
	    set_new(o, "version", json_string(version)) != 0 ||
	    set_new(o, "location", ref_of(f->base_url, "Users", f->id)) != 0 ||
	    set_new(o, "lastModified", json_string(modified)) != 0 ||
	    set_new(o, "resourceType", json_string("User")) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *scim_user_render(const struct scim_user_fields *f)
{
	json_t *user, *groups = NULL, *out = NULL;

	user = json_loadb(f->profile, f->profile_len, 0, NULL);
	if (!json_is_object(user))
		goto done;
	if (json_object_get(user, "schemas") == NULL &&
	    set_new(user, "schemas", json_pack("[s]", SCIM_USER_SCHEMA)) != 0)
		goto done;
	if (set_new(user, "id", json_string(f->id)) != 0 ||
	    set_new(user, "userName", json_string(f->user_name)) != 0 ||
	    set_new(user, "active", json_boolean(f->active)) != 0 ||
	    set_new(user, "meta", meta_of(f)) != 0)
		goto done;
	if (f->external_id != NULL && set_new(user, "externalId", json_string(f->external_id)) != 0)
		goto done;
	if (f->n_groups > 0) {
		if ((groups = json_array()) == NULL)
			goto done;
		for (size_t i = 0; i < f->n_groups; i++)
			if (json_array_append_new(groups, group_of(f, &f->groups[i])) != 0)
				goto done;
		if (json_object_set(user, "groups", groups) != 0)
			goto done;
	}
	out = in_jsonb_order(user);
done:
	json_decref(groups);
	json_decref(user);
	return out;
}

/* See report.h. */
#include "sync/report.h"

#include <stddef.h>
#include <stdint.h>

/* The plan_counts fields in report order (skipped_by_reason aside). */
static const struct {
	const char *name;
	size_t offset;
} count_fields[] = {
	{ "in_scope", offsetof(struct plan_counts, in_scope) },
	{ "added", offsetof(struct plan_counts, added) },
	{ "updated", offsetof(struct plan_counts, updated) },
	{ "claimed", offsetof(struct plan_counts, claimed) },
	{ "role_changes", offsetof(struct plan_counts, role_changes) },
	{ "team_changes", offsetof(struct plan_counts, team_changes) },
	{ "reactivated", offsetof(struct plan_counts, reactivated) },
	{ "suspended", offsetof(struct plan_counts, suspended) },
	{ "downgraded", offsetof(struct plan_counts, downgraded) },
	{ "removed", offsetof(struct plan_counts, removed) },
	{ "skipped", offsetof(struct plan_counts, skipped) },
	{ "deprovisions", offsetof(struct plan_counts, deprovisions) },
	{ "managed_before", offsetof(struct plan_counts, managed_before) },
};
#define N_COUNT_FIELDS (sizeof(count_fields) / sizeof(count_fields[0]))

static size_t *count_at(struct plan_counts *c, size_t i)
{
	return (size_t *)((char *)c + count_fields[i].offset);
}

json_t *sync_counts_json(const struct plan_counts *c)
{
	json_t *o = json_object(), *reasons = json_object();
	int bad = o == NULL || reasons == NULL;

	for (size_t i = 0; !bad && i < N_COUNT_FIELDS; i++)
		bad |= json_object_set_new(o, count_fields[i].name,
					   json_integer((json_int_t)*count_at((struct plan_counts *)c, i)));
	for (int r = 0; !bad && r < PLAN_SKIP_REASON_COUNT; r++)
		if (c->skipped_by_reason[r] > 0)
			bad |= json_object_set_new(reasons, plan_skip_reason_name((enum plan_skip_reason)r),
						   json_integer((json_int_t)c->skipped_by_reason[r]));
	if (!bad)
		bad = json_object_set(o, "skipped_by_reason", reasons);
	json_decref(reasons);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

void sync_counts_add(struct plan_counts *a, const struct plan_counts *b)
{
	for (size_t i = 0; i < N_COUNT_FIELDS; i++)
		*count_at(a, i) += *count_at((struct plan_counts *)b, i);
	for (int r = 0; r < PLAN_SKIP_REASON_COUNT; r++)
		a->skipped_by_reason[r] += b->skipped_by_reason[r];
}

static int set_str(json_t *o, const char *key, const char *value)
{
	return value ? json_object_set_new(o, key, json_string(value)) : 0;
}

static json_t *fields_json(unsigned fields)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = { { PLAN_F_USERNAME, "username" }, { PLAN_F_DN, "dn" },
		      { PLAN_F_STABLE_ID, "stable_id" }, { PLAN_F_PROFILE, "profile" },
		      { PLAN_F_CLAIM, "claim" } };
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if ((fields & names[i].bit) && json_array_append_new(a, json_string(names[i].name))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *change_json(const struct plan_org *p, const struct plan_change *c)
{
	const struct plan_change *add = c->add != SIZE_MAX ? &p->changes[c->add] : NULL;
	const struct dir_user *u = c->user ? c->user : add ? add->user : NULL;
	json_t *o = json_object();
	int bad = o == NULL;

	if (bad)
		return NULL;
	bad |= set_str(o, "action", plan_change_kind_name(c->kind));
	if (c->why != PLAN_WHY_MAPPED)
		bad |= set_str(o, "why", plan_why_name(c->why));
	bad |= set_str(o, "dn", u ? u->dn : c->member ? c->member->ldap_dn : NULL);
	if (c->member != NULL) {
		bad |= set_str(o, "member_id", c->member->id);
		bad |= set_str(o, "username", c->member->username);
	} else if (u != NULL) {
		bad |= set_str(o, "username", u->username);
	}
	switch (c->kind) {
	case PLAN_ADD:
		bad |= set_str(o, "email", u->email);
		bad |= set_str(o, "role", role_name(c->role_to));
		break;
	case PLAN_UPDATE:
		if (c->fields & PLAN_F_USERNAME)
			bad |= set_str(o, "new_username", u->username);
		bad |= json_object_set_new(o, "fields", fields_json(c->fields));
		break;
	case PLAN_PROMOTE:
	case PLAN_DEMOTE:
		bad |= set_str(o, "from", role_name(c->role_from));
		bad |= set_str(o, "to", role_name(c->role_to));
		break;
	case PLAN_TEAM_ADD:
	case PLAN_TEAM_REMOVE:
		bad |= set_str(o, "team_id", c->team_id);
		break;
	default:
		break;
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *skip_json(const struct plan_skip *s)
{
	json_t *o = json_object();
	int bad = o == NULL;

	if (bad)
		return NULL;
	bad |= set_str(o, "reason", plan_skip_reason_name(s->reason));
	bad |= set_str(o, "dn", s->dn);
	if (s->member != NULL) {
		bad |= set_str(o, "member_id", s->member->id);
		bad |= set_str(o, "username", s->member->username);
	}
	bad |= set_str(o, "detail", s->detail);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *sync_plan_json(const struct plan_org *p, size_t max_items)
{
	json_t *o = json_object(), *changes = json_array(), *skipped = json_array();
	int bad = o == NULL || changes == NULL || skipped == NULL;

	for (size_t i = 0; !bad && i < p->n_changes && i < max_items; i++)
		bad |= json_array_append_new(changes, change_json(p, &p->changes[i]));
	for (size_t i = 0; !bad && i < p->n_skips && i < max_items; i++)
		bad |= json_array_append_new(skipped, skip_json(&p->skips[i]));
	if (!bad) {
		bad |= set_str(o, "org", p->slug);
		bad |= set_str(o, "org_id", p->org_id);
		bad |= p->refusal == PLAN_OK
			       ? json_object_set_new(o, "refusal", json_null())
			       : set_str(o, "refusal", plan_refusal_name(p->refusal));
		bad |= json_object_set_new(o, "threshold_exceeded", json_boolean(p->threshold_exceeded));
		bad |= json_object_set_new(o, "counts", sync_counts_json(&p->counts));
		bad |= json_object_set(o, "changes", changes);
		bad |= json_object_set(o, "skipped", skipped);
		if (p->n_changes > max_items)
			bad |= json_object_set_new(o, "changes_truncated", json_true());
		if (p->n_skips > max_items)
			bad |= json_object_set_new(o, "skipped_truncated", json_true());
	}
	json_decref(changes);
	json_decref(skipped);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

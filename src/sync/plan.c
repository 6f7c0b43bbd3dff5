/* See plan.h. */
#include "sync/plan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/identifiers.h"
#include "policy/policy.h"
#include "sync/strmap.h"

#define NO_INDEX ((size_t)-1)

/* ---------------------------------------------------------------- names */

const char *plan_change_kind_name(enum plan_change_kind k)
{
	static const char *const names[] = { "add",	"update",      "reactivate",
					     "promote", "team_add",    "team_remove",
					     "demote",	"suspend",     "remove" };
	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

const char *plan_skip_reason_name(enum plan_skip_reason r)
{
	static const char *const names[] = {
		"owner_managed_locally", "no_email",	       "invalid_entry",
		"disabled",		 "username_taken",     "managed_by_other_idp",
		"duplicate_stable_id",	 "duplicate_match",    "group_not_found",
		"nesting_too_deep",	 "unresolved_member",  "invalid_email",
	};
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

const char *plan_refusal_name(enum plan_refusal r)
{
	switch (r) {
	case PLAN_OK:
		return "ok";
	case PLAN_REFUSED_LAST_ADMIN:
		return "last_admin_like";
	case PLAN_REFUSED_EMPTY:
		return "directory_empty";
	}
	return "?";
}

const char *plan_why_name(enum plan_why w)
{
	static const char *const names[] = { "mapped", "left", "disabled", "enabled" };
	return (unsigned)w < sizeof(names) / sizeof(names[0]) ? names[w] : "?";
}

/* ------------------------------------------------------------ text helpers */

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_dn_sep(char c)
{
	return c == ',' || c == '=' || c == '+';
}

/* Normalise dn into out (room for strlen(dn) + 1). A backslash escapes the
 * next character, which is kept as it is (case folded). */
static void dn_normalize_into(const char *dn, char *out)
{
	size_t n = 0;
	const char *p = dn;

	while (is_space(*p))
		p++;
	while (*p) {
		if (*p == '\\' && p[1] != '\0') {
			out[n++] = '\\';
			out[n++] = ascii_lower(p[1]);
			p += 2;
			continue;
		}
		if (is_space(*p)) {
			const char *q = p;
			while (is_space(*q))
				q++;
			/* Drop spaces before a separator or at the end. */
			if (*q == '\0' || is_dn_sep(*q)) {
				p = q;
				continue;
			}
			while (p < q)
				out[n++] = *p++;
			continue;
		}
		if (is_dn_sep(*p)) {
			out[n++] = *p++;
			while (is_space(*p))
				p++;
			continue;
		}
		out[n++] = ascii_lower(*p++);
	}
	out[n] = '\0';
}

char *plan_dn_normalize(const char *dn)
{
	char *out = malloc(strlen(dn) + 1);

	if (out != NULL)
		dn_normalize_into(dn, out);
	return out;
}

static char *lower_dup(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n + 1);

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		out[i] = ascii_lower(s[i]);
	return out;
}

/* Normalised DN in buf when it fits, else malloc'd (free when != buf). */
static char *norm_tmp(const char *dn, char *buf, size_t cap)
{
	char *out = strlen(dn) < cap ? buf : malloc(strlen(dn) + 1);

	if (out != NULL)
		dn_normalize_into(dn, out);
	return out;
}

static bool same_text(const char *a, const char *b)
{
	if (a == NULL)
		a = "";
	if (b == NULL)
		b = "";
	return strcmp(a, b) == 0;
}

static bool empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* What members.username holds: 1..256 characters, no control characters. */
static bool username_ok(const char *s)
{
	size_t chars = 0;

	if (empty(s))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		chars += (*p & 0xC0) != 0x80;
	}
	return chars <= 256;
}

/* A growable array of elements of one size. */
struct vec {
	void *items;
	size_t n, cap;
};

static void *vec_push(struct vec *v, size_t size)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		void *items = realloc(v->items, cap * size);
		if (items == NULL)
			return NULL;
		v->items = items;
		v->cap = cap;
	}
	void *slot = (char *)v->items + v->n++ * size;
	memset(slot, 0, size);
	return slot;
}

/* Strings the planner made (normalised or lower-cased keys), freed at once. */
struct strings {
	struct vec v; /* char * */
};

static char *strings_keep(struct strings *s, char *str)
{
	char **slot;

	if (str == NULL)
		return NULL;
	slot = vec_push(&s->v, sizeof(char *));
	if (slot == NULL) {
		free(str);
		return NULL;
	}
	*slot = str;
	return str;
}

static void strings_free(struct strings *s)
{
	char **items = s->v.items;

	for (size_t i = 0; i < s->v.n; i++)
		free(items[i]);
	free(items);
	s->v = (struct vec){ 0 };
}

/* ------------------------------------------------------------------ index */

struct plan_index {
	const struct dir_snapshot *snap;
	struct strmap *user_by_dn;  /* normalised DN -> user */
	struct strmap *user_by_uid; /* username (exact) -> user, for memberUid */
	struct strmap *group_by_dn; /* normalised DN -> group */
	bool *duplicate;            /* user i repeats an earlier stable id */
	struct strings keys;
};

void plan_index_free(struct plan_index *idx)
{
	if (idx == NULL)
		return;
	strmap_free(idx->user_by_dn);
	strmap_free(idx->user_by_uid);
	strmap_free(idx->group_by_dn);
	free(idx->duplicate);
	strings_free(&idx->keys);
	free(idx);
}

struct plan_index *plan_index_new(const struct dir_snapshot *snap)
{
	struct plan_index *idx = calloc(1, sizeof(*idx));
	struct strmap *by_id = NULL;

	if (idx == NULL)
		return NULL;
	idx->snap = snap;
	idx->user_by_dn = strmap_new(snap->n_users);
	idx->user_by_uid = strmap_new(snap->n_users);
	idx->group_by_dn = strmap_new(snap->n_groups);
	by_id = strmap_new(snap->n_users);
	idx->duplicate = calloc(snap->n_users ? snap->n_users : 1, sizeof(bool));
	if (idx->user_by_dn == NULL || idx->user_by_uid == NULL || idx->group_by_dn == NULL ||
	    by_id == NULL || idx->duplicate == NULL)
		goto fail;
	for (size_t i = 0; i < snap->n_users; i++) {
		const struct dir_user *u = &snap->users[i];
		if (!empty(u->stable_id)) {
			int added = strmap_add(by_id, u->stable_id, i);
			if (added < 0)
				goto fail;
			idx->duplicate[i] = added == 0;
		}
		if (u->dn != NULL) {
			char *key = strings_keep(&idx->keys, plan_dn_normalize(u->dn));
			if (key == NULL || strmap_add(idx->user_by_dn, key, i) < 0)
				goto fail;
		}
		if (!empty(u->username) && strmap_add(idx->user_by_uid, u->username, i) < 0)
			goto fail;
	}
	for (size_t i = 0; i < snap->n_groups; i++) {
		if (snap->groups[i].dn == NULL)
			continue;
		char *key = strings_keep(&idx->keys, plan_dn_normalize(snap->groups[i].dn));
		if (key == NULL || strmap_add(idx->group_by_dn, key, i) < 0)
			goto fail;
	}
	strmap_free(by_id);
	return idx;
fail:
	strmap_free(by_id);
	plan_index_free(idx);
	return NULL;
}

/* ------------------------------------------------------------------ scan */

struct plan_scan {
	bool uids;
	struct strmap *known; /* normalised DN (or user name) -> scanned member */
	struct strings keys;  /* known's keys */
	size_t managed;
	size_t n_members;     /* scanned: known's values index them */
	size_t *affected;
	size_t n_affected;
	struct vec unknown; /* const char *: group values nobody knows */
	struct vec refetch; /* const char *: suspended members' DNs (names) */
};

/* ------------------------------------------------------------ planning */

/* Where a user in scope came from: hit = 1 + highest mapped role (ROLE_NONE
 * when only teams), 0 = not in scope; bits = the directory teams mapped. */
struct scope {
	unsigned char *hit;
	uint64_t *bits;
	size_t words; /* per entry */
};

static int scope_init(struct scope *s, size_t n, size_t words)
{
	s->words = words;
	s->hit = calloc(n ? n : 1, 1);
	s->bits = words ? calloc(n ? n * words : 1, sizeof(uint64_t)) : NULL;
	return (s->hit == NULL || (words && s->bits == NULL)) ? -1 : 0;
}

static void scope_free(struct scope *s)
{
	free(s->hit);
	free(s->bits);
}

static void scope_mark(struct scope *s, size_t i, enum role role, size_t team)
{
	unsigned char h = (unsigned char)(1 + (role == ROLE_OWNER ? ROLE_NONE : role));

	if (s->hit[i] < h)
		s->hit[i] = h;
	if (team != NO_INDEX)
		s->bits[i * s->words + team / 64] |= (uint64_t)1 << (team % 64);
}

static bool scope_has_team(const struct scope *s, size_t i, size_t team)
{
	return s->words && (s->bits[i * s->words + team / 64] >> (team % 64)) & 1;
}

struct planner {
	const struct plan_index *idx;
	const struct dir_snapshot *snap;
	const struct plan_org_input *in;
	const struct plan_options *opt;
	struct plan_org *p;

	struct strmap *team_by_id; /* team id -> index among the org's directory teams */
	const char **teams;        /* index -> id */
	size_t n_teams;
	uint64_t *team_scratch;    /* a team bit set (users.words words) */

	bool scanning;      /* plan_scan_new: only the scope is needed */
	struct scope users; /* over snapshot users */
	/* Group values naming a member the database knows, without an entry:
	 * a scan marks the scanned member's scope (mscope); a scanned plan
	 * only counts the unloaded ones (known_seen, n_known_seen). Neither
	 * keeps a ref per value: 100,000 values cost a copy and a hash each. */
	struct scope mscope;
	bool *known_seen;
	size_t n_known_seen;
	struct vec ref_values; /* const char * */
	struct strmap *ref_by_value;
	struct vec ref_hit;  /* unsigned char */
	struct vec ref_bits; /* uint64_t, words per ref */

	unsigned *group_seen; /* per group: mapping stamp */
	size_t *queue;        /* BFS over groups */
	unsigned *depth;

	/* The org's members. */
	struct strmap *by_ext;   /* this directory's members by external_id */
	struct strmap *by_email; /* lower(email) -> member */
	struct strmap *by_name;  /* lower(username) -> member */
	struct strmap *by_dn;    /* this directory's members by normalised ldap_dn */
	struct strmap *by_uid;   /* this directory's members by username (exact) */
	struct strmap *taken;    /* lower names planned or reserved in this run */
	struct strmap *emails;   /* lower emails of planned adds */
	bool *matched;           /* member i already matched */
	size_t *user_member;     /* snapshot user -> member, NO_INDEX */

	struct vec bucket[PLAN_REMOVE + 1]; /* struct plan_change, per kind */
	struct vec skips;                   /* struct plan_skip */
	struct strings keys;
};

static bool ours(const struct planner *pl, const struct plan_member *m)
{
	return m->kind == MANAGED_LDAP && m->idp_name != NULL &&
	       strcmp(m->idp_name, pl->opt->directory) == 0;
}

static int skip(struct planner *pl, enum plan_skip_reason reason, const char *dn,
		const struct plan_member *m, const char *detail)
{
	struct plan_skip *s = vec_push(&pl->skips, sizeof(*s));

	if (s == NULL)
		return -1;
	*s = (struct plan_skip){ reason, dn, m, detail };
	pl->p->counts.skipped++;
	pl->p->counts.skipped_by_reason[reason]++;
	return 0;
}

static struct plan_change *change(struct planner *pl, enum plan_change_kind kind)
{
	struct plan_change *c = vec_push(&pl->bucket[kind], sizeof(*c));

	if (c != NULL) {
		c->kind = kind;
		c->add = NO_INDEX;
	}
	return c;
}

static size_t team_index(const struct planner *pl, const char *team_id)
{
	size_t t;

	return team_id != NULL && strmap_get(pl->team_by_id, team_id, &t) ? t : NO_INDEX;
}

static int teams_init(struct planner *pl)
{
	const struct plan_org_input *in = pl->in;
	size_t max = in->n_team_ids + in->n_mappings;

	pl->team_by_id = strmap_new(max);
	pl->teams = calloc(max ? max : 1, sizeof(char *));
	if (pl->team_by_id == NULL || pl->teams == NULL)
		return -1;
	for (size_t i = 0; i < max; i++) {
		const char *id = i < in->n_team_ids ? in->team_ids[i]
						     : in->mappings[i - in->n_team_ids].team_id;
		int added;
		if (id == NULL)
			continue;
		added = strmap_add(pl->team_by_id, id, pl->n_teams);
		if (added < 0)
			return -1;
		if (added)
			pl->teams[pl->n_teams++] = id;
	}
	return 0;
}

/* A member value no snapshot entry has (incremental runs look it up among
 * the org's members). */
static int ref_mark(struct planner *pl, const char *value, const char *key, enum role role,
		    size_t team)
{
	size_t r, words = pl->users.words;
	char *kept;

	if (!strmap_get(pl->ref_by_value, key, &r)) {
		const char **v;
		unsigned char *h;
		kept = strings_keep(&pl->keys, strdup(key));
		if (kept == NULL)
			return -1;
		r = pl->ref_values.n;
		v = vec_push(&pl->ref_values, sizeof(*v));
		h = vec_push(&pl->ref_hit, 1);
		if (v == NULL || h == NULL || strmap_add(pl->ref_by_value, kept, r) < 0)
			return -1;
		*v = value;
		for (size_t w = 0; w < words; w++)
			if (vec_push(&pl->ref_bits, sizeof(uint64_t)) == NULL)
				return -1;
	}
	struct scope s = { pl->ref_hit.items, pl->ref_bits.items, words };
	scope_mark(&s, r, role, team);
	return 0;
}

/* A group value that is neither an entry of the snapshot nor a group. */
static int mark_other(struct planner *pl, const char *value, const char *key, enum role role,
		      size_t team)
{
	struct strmap *mine = pl->snap->members_are_uids ? pl->by_uid : pl->by_dn;
	size_t mi;

	if (pl->scanning) {
		if (strmap_get(mine, key, &mi)) {
			scope_mark(&pl->mscope, mi, role, team);
			return 0;
		}
	} else if (pl->in->scan != NULL && !strmap_get(mine, key, NULL) &&
		   strmap_get(pl->in->scan->known, key, &mi)) {
		/* Known, not loaded: unaffected (plan_scan_new), in scope. */
		if (!pl->known_seen[mi]) {
			pl->known_seen[mi] = true;
			pl->n_known_seen++;
		}
		return 0;
	}
	return ref_mark(pl, value, key, role, team);
}

/* Expand one mapping's group breadth first (each group once, at its least
 * depth, so nesting cycles end). */
static int resolve_mapping(struct planner *pl, size_t k)
{
	const struct plan_mapping *m = &pl->in->mappings[k];
	const struct dir_snapshot *snap = pl->snap;
	size_t team = team_index(pl, m->team_id);
	enum role role = m->role == ROLE_OWNER ? ROLE_NONE : m->role;
	unsigned stamp = (unsigned)k + 1;
	size_t head = 0, tail = 0, g;
	char buf[512];
	char *key;
	int rc = 0;

	if (m->group_dn == NULL)
		return 0;
	key = norm_tmp(m->group_dn, buf, sizeof(buf));
	if (key == NULL)
		return -1;
	bool found = strmap_get(pl->idx->group_by_dn, key, &g);
	if (key != buf)
		free(key);
	if (!found)
		return skip(pl, PLAN_SKIP_GROUP_NOT_FOUND, m->group_dn, NULL, NULL);
	pl->group_seen[g] = stamp;
	pl->queue[tail] = g;
	pl->depth[tail++] = 0;
	while (head < tail && rc == 0) {
		const struct dir_group *grp = &snap->groups[pl->queue[head]];
		unsigned depth = pl->depth[head++];
		for (size_t j = 0; j < grp->n_members && rc == 0; j++) {
			const char *v = grp->members[j];
			size_t u, child;
			if (v == NULL)
				continue;
			if (snap->members_are_uids) {
				if (strmap_get(pl->idx->user_by_uid, v, &u))
					scope_mark(&pl->users, u, role, team);
				else
					rc = mark_other(pl, v, v, role, team);
				continue;
			}
			key = norm_tmp(v, buf, sizeof(buf));
			if (key == NULL)
				return -1;
			if (strmap_get(pl->idx->user_by_dn, key, &u)) {
				scope_mark(&pl->users, u, role, team);
			} else if (strmap_get(pl->idx->group_by_dn, key, &child)) {
				/* Without nesting a group member is nobody; a group
				 * already expanded for this mapping is not again. */
				bool expand = pl->opt->nested_groups && pl->group_seen[child] != stamp;
				if (expand && depth >= pl->opt->nested_depth) {
					pl->group_seen[child] = stamp; /* reported once */
					rc = skip(pl, PLAN_SKIP_NESTING_TOO_DEEP, v, NULL, m->group_dn);
				} else if (expand) {
					pl->group_seen[child] = stamp;
					pl->queue[tail] = child;
					pl->depth[tail++] = depth + 1;
				}
			} else {
				rc = mark_other(pl, v, key, role, team);
			}
			if (key != buf)
				free(key);
		}
	}
	return rc;
}

static int index_members(struct planner *pl)
{
	const struct plan_org_input *in = pl->in;

	pl->by_ext = strmap_new(in->n_members);
	pl->by_email = strmap_new(in->n_members);
	pl->by_name = strmap_new(in->n_members);
	/* by_dn and by_uid serve plan_refs only, which full runs skip. */
	pl->by_dn = strmap_new(pl->snap->full ? 0 : in->n_members);
	pl->by_uid = strmap_new(pl->snap->full ? 0 : in->n_members);
	pl->taken = strmap_new(in->n_reserved + 16);
	pl->emails = strmap_new(16);
	pl->matched = calloc(in->n_members ? in->n_members : 1, sizeof(bool));
	if (pl->by_ext == NULL || pl->by_email == NULL || pl->by_name == NULL ||
	    pl->by_dn == NULL || pl->by_uid == NULL || pl->taken == NULL || pl->emails == NULL ||
	    pl->matched == NULL)
		return -1;
	for (size_t i = 0; i < in->n_members; i++) {
		const struct plan_member *m = &in->members[i];
		char *key;
		if (ours(pl, m)) {
			pl->p->counts.managed_before++;
			if (pl->scanning) {
				/* A scan matches no entry by stable id, email or name. */
				if (pl->snap->members_are_uids) {
					if (!empty(m->username) &&
					    strmap_add(pl->by_uid, m->username, i) < 0)
						return -1;
				} else if (!empty(m->ldap_dn)) {
					key = strings_keep(&pl->keys, plan_dn_normalize(m->ldap_dn));
					if (key == NULL || strmap_add(pl->by_dn, key, i) < 0)
						return -1;
				}
				continue;
			}
			if (!empty(m->external_id) && strmap_add(pl->by_ext, m->external_id, i) < 0)
				return -1;
			if (!pl->snap->full && !empty(m->ldap_dn)) {
				key = strings_keep(&pl->keys, plan_dn_normalize(m->ldap_dn));
				if (key == NULL || strmap_add(pl->by_dn, key, i) < 0)
					return -1;
			}
			if (!pl->snap->full && !empty(m->username) &&
			    strmap_add(pl->by_uid, m->username, i) < 0)
				return -1;
		}
		if (pl->scanning)
			continue;
		if (!empty(m->email)) {
			key = strings_keep(&pl->keys, lower_dup(m->email));
			if (key == NULL || strmap_add(pl->by_email, key, i) < 0)
				return -1;
		}
		if (!empty(m->username)) {
			key = strings_keep(&pl->keys, lower_dup(m->username));
			if (key == NULL || strmap_add(pl->by_name, key, i) < 0)
				return -1;
		}
	}
	if (in->scan != NULL)
		pl->p->counts.managed_before = plan_scan_managed(in->scan);
	for (size_t i = 0; i < in->n_reserved && !pl->scanning; i++) {
		char *key = strings_keep(&pl->keys, lower_dup(in->reserved_usernames[i]));
		if (key == NULL || strmap_add(pl->taken, key, NO_INDEX) < 0)
			return -1;
	}
	return 0;
}

/* Whether `name` is free for member `self` (NO_INDEX: a new member); when
 * it is, it is taken for the rest of the run. 1 free, 0 taken, -1 error. */
static int claim_name(struct planner *pl, const char *name, size_t self)
{
	char *key = lower_dup(name);
	size_t holder;
	int rc;

	if (key == NULL)
		return -1;
	if ((strmap_get(pl->by_name, key, &holder) && holder != self) ||
	    strmap_get(pl->taken, key, NULL)) {
		free(key);
		return 0;
	}
	if (strings_keep(&pl->keys, key) == NULL)
		return -1;
	rc = strmap_add(pl->taken, key, self);
	return rc < 0 ? -1 : 1;
}

/* The role a user in scope gets from hit. */
static enum role role_of_hit(unsigned char hit)
{
	enum role r = (enum role)(hit - 1);
	return r == ROLE_NONE ? ROLE_USER : r;
}

/* Role, status and team changes of a member in scope. user is NULL for a
 * member known only from the database (incremental runs). */
static int plan_in_scope(struct planner *pl, size_t mi, const struct dir_user *user,
			 unsigned char hit, const struct scope *s, size_t si)
{
	const struct plan_member *m = &pl->in->members[mi];
	enum role want = role_of_hit(hit);
	bool owner = m->role == ROLE_OWNER;
	struct plan_change *c;
	const char *dn = user ? user->dn : m->ldap_dn;

	if (user != NULL && !user->active) {
		if (owner) {
			if (m->status == MEMBER_ACTIVE &&
			    skip(pl, PLAN_SKIP_OWNER_MANAGED_LOCALLY, dn, m, "disabled in the directory") != 0)
				return -1;
		} else if (m->status == MEMBER_ACTIVE) {
			if ((c = change(pl, PLAN_SUSPEND)) == NULL)
				return -1;
			c->why = PLAN_WHY_DISABLED;
			c->user = user;
			c->member = m;
			pl->p->counts.suspended++;
			pl->p->counts.deprovisions++;
		}
	} else if (m->status == MEMBER_SUSPENDED && !owner) {
		if ((c = change(pl, PLAN_REACTIVATE)) == NULL)
			return -1;
		c->why = user ? PLAN_WHY_ENABLED : PLAN_WHY_MAPPED;
		c->user = user;
		c->member = m;
		pl->p->counts.reactivated++;
	}
	if (owner) {
		if (want != ROLE_OWNER &&
		    skip(pl, PLAN_SKIP_OWNER_MANAGED_LOCALLY, dn, m, role_name(want)) != 0)
			return -1;
	} else if (want != m->role) {
		if ((c = change(pl, want > m->role ? PLAN_PROMOTE : PLAN_DEMOTE)) == NULL)
			return -1;
		c->user = user;
		c->member = m;
		c->role_from = m->role;
		c->role_to = want;
		pl->p->counts.role_changes++;
	}
	/* Teams: the mapped ones, in the directory's teams only. The member's
	 * teams as a bit set like the wanted ones, so most members (no team
	 * change) cost a few word compares, not a search per team. */
	uint64_t *have = pl->team_scratch;
	const uint64_t *wanted = s->words ? &s->bits[si * s->words] : NULL;
	bool same = true;
	memset(have, 0, s->words * sizeof(*have));
	for (size_t j = 0; j < m->n_team_ids; j++) {
		size_t t = team_index(pl, m->team_ids[j]);
		if (t != NO_INDEX)
			have[t / 64] |= (uint64_t)1 << (t % 64);
	}
	for (size_t w = 0; w < s->words && same; w++)
		same = have[w] == wanted[w];
	for (size_t t = 0; t < pl->n_teams && !same; t++) {
		bool want_in = scope_has_team(s, si, t), is_in = (have[t / 64] >> (t % 64)) & 1;
		if (want_in == is_in)
			continue;
		if ((c = change(pl, want_in ? PLAN_TEAM_ADD : PLAN_TEAM_REMOVE)) == NULL)
			return -1;
		c->user = user;
		c->member = m;
		c->team_id = pl->teams[t];
		pl->p->counts.team_changes++;
	}
	return 0;
}

/* Attribute changes of a matched entry. */
static int plan_update(struct planner *pl, size_t mi, const struct dir_user *u)
{
	const struct plan_member *m = &pl->in->members[mi];
	unsigned fields = 0;
	struct plan_change *c;

	if (!ours(pl, m))
		fields |= PLAN_F_CLAIM | PLAN_F_DN | PLAN_F_STABLE_ID | PLAN_F_PROFILE;
	if (strcmp(m->username, u->username) != 0) {
		int free_name = claim_name(pl, u->username, mi);
		if (free_name < 0)
			return -1;
		if (free_name)
			fields |= PLAN_F_USERNAME;
		else if (skip(pl, PLAN_SKIP_USERNAME_TAKEN, u->dn, m, u->username) != 0)
			return -1;
	}
	if (!same_text(m->ldap_dn, u->dn))
		fields |= PLAN_F_DN;
	if (!same_text(m->external_id, u->stable_id))
		fields |= PLAN_F_STABLE_ID;
	if (!same_text(m->given_name, u->given_name) || !same_text(m->family_name, u->family_name) ||
	    !same_text(m->display_name, u->display_name) || !same_text(m->dir_email, u->email))
		fields |= PLAN_F_PROFILE;
	if (fields == 0)
		return 0;
	if ((c = change(pl, PLAN_UPDATE)) == NULL)
		return -1;
	c->user = u;
	c->member = m;
	c->fields = fields;
	pl->p->counts.updated++;
	if (fields & PLAN_F_CLAIM)
		pl->p->counts.claimed++;
	return 0;
}

static int plan_add(struct planner *pl, size_t ui)
{
	const struct dir_user *u = &pl->snap->users[ui];
	struct plan_change *c;
	size_t add;
	char *email;
	int rc;

	if (!u->active)
		return skip(pl, PLAN_SKIP_DISABLED, u->dn, NULL, NULL);
	if (empty(u->email))
		return skip(pl, PLAN_SKIP_NO_EMAIL, u->dn, NULL, NULL);
	if (!email_is_valid(u->email))
		return skip(pl, PLAN_SKIP_INVALID_EMAIL, u->dn, NULL, u->email);
	email = lower_dup(u->email);
	if (email == NULL)
		return -1;
	if (strmap_get(pl->emails, email, NULL)) {
		free(email);
		return skip(pl, PLAN_SKIP_DUPLICATE_MATCH, u->dn, NULL, u->email);
	}
	rc = claim_name(pl, u->username, NO_INDEX);
	if (rc <= 0) {
		free(email);
		return rc < 0 ? -1 : skip(pl, PLAN_SKIP_USERNAME_TAKEN, u->dn, NULL, u->username);
	}
	if (strings_keep(&pl->keys, email) == NULL || strmap_add(pl->emails, email, ui) < 0)
		return -1;
	add = pl->bucket[PLAN_ADD].n;
	if ((c = change(pl, PLAN_ADD)) == NULL)
		return -1;
	c->user = u;
	c->role_to = role_of_hit(pl->users.hit[ui]);
	pl->p->counts.added++;
	for (size_t t = 0; t < pl->n_teams; t++) {
		if (!scope_has_team(&pl->users, ui, t))
			continue;
		if ((c = change(pl, PLAN_TEAM_ADD)) == NULL)
			return -1;
		c->user = u;
		c->add = add;
		c->team_id = pl->teams[t];
		pl->p->counts.team_changes++;
	}
	return 0;
}

/* The member an in-scope entry is, by stable id then email. Two passes, so
 * an entry matched by stable id is never taken by another's email. */
static int match_users(struct planner *pl)
{
	const struct dir_snapshot *snap = pl->snap;
	const struct plan_org_input *in = pl->in;

	for (size_t i = 0; i < snap->n_users; i++) {
		const struct dir_user *u = &snap->users[i];
		size_t mi;
		if (!pl->users.hit[i])
			continue;
		if (pl->idx->duplicate[i]) {
			pl->users.hit[i] = 0;
			if (skip(pl, PLAN_SKIP_DUPLICATE_STABLE_ID, u->dn, NULL, u->stable_id) != 0)
				return -1;
			continue;
		}
		if (empty(u->stable_id) || strlen(u->stable_id) > 1024 || !username_ok(u->username)) {
			pl->users.hit[i] = 0;
			if (skip(pl, PLAN_SKIP_INVALID_ENTRY, u->dn, NULL,
				 username_ok(u->username) ? "no usable stable id" : "no usable username") != 0)
				return -1;
			continue;
		}
		if (strmap_get(pl->by_ext, u->stable_id, &mi)) {
			pl->matched[mi] = true;
			pl->user_member[i] = mi;
		}
	}
	for (size_t i = 0; i < snap->n_users; i++) {
		const struct dir_user *u = &snap->users[i];
		size_t mi;
		char *email;
		if (!pl->users.hit[i] || pl->user_member[i] != NO_INDEX || empty(u->email))
			continue;
		email = lower_dup(u->email);
		if (email == NULL)
			return -1;
		bool found = strmap_get(pl->by_email, email, &mi);
		free(email);
		if (!found)
			continue;
		const struct plan_member *m = &in->members[mi];
		if (m->kind != MANAGED_LOCAL && !ours(pl, m)) {
			pl->users.hit[i] = 0;
			if (skip(pl, PLAN_SKIP_MANAGED_BY_OTHER_IDP, u->dn, m,
				 m->idp_name ? m->idp_name : managed_kind_name(m->kind)) != 0)
				return -1;
		} else if (pl->matched[mi]) {
			pl->users.hit[i] = 0;
			if (skip(pl, PLAN_SKIP_DUPLICATE_MATCH, u->dn, m, u->email) != 0)
				return -1;
		} else {
			pl->matched[mi] = true;
			pl->user_member[i] = mi;
		}
	}
	return 0;
}

static int plan_users(struct planner *pl)
{
	const struct dir_snapshot *snap = pl->snap;

	for (size_t i = 0; i < snap->n_users; i++) {
		size_t mi = pl->user_member[i];
		if (!pl->users.hit[i])
			continue;
		pl->p->counts.in_scope++;
		if (mi == NO_INDEX) {
			if (plan_add(pl, i) != 0)
				return -1;
			continue;
		}
		if (plan_update(pl, mi, &snap->users[i]) != 0 ||
		    plan_in_scope(pl, mi, &snap->users[i], pl->users.hit[i], &pl->users, i) != 0)
			return -1;
	}
	return 0;
}

/* Incremental runs: member values no entry of the snapshot resolves are
 * members the database knows (unchanged since the watermark), or unknown. */
static int plan_refs(struct planner *pl)
{
	const char **values = pl->ref_values.items;
	struct scope s = { pl->ref_hit.items, pl->ref_bits.items, pl->users.words };
	char buf[512];

	if (pl->snap->full)
		return 0;
	pl->p->counts.in_scope += pl->n_known_seen;
	for (size_t r = 0; r < pl->ref_values.n; r++) {
		size_t mi;
		bool found;
		if (pl->snap->members_are_uids) {
			found = strmap_get(pl->by_uid, values[r], &mi);
		} else {
			char *key = norm_tmp(values[r], buf, sizeof(buf));
			if (key == NULL)
				return -1;
			found = strmap_get(pl->by_dn, key, &mi);
			if (key != buf)
				free(key);
		}
		if (!found) {
			if (skip(pl, PLAN_SKIP_UNRESOLVED_MEMBER, values[r], NULL, NULL) != 0)
				return -1;
			continue;
		}
		if (pl->matched[mi])
			continue;
		pl->matched[mi] = true;
		pl->p->counts.in_scope++;
		if (plan_in_scope(pl, mi, NULL, s.hit[r], &s, r) != 0)
			return -1;
	}
	return 0;
}

/* Members of this directory no mapped group holds any more. */
static int plan_leavers(struct planner *pl)
{
	const struct plan_org_input *in = pl->in;

	for (size_t i = 0; i < in->n_members; i++) {
		const struct plan_member *m = &in->members[i];
		struct plan_change *c;
		if (!ours(pl, m) || pl->matched[i])
			continue;
		if (m->role == ROLE_OWNER) {
			if (skip(pl, PLAN_SKIP_OWNER_MANAGED_LOCALLY, m->ldap_dn, m,
				 "left every mapped group") != 0)
				return -1;
		} else if (pl->opt->on_leave == DIR_LEAVE_REMOVE) {
			if ((c = change(pl, PLAN_REMOVE)) == NULL)
				return -1;
			c->why = PLAN_WHY_LEFT;
			c->member = m;
			pl->p->counts.removed++;
			pl->p->counts.deprovisions++;
			continue; /* removal ends every team membership */
		} else if (pl->opt->on_leave == DIR_LEAVE_SUSPEND) {
			if (m->status == MEMBER_ACTIVE) {
				if ((c = change(pl, PLAN_SUSPEND)) == NULL)
					return -1;
				c->why = PLAN_WHY_LEFT;
				c->member = m;
				pl->p->counts.suspended++;
				pl->p->counts.deprovisions++;
			}
		} else if (m->role != ROLE_VIEWER) {
			if ((c = change(pl, PLAN_DEMOTE)) == NULL)
				return -1;
			c->why = PLAN_WHY_LEFT;
			c->member = m;
			c->role_from = m->role;
			c->role_to = ROLE_VIEWER;
			pl->p->counts.role_changes++;
			pl->p->counts.downgraded++;
			pl->p->counts.deprovisions++;
		}
		for (size_t j = 0; j < m->n_team_ids; j++) {
			if (team_index(pl, m->team_ids[j]) == NO_INDEX)
				continue;
			if ((c = change(pl, PLAN_TEAM_REMOVE)) == NULL)
				return -1;
			c->why = PLAN_WHY_LEFT;
			c->member = m;
			c->team_id = m->team_ids[j];
			pl->p->counts.team_changes++;
		}
	}
	return 0;
}

/* Active admin-like members (own roles) after the plan, against before. */
static int check_guardrails(struct planner *pl)
{
	const struct plan_org_input *in = pl->in;
	struct plan_org *p = pl->p;
	size_t before = 0, after = 0, loaded_before, n = in->n_members;
	enum role *role = malloc((n ? n : 1) * sizeof(*role));
	bool *active = malloc((n ? n : 1) * sizeof(*active));

	if (role == NULL || active == NULL) {
		free(role);
		free(active);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		role[i] = in->members[i].role;
		active[i] = in->members[i].status == MEMBER_ACTIVE;
		if (active[i] && role_is_admin_like(role[i]))
			before++;
	}
	for (size_t j = 0; j < p->n_changes; j++) {
		const struct plan_change *c = &p->changes[j];
		size_t i = c->member ? (size_t)(c->member - in->members) : NO_INDEX;
		if (c->kind == PLAN_ADD && role_is_admin_like(c->role_to))
			after++;
		if (i == NO_INDEX)
			continue;
		if (c->kind == PLAN_PROMOTE || c->kind == PLAN_DEMOTE)
			role[i] = c->role_to;
		else if (c->kind == PLAN_SUSPEND || c->kind == PLAN_REMOVE)
			active[i] = false;
		else if (c->kind == PLAN_REACTIVATE)
			active[i] = true;
	}
	for (size_t i = 0; i < n; i++)
		if (active[i] && role_is_admin_like(role[i]))
			after++;
	/* A scanned plan holds only some members: the others keep their
	 * roles and statuses, so the org's count moves by the loaded ones'. */
	loaded_before = before;
	if (in->scan != NULL) {
		before = in->admins_total > loaded_before ? in->admins_total : loaded_before;
		after += before - loaded_before;
	}
	if (after == 0 && after < before)
		p->refusal = PLAN_REFUSED_LAST_ADMIN;
	free(role);
	free(active);
	return 0;
}

static void check_removals(struct planner *pl)
{
	struct plan_org *p = pl->p;
	struct policy_sync_plan sp = {
		.users_seen = pl->snap->full ? pl->snap->n_users : p->counts.in_scope,
		.planned = p->counts.deprovisions,
		.total = p->counts.managed_before,
	};

	if (p->counts.deprovisions == 0)
		return;
	struct policy_verdict v = policy_sync_removals(SOURCE_LDAP, &sp, pl->opt->delete_max_count,
						       pl->opt->delete_max_percent, pl->opt->force);
	if (v.rule == POLICY_DIRECTORY_EMPTY && p->refusal == PLAN_OK)
		p->refusal = PLAN_REFUSED_EMPTY;
	else if (v.rule == POLICY_DELETION_THRESHOLD)
		p->threshold_exceeded = true;
}

/* Concatenate the buckets in application order. */
static int collect(struct planner *pl)
{
	struct plan_org *p = pl->p;
	size_t n = 0;

	for (size_t k = 0; k <= PLAN_REMOVE; k++)
		n += pl->bucket[k].n;
	p->changes = calloc(n ? n : 1, sizeof(*p->changes));
	if (p->changes == NULL)
		return -1;
	for (size_t k = 0; k <= PLAN_REMOVE; k++) {
		if (pl->bucket[k].n)
			memcpy(p->changes + p->n_changes, pl->bucket[k].items,
			       pl->bucket[k].n * sizeof(*p->changes));
		p->n_changes += pl->bucket[k].n;
	}
	p->skips = pl->skips.items;
	p->n_skips = pl->skips.n;
	pl->skips = (struct vec){ 0 };
	return 0;
}

static void planner_free(struct planner *pl)
{
	scope_free(&pl->users);
	scope_free(&pl->mscope);
	free(pl->known_seen);
	strmap_free(pl->team_by_id);
	free(pl->teams);
	free(pl->team_scratch);
	free(pl->ref_values.items);
	strmap_free(pl->ref_by_value);
	free(pl->ref_hit.items);
	free(pl->ref_bits.items);
	free(pl->group_seen);
	free(pl->queue);
	free(pl->depth);
	strmap_free(pl->by_ext);
	strmap_free(pl->by_email);
	strmap_free(pl->by_name);
	strmap_free(pl->by_dn);
	strmap_free(pl->by_uid);
	strmap_free(pl->taken);
	strmap_free(pl->emails);
	free(pl->matched);
	free(pl->user_member);
	for (size_t k = 0; k <= PLAN_REMOVE; k++)
		free(pl->bucket[k].items);
	free(pl->skips.items);
	strings_free(&pl->keys);
}

/* Allocate what every plan needs and expand the mappings. */
static int planner_start(struct planner *pl)
{
	const struct dir_snapshot *snap = pl->snap;
	size_t n_users = snap->n_users ? snap->n_users : 1;
	size_t n_groups = snap->n_groups ? snap->n_groups : 1;

	pl->p = calloc(1, sizeof(*pl->p));
	if (pl->p == NULL)
		return -1;
	pl->p->org_id = pl->in->org_id;
	pl->p->slug = pl->in->slug;
	pl->ref_by_value = strmap_new(64);
	pl->group_seen = calloc(n_groups, sizeof(unsigned));
	pl->queue = calloc(n_groups, sizeof(size_t));
	pl->depth = calloc(n_groups, sizeof(unsigned));
	pl->user_member = malloc(n_users * sizeof(size_t));
	if (pl->ref_by_value == NULL || pl->group_seen == NULL || pl->queue == NULL ||
	    pl->depth == NULL || pl->user_member == NULL || teams_init(pl) != 0 ||
	    scope_init(&pl->users, snap->n_users, (pl->n_teams + 63) / 64) != 0 ||
	    (pl->team_scratch = calloc(pl->users.words + 1, sizeof(uint64_t))) == NULL ||
	    index_members(pl) != 0)
		return -1;
	if (pl->scanning && scope_init(&pl->mscope, pl->in->n_members, pl->users.words) != 0)
		return -1;
	if (pl->in->scan != NULL &&
	    (pl->known_seen = calloc(pl->in->scan->n_members + 1, sizeof(bool))) == NULL)
		return -1;
	for (size_t i = 0; i < snap->n_users; i++)
		pl->user_member[i] = NO_INDEX;
	for (size_t k = 0; k < pl->in->n_mappings; k++)
		if (resolve_mapping(pl, k) != 0)
			return -1;
	return 0;
}

struct plan_org *plan_org_new(const struct plan_index *idx, const struct plan_org_input *in,
			      const struct plan_options *opt)
{
	struct planner pl = { .idx = idx, .snap = idx->snap, .in = in, .opt = opt };

	if (planner_start(&pl) != 0 || match_users(&pl) != 0 || plan_users(&pl) != 0 ||
	    plan_refs(&pl) != 0 || plan_leavers(&pl) != 0 || collect(&pl) != 0 ||
	    check_guardrails(&pl) != 0)
		goto fail;
	check_removals(&pl);
	planner_free(&pl);
	return pl.p;
fail:
	planner_free(&pl);
	plan_org_free(pl.p);
	return NULL;
}

void plan_org_free(struct plan_org *p)
{
	if (p == NULL)
		return;
	free(p->changes);
	free(p->skips);
	free(p);
}

bool plan_org_empty(const struct plan_org *p)
{
	return p->n_changes == 0;
}

/* ------------------------------------------------------------------ scan */

void plan_scan_free(struct plan_scan *s)
{
	if (s == NULL)
		return;
	strmap_free(s->known);
	strings_free(&s->keys);
	free(s->affected);
	free(s->unknown.items);
	free(s->refetch.items);
	free(s);
}

size_t plan_scan_affected(const struct plan_scan *s, const size_t **items)
{
	*items = s->affected;
	return s->n_affected;
}

size_t plan_scan_unknown(const struct plan_scan *s, const char *const **values)
{
	*values = s->unknown.items;
	return s->unknown.n;
}

size_t plan_scan_refetch(const struct plan_scan *s, const char *const **values)
{
	*values = s->refetch.items;
	return s->refetch.n;
}

size_t plan_scan_managed(const struct plan_scan *s)
{
	return s->managed;
}

/* Whether member m's teams among the directory's differ from bits (the
 * team bits of its scope; NULL: none wanted). */
static bool teams_differ(struct planner *pl, const struct plan_member *m, const uint64_t *bits)
{
	uint64_t *have = pl->team_scratch;
	size_t words = pl->users.words;

	memset(have, 0, (words + 1) * sizeof(*have));
	for (size_t j = 0; j < m->n_team_ids; j++) {
		size_t t = team_index(pl, m->team_ids[j]);
		if (t != NO_INDEX)
			have[t / 64] |= (uint64_t)1 << (t % 64);
	}
	for (size_t w = 0; w < words; w++)
		if (have[w] != (bits ? bits[w] : 0))
			return true;
	return false;
}

/* Whether plan_in_scope() (no entry) or plan_leavers() would change or
 * report member mi, in scope as pl->mscope says. */
static bool scan_changes(struct planner *pl, size_t mi)
{
	const struct plan_member *m = &pl->in->members[mi];
	unsigned char hit = pl->mscope.hit[mi];

	if (m->role == ROLE_OWNER)
		return true; /* its role is never mapped: always reported */
	if (hit) {
		const uint64_t *bits = pl->mscope.words ? &pl->mscope.bits[mi * pl->mscope.words] : NULL;
		return m->status != MEMBER_ACTIVE || m->role != role_of_hit(hit) ||
		       teams_differ(pl, m, bits);
	}
	switch (pl->opt->on_leave) {
	case DIR_LEAVE_REMOVE:
		return true;
	case DIR_LEAVE_SUSPEND:
		if (m->status == MEMBER_ACTIVE)
			return true;
		break;
	case DIR_LEAVE_DOWNGRADE:
		if (m->role != ROLE_VIEWER)
			return true;
		break;
	}
	return teams_differ(pl, m, NULL);
}

struct plan_scan *plan_scan_new(const struct plan_index *idx, const struct plan_org_input *in,
				const struct plan_options *opt)
{
	struct planner pl = { .idx = idx, .snap = idx->snap, .in = in, .opt = opt, .scanning = true };
	const struct dir_snapshot *snap = idx->snap;
	struct plan_scan *s = calloc(1, sizeof(*s));
	size_t n = in->n_members;
	bool *hit = NULL;
	char buf[512];

	if (s == NULL || planner_start(&pl) != 0)
		goto fail;
	s->uids = snap->members_are_uids;
	s->managed = pl.p->counts.managed_before;
	s->n_members = n;
	hit = calloc(n ? n : 1, sizeof(*hit));
	s->affected = malloc((n ? n : 1) * sizeof(*s->affected));
	if (hit == NULL || s->affected == NULL)
		goto fail;
	struct strmap *known = s->uids ? pl.by_uid : pl.by_dn;
	/* Members an entry of the snapshot names (by DN or user name): the plan
	 * decides about them with the entry. */
	for (size_t u = 0; u < snap->n_users; u++) {
		const struct dir_user *e = &snap->users[u];
		size_t mi;
		bool found;
		if (s->uids) {
			found = !empty(e->username) && strmap_get(known, e->username, &mi);
		} else {
			char *key;
			if (e->dn == NULL)
				continue;
			if ((key = norm_tmp(e->dn, buf, sizeof(buf))) == NULL)
				goto fail;
			found = strmap_get(known, key, &mi);
			if (key != buf)
				free(key);
		}
		if (found)
			hit[mi] = true;
	}
	/* Group values no entry resolves and no member has (mark_other). */
	s->unknown = pl.ref_values;
	pl.ref_values = (struct vec){ 0 };
	for (size_t i = 0; i < n; i++) {
		const struct plan_member *m = &in->members[i];
		if (!ours(&pl, m) || !(hit[i] || scan_changes(&pl, i)))
			continue;
		s->affected[s->n_affected++] = i;
		/* Suspended and still in scope: reactivated unless its entry is
		 * disabled, which only the entry says. */
		const char *v = s->uids ? m->username : m->ldap_dn;
		if (!hit[i] && pl.mscope.hit[i] && m->status == MEMBER_SUSPENDED &&
		    m->role != ROLE_OWNER && !empty(v)) {
			const char **slot = vec_push(&s->refetch, sizeof(*slot));
			if (slot == NULL)
				goto fail;
			*slot = v;
		}
	}
	/* The known members outlive the planner. */
	s->known = known;
	s->keys = pl.keys;
	if (s->uids)
		pl.by_uid = NULL;
	else
		pl.by_dn = NULL;
	pl.keys = (struct strings){ 0 };
	free(hit);
	planner_free(&pl);
	plan_org_free(pl.p);
	return s;
fail:
	free(hit);
	planner_free(&pl);
	plan_org_free(pl.p);
	plan_scan_free(s);
	return NULL;
}

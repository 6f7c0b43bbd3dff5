/* SCIM PATCH engine (RFC 7644 section 3.5.2); the contract is in patch.h.
 *
 * Every operation resolves its path against the schema view (attribute names
 * are case-insensitive; the output uses the view's canonical spelling),
 * normalises the value to the attribute's type, checks mutability, and writes
 * into a deep copy of the resource, so a failing operation leaves the caller's
 * resource untouched. Where the RFC is silent the choices are listed in
 * docs/DECISIONS.md under "SCIM PATCH". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim/patch.h"
#include "scim/path.h"

#define PATCH_OP_URN "urn:ietf:params:scim:api:messages:2.0:PatchOp"

enum op_kind { OP_ADD, OP_REPLACE, OP_REMOVE };

static const char *const op_names[] = { "add", "replace", "remove" };

struct ctx {
	const struct scim_schema_view *schema;
	const struct scim_fold *fold; /* caseExact=false values (NULL: ASCII) */
	unsigned max_depth;
	struct scim_error *err;
	const char **urns;   /* core and extension URNs, NULL-terminated */
	json_t *res;         /* the copy being patched */
	json_t *touched_ext; /* extension URNs written to (keys) */
	json_t *primaries;   /* items the current operation made primary */
};

/* A resolved attribute path. */
struct target {
	struct scim_attr_info info; /* the attribute */
	const char *urn;            /* its extension URN (its key in the resource), NULL for core */
	bool has_sub;
	struct scim_attr_info sub; /* with has_sub */
	const struct scim_filter *filter;
	const char *primary; /* canonical name of its boolean "primary" sub-attribute, or NULL */
	char what[160];      /* "emails" or "name.givenName", for error details */
};

static int fail(struct ctx *c, const char *type, const char *fmt, ...) OB_PRINTF(3, 4);

static int fail(struct ctx *c, const char *type, const char *fmt, ...)
{
	char buf[sizeof(c->err->detail)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return scim_fail(c->err, 400, type, "%s", buf);
}

static int oom(struct ctx *c)
{
	return scim_fail(c->err, 500, NULL, "out of memory");
}

static bool lookup(const struct ctx *c, const char *urn, const char *attr, const char *sub,
		   struct scim_attr_info *out)
{
	memset(out, 0, sizeof(*out));
	return c->schema->lookup(c->schema->arg, urn, attr, sub, out) == 0 && out->name != NULL;
}

/* ---- JSON helpers ---- */

static json_t *get_ci(const json_t *obj, const char *name)
{
	return scim_json_get_ci(obj, name);
}

/* A value that is there: null and [] count as unassigned (RFC 7643 2.5). */
static json_t *present(json_t *v)
{
	if (v == NULL || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0))
		return NULL;
	return v;
}

static void del_ci(json_t *obj, const char *name)
{
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(obj, tmp, key, v) {
		if (strcasecmp(key, name) == 0)
			json_object_del(obj, key);
	}
}

/* Set obj[name] = v (reference stolen), dropping any other spelling of name. */
static int set_ci(json_t *obj, const char *name, json_t *v)
{
	if (v == NULL)
		return -1;
	del_ci(obj, name);
	return json_object_set_new(obj, name, v);
}

/* Equal values; strings compare per caseExact, folded as the database folds. */
static bool same_value(const struct ctx *c, const json_t *a, const json_t *b, bool case_exact)
{
	if (json_is_string(a) && json_is_string(b)) {
		const char *x = json_string_value(a), *y = json_string_value(b);
		size_t n = json_string_length(a), m = json_string_length(b);

		if (case_exact)
			return n == m && memcmp(x, y, n) == 0;
		return scim_fold_eq(c->fold, x, n, y, m);
	}
	return json_equal(a, b);
}

/* ---- values ---- */

/* Normalise a simple value of (sub-)attribute `in`: a new reference in *out.
 * Booleans also come as the strings "True"/"False" (Entra ID). */
static int coerce_scalar(struct ctx *c, const struct scim_attr_info *in, const char *what,
			 json_t *v, json_t **out)
{
	int64_t sec;
	long nsec;

	*out = NULL;
	switch (in->type) {
	case SCIM_AT_BOOLEAN:
		if (json_is_string(v) && strcasecmp(json_string_value(v), "true") == 0) {
			*out = json_true();
			return 0;
		}
		if (json_is_string(v) && strcasecmp(json_string_value(v), "false") == 0) {
			*out = json_false();
			return 0;
		}
		if (!json_is_boolean(v))
			return fail(c, SCIM_INVALID_VALUE, "%s must be a boolean", what);
		break;
	case SCIM_AT_INTEGER:
		if (!json_is_integer(v))
			return fail(c, SCIM_INVALID_VALUE, "%s must be an integer", what);
		break;
	case SCIM_AT_DECIMAL:
		if (!json_is_number(v))
			return fail(c, SCIM_INVALID_VALUE, "%s must be a number", what);
		break;
	case SCIM_AT_DATETIME:
		if (!json_is_string(v) || !scim_datetime_parse(json_string_value(v), &sec, &nsec))
			return fail(c, SCIM_INVALID_VALUE, "%s must be an xsd:dateTime", what);
		break;
	case SCIM_AT_COMPLEX:
		return fail(c, SCIM_INVALID_VALUE, "%s must be an object", what);
	case SCIM_AT_STRING:
	case SCIM_AT_REFERENCE:
	case SCIM_AT_BINARY:
		if (!json_is_string(v))
			return fail(c, SCIM_INVALID_VALUE, "%s must be a string", what);
		break;
	}
	*out = json_incref(v);
	return 0;
}

/* Normalise one complex value of t's attribute: canonical sub-attribute
 * names, null members dropped, readOnly sub-attributes of a writable
 * attribute dropped (the server owns them), each sub-attribute typed. A bare string stands for {"value": s}
 * when the attribute has a "value" sub-attribute (Entra ID sends the
 * enterprise manager so). */
static int coerce_complex(struct ctx *c, const struct target *t, json_t *v, json_t **out)
{
	struct scim_attr_info si;
	json_t *obj = NULL, *wrapped = NULL, *sv, *nv;
	const char *key;
	char what[200];

	*out = NULL;
	if (json_is_string(v) && lookup(c, t->urn, t->info.name, "value", &si)) {
		if ((wrapped = json_pack("{sO}", si.name, v)) == NULL)
			return oom(c);
		v = wrapped;
	}
	if (!json_is_object(v)) {
		json_decref(wrapped);
		return fail(c, SCIM_INVALID_VALUE, "%s must be an object", t->info.name);
	}
	if ((obj = json_object()) == NULL)
		goto nomem;
	json_object_foreach(v, key, sv) {
		if (!lookup(c, t->urn, t->info.name, key, &si)) {
			fail(c, SCIM_INVALID_SYNTAX, "unknown sub-attribute %s.%.60s", t->info.name, key);
			goto fail;
		}
		if (json_object_get(obj, si.name) != NULL) {
			fail(c, SCIM_INVALID_SYNTAX, "%s.%s is given twice", t->info.name, si.name);
			goto fail;
		}
		/* kept under a readOnly attribute, so check_mut sees the change */
		if (json_is_null(sv) || (si.mutability == SCIM_MUT_READ_ONLY &&
					 t->info.mutability != SCIM_MUT_READ_ONLY))
			continue;
		snprintf(what, sizeof(what), "%s.%s", t->info.name, si.name);
		if (coerce_scalar(c, &si, what, sv, &nv) != 0)
			goto fail;
		if (json_object_set_new(obj, si.name, nv) != 0)
			goto nomem;
	}
	json_decref(wrapped);
	*out = obj;
	return 0;
nomem:
	oom(c);
fail:
	json_decref(wrapped);
	json_decref(obj);
	return -1;
}

/* One value of t's attribute (an item, for a multi-valued one). */
static int coerce_item(struct ctx *c, const struct target *t, json_t *v, json_t **out)
{
	if (t->info.type == SCIM_AT_COMPLEX)
		return coerce_complex(c, t, v, out);
	return coerce_scalar(c, &t->info, t->info.name, v, out);
}

static bool is_primary(const struct target *t, const json_t *item)
{
	return t->primary != NULL && json_is_true(get_ci(item, t->primary));
}

/* The whole value of t's attribute: an array for a multi-valued one (a single
 * value is taken as a one-item array). *out is NULL for null or an empty
 * array, which mean "unassigned". */
static int coerce_attr(struct ctx *c, const struct target *t, json_t *v, json_t **out)
{
	json_t *arr, *item, *nv;
	size_t i, n, primaries = 0;

	*out = NULL;
	if (json_is_null(v))
		return 0;
	if (!t->info.multi_valued) {
		if (json_is_array(v))
			return fail(c, SCIM_INVALID_VALUE, "%s is single-valued", t->what);
		return coerce_item(c, t, v, out);
	}
	if ((arr = json_array()) == NULL)
		return oom(c);
	n = json_is_array(v) ? json_array_size(v) : 1;
	for (i = 0; i < n; i++) {
		item = json_is_array(v) ? json_array_get(v, i) : v;
		if (json_is_null(item))
			continue;
		if (coerce_item(c, t, item, &nv) != 0)
			goto fail;
		if (json_is_object(nv) && json_object_size(nv) == 0) {
			json_decref(nv);
			continue;
		}
		primaries += is_primary(t, nv);
		if (json_array_append_new(arr, nv) != 0) {
			oom(c);
			goto fail;
		}
	}
	if (primaries > 1) {
		fail(c, SCIM_INVALID_VALUE, "only one %s value may be primary", t->what);
		goto fail;
	}
	if (json_array_size(arr) == 0)
		json_decref(arr);
	else
		*out = arr;
	return 0;
fail:
	json_decref(arr);
	return -1;
}

/* ---- mutability ---- */

/* May the client change old (NULL: unassigned) into nv (NULL: unassign)?
 * Writing the value already there is always allowed (Okta sends the readOnly
 * id back in a path-less replace). */
static int check_mut(struct ctx *c, const struct scim_attr_info *in, const char *what,
		     json_t *old, json_t *nv)
{
	old = present(old);
	nv = present(nv);
	if (in->mutability == SCIM_MUT_READ_WRITE || in->mutability == SCIM_MUT_WRITE_ONLY) {
		/* no comparison: big multi-valued attributes are writable */
		if (in->required && old != NULL && nv == NULL)
			return fail(c, SCIM_MUTABILITY, "%s is required", what);
		return 0;
	}
	if (old == NULL && nv == NULL)
		return 0;
	if (old != NULL && nv != NULL && json_equal(old, nv))
		return 0;
	if (in->mutability == SCIM_MUT_READ_ONLY)
		return fail(c, SCIM_MUTABILITY, "%s is readOnly", what);
	if (in->mutability == SCIM_MUT_IMMUTABLE && old != NULL)
		return fail(c, SCIM_MUTABILITY, "%s is immutable", what);
	if (in->required && nv == NULL)
		return fail(c, SCIM_MUTABILITY, "%s is required", what);
	return 0;
}

/* Write sub-attribute key of an item or complex value (nv NULL: remove it). */
static int write_sub(struct ctx *c, const struct target *t, json_t *obj, const char *key,
		     json_t *nv)
{
	struct scim_attr_info si;
	char what[200];

	if (!lookup(c, t->urn, t->info.name, key, &si))
		return fail(c, SCIM_INVALID_SYNTAX, "unknown sub-attribute %s.%.60s", t->info.name,
			    key);
	snprintf(what, sizeof(what), "%s.%s", t->info.name, si.name);
	if (check_mut(c, &si, what, get_ci(obj, key), nv) != 0)
		return -1;
	if (present(nv) == NULL) {
		del_ci(obj, key);
		return 0;
	}
	return set_ci(obj, si.name, json_incref(nv)) == 0 ? 0 : oom(c);
}

/* ---- the resource ---- */

/* The object t's attribute lives in: the resource, or its extension object
 * (created when create is set). NULL when absent (or on ENOMEM with create).
 * The resource is a shallow copy of the caller's: what the engine changes,
 * it copies first (extension objects here, values in items_copy/own_item). */
static json_t *container(struct ctx *c, const struct target *t, bool create)
{
	json_t *ext;

	if (t->urn == NULL)
		return c->res;
	ext = get_ci(c->res, t->urn);
	if (json_is_object(ext) && json_object_get(c->touched_ext, t->urn) != NULL)
		return ext; /* ours already */
	if (!json_is_object(ext) && !create)
		return NULL;
	/* the copy is shallow: write to our own extension object */
	ext = json_is_object(ext) ? json_copy(ext) : json_object();
	if (ext == NULL || set_ci(c->res, t->urn, ext) != 0)
		return NULL;
	if (json_object_set(c->touched_ext, t->urn, json_true()) != 0)
		return NULL;
	return ext;
}

/* Set t's attribute in cont to nv (NULL: remove it), if its mutability allows. */
static int write_attr(struct ctx *c, const struct target *t, json_t *cont, json_t *old, json_t *nv)
{
	if (check_mut(c, &t->info, t->what, old, nv) != 0)
		return -1;
	if (present(nv) == NULL) {
		del_ci(cont, t->info.name);
		return 0;
	}
	return set_ci(cont, t->info.name, json_incref(nv)) == 0 ? 0 : oom(c);
}

/* A copy of a multi-valued attribute's values to edit (a stray single value
 * becomes a one-item array). Shallow: own_item() before changing a value. */
static json_t *items_copy(json_t *old)
{
	json_t *arr;

	if (json_is_array(old))
		return json_copy(old);
	arr = json_array();
	if (arr != NULL && present(old) != NULL && json_array_append(arr, old) != 0)
		return json_decref(arr), NULL;
	return arr;
}

/* Value i of arr, copied so it can be changed (NULL on ENOMEM). */
static json_t *own_item(json_t *arr, size_t i)
{
	json_t *item = json_deep_copy(json_array_get(arr, i));

	if (item == NULL || json_array_set_new(arr, i, item) != 0)
		return NULL;
	return item;
}

/* Remember that the current operation made item primary. */
static int note_primary(struct ctx *c, const struct target *t, json_t *item)
{
	if (!is_primary(t, item))
		return 0;
	return json_array_append(c->primaries, item) == 0 ? 0 : oom(c);
}

static bool noted_primary(const struct ctx *c, const json_t *item)
{
	json_t *p;
	size_t i;

	json_array_foreach(c->primaries, i, p) {
		if (p == item)
			return true;
	}
	return false;
}

/* "primary" is true for at most one value (RFC 7643 section 2.4): the one
 * this operation made primary wins, the others lose the flag. */
static int fix_primary(struct ctx *c, const struct target *t, json_t *arr)
{
	json_t *winner = NULL, *item;
	size_t j;
	int rc = 0;

	if (json_array_size(c->primaries) == 0)
		return 0;
	json_array_foreach(arr, j, item) {
		if (!is_primary(t, item) || !noted_primary(c, item))
			continue;
		if (winner != NULL) {
			rc = fail(c, SCIM_INVALID_VALUE, "only one %s value may be primary", t->what);
			goto out;
		}
		winner = item;
	}
	if (winner == NULL)
		goto out;
	json_array_foreach(arr, j, item) {
		if (item == winner || !is_primary(t, item))
			continue;
		if ((item = own_item(arr, j)) == NULL ||
		    set_ci(item, t->primary, json_false()) != 0) {
			rc = oom(c);
			goto out;
		}
	}
out:
	json_array_clear(c->primaries);
	return rc;
}

/* Store the edited values of a multi-valued attribute: values left empty
 * go, "primary" is settled, and no values at all unassigns the attribute. */
static int write_items(struct ctx *c, const struct target *t, json_t *cont, json_t *old,
		       json_t *edit)
{
	json_t *item;
	size_t i;

	for (i = json_array_size(edit); i-- > 0;) {
		item = json_array_get(edit, i);
		if (json_is_object(item) && json_object_size(item) == 0)
			json_array_remove(edit, i);
	}
	if (fix_primary(c, t, edit) != 0)
		return -1;
	return write_attr(c, t, cont, old, json_array_size(edit) ? edit : NULL);
}

/* Does item hold every sub-attribute of g with the same value? */
static bool item_contains(const struct ctx *c, const struct target *t, json_t *item, json_t *g)
{
	struct scim_attr_info si;
	const char *key;
	json_t *v, *iv;

	if (t->info.type != SCIM_AT_COMPLEX)
		return same_value(c, item, g, t->info.case_exact);
	if (!json_is_object(item))
		return false;
	json_object_foreach(g, key, v) {
		iv = present(get_ci(item, key));
		if (iv == NULL || !same_value(c, iv, v, false))
			return false; /* cheap, and decides most comparisons */
		if (json_equal(iv, v))
			continue;
		if (!lookup(c, t->urn, t->info.name, key, &si) || !same_value(c, iv, v, si.case_exact))
			return false;
	}
	return true;
}

/* ---- an index of a multi-valued attribute's values by "value" ----
 * So that adding or removing members of a group with 100,000 of them does
 * not compare every given value with every value there. Positions in arr,
 * found by the "value" string (the value itself for a simple attribute),
 * compared per caseExact; values without one are not indexed. */
struct vindex {
	json_t *arr;
	const char *vname; /* "value" sub-attribute; NULL for a simple attribute */
	bool exact;
	const struct scim_fold *fold; /* when not exact */
	size_t *slot; /* position + 1, 0 for empty; open addressing */
	size_t cap, used;
};

static const char *ix_key(const struct vindex *ix, const json_t *item, size_t *n)
{
	const json_t *v = ix->vname != NULL ? get_ci(item, ix->vname) : item;

	if (!json_is_string(v))
		return NULL;
	*n = json_string_length(v);
	return json_string_value(v);
}

static size_t ix_hash(const struct vindex *ix, const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	if (!ix->exact)
		return (size_t)scim_fold_hash(ix->fold, s, n) & (ix->cap - 1);
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return (size_t)h & (ix->cap - 1);
}

static bool ix_same(const struct vindex *ix, const char *a, size_t na, const char *b, size_t nb)
{
	return ix->exact ? na == nb && memcmp(a, b, na) == 0 : scim_fold_eq(ix->fold, a, na, b, nb);
}

static int ix_insert(struct vindex *ix, size_t pos)
{
	const char *k;
	size_t n, h;

	if ((k = ix_key(ix, json_array_get(ix->arr, pos), &n)) == NULL)
		return 0;
	if (2 * (ix->used + 1) > ix->cap) {
		size_t *old = ix->slot, oldcap = ix->cap;

		ix->cap = ix->cap ? ix->cap * 2 : 64;
		if ((ix->slot = calloc(ix->cap, sizeof(*ix->slot))) == NULL) {
			ix->slot = old;
			ix->cap = oldcap;
			return -1;
		}
		ix->used = 0;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i] != 0 && ix_insert(ix, old[i] - 1) != 0)
				return free(old), -1;
		free(old);
	}
	for (h = ix_hash(ix, k, n); ix->slot[h] != 0; h = (h + 1) & (ix->cap - 1))
		;
	ix->slot[h] = pos + 1;
	ix->used++;
	return 0;
}

/* The index of arr, or an empty one (ix->cap 0) when t's values have no
 * "value" to index by. */
static int ix_build(const struct ctx *c, const struct target *t, json_t *arr, struct vindex *ix)
{
	struct scim_attr_info vi;

	memset(ix, 0, sizeof(*ix));
	ix->arr = arr;
	ix->fold = c->fold;
	if (t->info.type == SCIM_AT_COMPLEX) {
		if (!lookup(c, t->urn, t->info.name, "value", &vi))
			return 0;
		ix->vname = vi.name;
		ix->exact = vi.case_exact;
	} else {
		ix->exact = t->info.case_exact;
	}
	for (size_t i = 0; i < json_array_size(arr); i++)
		if (ix_insert(ix, i) != 0)
			return -1;
	return 0;
}

/* The positions whose "value" is item's, one per call from *cursor (start
 * it at 0); -1 when there are no more, or when item has no "value" (then
 * *indexed is false and the caller scans). */
static long ix_next(const struct vindex *ix, const json_t *item, size_t *cursor, bool *indexed)
{
	const char *k, *ek;
	size_t n, en, h, pos;

	*indexed = ix->cap > 0 && (k = ix_key(ix, item, &n)) != NULL;
	if (!*indexed)
		return -1;
	h = (ix_hash(ix, k, n) + *cursor) & (ix->cap - 1);
	for (; ix->slot[h] != 0; h = (h + 1) & (ix->cap - 1)) {
		++*cursor;
		pos = ix->slot[h] - 1;
		ek = ix_key(ix, json_array_get(ix->arr, pos), &en);
		if (ek != NULL && ix_same(ix, k, n, ek, en))
			return (long)pos;
	}
	return -1;
}

/* The existing value an added one merges into: the same "value" and "type"
 * (a member added again, an email re-sent with primary), or, for values
 * without a "value", one that already holds all of it. -1 when none. */
static long find_same(const struct ctx *c, const struct target *t, const struct vindex *ix,
		      json_t *item)
{
	struct scim_attr_info ti;
	bool typed, indexed;
	size_t cursor = 0, i;
	json_t *e, *it;
	long at;

	typed = t->info.type == SCIM_AT_COMPLEX && lookup(c, t->urn, t->info.name, "type", &ti);
	it = typed ? present(get_ci(item, ti.name)) : NULL;
	while ((at = ix_next(ix, item, &cursor, &indexed)) >= 0) {
		json_t *et = typed ? present(get_ci(json_array_get(ix->arr, (size_t)at), ti.name))
				   : NULL;

		if (et == NULL ? it == NULL : it != NULL && same_value(c, et, it, ti.case_exact))
			return at;
	}
	if (indexed)
		return -1;
	json_array_foreach(ix->arr, i, e) {
		if (item_contains(c, t, e, item))
			return (long)i;
	}
	return -1;
}

/* Merge the sub-attributes of src into item (an element being edited). */
static int merge_into(struct ctx *c, const struct target *t, json_t *item, json_t *src)
{
	const char *key;
	json_t *v;

	json_object_foreach(src, key, v) {
		if (write_sub(c, t, item, key, v) != 0)
			return -1;
	}
	return note_primary(c, t, item);
}

/* add to a multi-valued attribute: new values are appended, values already
 * there (find_same) are merged, not duplicated. */
static int add_items(struct ctx *c, const struct target *t, json_t *cont, json_t *old, json_t *items)
{
	json_t *arr = items_copy(old), *item, *e;
	struct vindex ix = { 0 };
	size_t i;
	long at;
	int rc = -1;

	if (arr == NULL || ix_build(c, t, arr, &ix) != 0) {
		oom(c);
		goto out;
	}
	json_array_foreach(items, i, item) {
		at = find_same(c, t, &ix, item);
		if (at >= 0 && t->info.type == SCIM_AT_COMPLEX) {
			if ((e = own_item(arr, (size_t)at)) == NULL) {
				oom(c);
				goto out;
			}
			if (merge_into(c, t, e, item) != 0)
				goto out;
		} else if (at < 0) {
			if (json_array_append(arr, item) != 0 ||
			    ix_insert(&ix, json_array_size(arr) - 1) != 0) {
				oom(c);
				goto out;
			}
			if (note_primary(c, t, item) != 0)
				goto out;
		}
	}
	rc = write_items(c, t, cont, old, arr);
out:
	free(ix.slot);
	json_decref(arr);
	return rc;
}

/* remove with a value on a multi-valued attribute (Entra ID removes members
 * with {"path":"members","value":[{"value":"id"}]}): the values holding all of
 * a given one go; given values that match nothing are ignored. */
static int remove_values(struct ctx *c, const struct target *t, json_t *cont, json_t *old,
			 json_t *value)
{
	json_t *given = NULL, *arr = NULL, *kept = NULL, *g;
	struct vindex ix = { 0 };
	bool *gone = NULL, indexed;
	size_t i, j, cursor;
	long at;
	int rc = -1;

	if (coerce_attr(c, t, value, &given) != 0)
		return -1;
	if (given == NULL || old == NULL) {
		json_decref(given);
		return 0;
	}
	if ((arr = items_copy(old)) == NULL || ix_build(c, t, arr, &ix) != 0 ||
	    (gone = calloc(json_array_size(arr) + 1, sizeof(*gone))) == NULL ||
	    (kept = json_array()) == NULL)
		goto nomem;
	json_array_foreach(given, i, g) {
		cursor = 0;
		while ((at = ix_next(&ix, g, &cursor, &indexed)) >= 0)
			if (item_contains(c, t, json_array_get(arr, (size_t)at), g))
				gone[at] = true;
		for (j = 0; !indexed && j < json_array_size(arr); j++)
			if (item_contains(c, t, json_array_get(arr, j), g))
				gone[j] = true;
	}
	for (j = 0; j < json_array_size(arr); j++)
		if (!gone[j] && json_array_append(kept, json_array_get(arr, j)) != 0)
			goto nomem;
	rc = write_attr(c, t, cont, old, json_array_size(kept) ? kept : NULL);
	goto out;
nomem:
	oom(c);
out:
	free(gone);
	free(ix.slot);
	json_decref(kept);
	json_decref(arr);
	json_decref(given);
	return rc;
}

/* add or replace on a single-valued complex attribute: the given
 * sub-attributes are set, the others left alone (RFC 7644 3.5.2.1 and .3). */
static int merge_complex(struct ctx *c, const struct target *t, json_t *cont, json_t *old,
			 json_t *nv)
{
	json_t *obj = json_is_object(old) ? json_deep_copy(old) : json_object();
	const char *key;
	json_t *v;
	int rc = -1;

	if (obj == NULL)
		return oom(c);
	json_object_foreach(nv, key, v) {
		if (write_sub(c, t, obj, key, v) != 0)
			goto out;
	}
	rc = write_attr(c, t, cont, old, obj);
out:
	json_decref(obj);
	return rc;
}

/* path "attr" */
static int op_whole(struct ctx *c, enum op_kind op, const struct target *t, json_t *value)
{
	json_t *cont = container(c, t, op != OP_REMOVE), *old, *nv = NULL;
	int rc;

	if (cont == NULL)
		return op == OP_REMOVE ? 0 : oom(c);
	old = present(get_ci(cont, t->info.name));
	if (op == OP_REMOVE) {
		if (present(value) != NULL && t->info.multi_valued)
			return remove_values(c, t, cont, old, value);
		return write_attr(c, t, cont, old, NULL);
	}
	if (coerce_attr(c, t, value, &nv) != 0)
		return -1;
	if (nv == NULL) /* null or []: replace unassigns, add adds nothing */
		return op == OP_ADD ? 0 : write_attr(c, t, cont, old, NULL);
	if (t->info.multi_valued && op == OP_ADD)
		rc = add_items(c, t, cont, old, nv);
	else if (!t->info.multi_valued && t->info.type == SCIM_AT_COMPLEX)
		rc = merge_complex(c, t, cont, old, nv);
	else
		rc = write_attr(c, t, cont, old, nv);
	json_decref(nv);
	return rc;
}

/* path "attr.sub" without a value filter: the sub-attribute of a complex
 * attribute, or of every value of a multi-valued one. */
static int op_sub(struct ctx *c, enum op_kind op, const struct target *t, json_t *value)
{
	json_t *cont = container(c, t, op != OP_REMOVE), *old, *nv = NULL, *edit = NULL, *item;
	size_t i;
	int rc = -1;

	if (cont == NULL)
		return op == OP_REMOVE ? 0 : oom(c);
	old = present(get_ci(cont, t->info.name));
	if (op == OP_ADD && present(value) == NULL)
		return 0;
	if (op != OP_REMOVE && present(value) != NULL &&
	    coerce_scalar(c, &t->sub, t->what, value, &nv) != 0)
		return -1;
	if (nv == NULL && old == NULL)
		return 0;
	if (t->info.multi_valued) {
		if ((edit = items_copy(old)) == NULL)
			goto nomem;
		if (json_array_size(edit) == 0) {
			if ((item = json_object()) == NULL || json_array_append_new(edit, item) != 0)
				goto nomem;
		}
		json_array_foreach(edit, i, item) {
			if (!json_is_object(item))
				continue;
			if ((item = own_item(edit, i)) == NULL)
				goto nomem;
			if (write_sub(c, t, item, t->sub.name, nv) != 0 ||
			    note_primary(c, t, item) != 0)
				goto out;
		}
		rc = write_items(c, t, cont, old, edit);
	} else {
		if ((edit = json_is_object(old) ? json_deep_copy(old) : json_object()) == NULL)
			goto nomem;
		if (write_sub(c, t, edit, t->sub.name, nv) != 0)
			goto out;
		rc = write_attr(c, t, cont, old, json_object_size(edit) ? edit : NULL);
	}
	goto out;
nomem:
	oom(c);
out:
	json_decref(edit);
	json_decref(nv);
	return rc;
}

/* The value a filter of equalities describes (emails[type eq "work"] ->
 * {"type":"work"}), for an add whose filter matches nothing (Entra ID adds
 * emails[type eq "work"].value). 1 when filled, 0 when the filter is not a
 * conjunction of equalities on sub-attributes (or contradicts itself). */
static int eq_item(struct ctx *c, const struct target *t, const struct scim_filter *f,
		   json_t *item)
{
	struct scim_attr_info si;
	json_t *nv, *had;
	int r;

	if (f->kind == SCIM_F_AND) {
		r = eq_item(c, t, f->left, item);
		return r != 1 ? r : eq_item(c, t, f->right, item);
	}
	if (f->kind != SCIM_F_COMPARE || f->op != SCIM_OP_EQ || json_is_null(f->value) ||
	    !lookup(c, t->urn, t->info.name, f->attr.attr, &si))
		return 0;
	if (coerce_scalar(c, &si, si.name, f->value, &nv) != 0)
		return -1;
	had = get_ci(item, si.name);
	if (had != NULL) {
		r = same_value(c, had, nv, si.case_exact);
		json_decref(nv);
		return r;
	}
	return json_object_set_new(item, si.name, nv) == 0 ? 1 : oom(c);
}

/* Replace one value of a multi-valued attribute: readOnly sub-attributes
 * stay (the server owns them), immutable ones may not change. */
static int replace_item(struct ctx *c, const struct target *t, json_t *arr, size_t i, json_t *nv)
{
	json_t *olditem = json_array_get(arr, i), *item = json_deep_copy(nv), *v;
	struct scim_attr_info si;
	const char *key;
	char what[200];

	if (item == NULL)
		return oom(c);
	json_object_foreach(olditem, key, v) {
		if (!lookup(c, t->urn, t->info.name, key, &si))
			continue;
		if (si.mutability == SCIM_MUT_READ_ONLY && set_ci(item, si.name, json_incref(v)) != 0)
			goto nomem;
		snprintf(what, sizeof(what), "%s.%s", t->info.name, si.name);
		if (check_mut(c, &si, what, v, get_ci(item, key)) != 0)
			goto fail;
	}
	if (json_array_set(arr, i, item) != 0)
		goto nomem;
	if (note_primary(c, t, item) != 0)
		goto fail;
	json_decref(item);
	return 0;
nomem:
	oom(c);
fail:
	json_decref(item);
	return -1;
}

/* path "attr[filter]" or "attr[filter].sub" */
static int op_filtered(struct ctx *c, enum op_kind op, const struct target *t, json_t *value)
{
	json_t *cont = container(c, t, op == OP_ADD), *old, *edit = NULL, *nv = NULL, *item;
	json_t *kept = NULL;
	bool *hit = NULL;
	size_t i, n, matched = 0;
	int r, rc = -1;

	if (cont == NULL && op == OP_ADD)
		return oom(c);
	old = cont != NULL ? present(get_ci(cont, t->info.name)) : NULL;
	if (op != OP_REMOVE && present(value) == NULL) {
		if (op == OP_ADD)
			return 0;
		op = OP_REMOVE; /* replace with null unassigns */
	}
	if ((edit = items_copy(old)) == NULL)
		return oom(c);
	n = json_array_size(edit);
	if (n > 0 && (hit = calloc(n, sizeof(*hit))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		r = scim_filter_match_item(t->filter, json_array_get(edit, i), t->urn, t->info.name,
					   c->schema, c->fold, c->err);
		if (r < 0)
			goto out;
		hit[i] = r > 0;
		matched += r > 0;
	}
	if (op != OP_REMOVE) {
		r = t->has_sub ? coerce_scalar(c, &t->sub, t->what, value, &nv)
			       : coerce_item(c, t, value, &nv);
		if (r != 0)
			goto out;
	}
	if (matched == 0) {
		if (op != OP_ADD || t->info.type != SCIM_AT_COMPLEX) {
			fail(c, SCIM_NO_TARGET, "no %s value matches the filter", t->info.name);
			goto out;
		}
		if ((item = json_object()) == NULL || json_array_append_new(edit, item) != 0)
			goto nomem;
		r = eq_item(c, t, t->filter, item);
		if (r == 0)
			fail(c, SCIM_NO_TARGET, "no %s value matches the filter", t->info.name);
		if (r != 1)
			goto out;
		if (t->has_sub ? set_ci(item, t->sub.name, json_incref(nv)) != 0
			       : json_object_update(item, nv) != 0)
			goto nomem;
		if (note_primary(c, t, item) != 0)
			goto out;
	}
	for (i = n; matched > 0 && i-- > 0;) {
		if (!hit[i])
			continue;
		item = json_array_get(edit, i);
		if (op == OP_REMOVE && !t->has_sub)
			continue; /* dropped below */
		if (json_is_object(item) && (t->has_sub || op == OP_ADD) &&
		    (item = own_item(edit, i)) == NULL)
			goto nomem;
		if (t->has_sub && !json_is_object(item))
			continue;
		if (!t->has_sub && t->info.type != SCIM_AT_COMPLEX) {
			if (json_array_set(edit, i, nv) != 0)
				goto nomem;
			continue;
		}
		if (t->has_sub)
			r = write_sub(c, t, item, t->sub.name, nv) || note_primary(c, t, item);
		else if (op == OP_ADD)
			r = merge_into(c, t, item, nv);
		else
			r = replace_item(c, t, edit, i, nv);
		if (r != 0)
			goto out;
	}
	if (op == OP_REMOVE && !t->has_sub) {
		if ((kept = json_array()) == NULL)
			goto nomem;
		for (i = 0; i < n; i++)
			if (!hit[i] && json_array_append(kept, json_array_get(edit, i)) != 0)
				goto nomem;
		json_decref(edit);
		edit = kept;
		kept = NULL;
	}
	rc = write_items(c, t, cont, old, edit);
	goto out;
nomem:
	oom(c);
out:
	free(hit);
	json_decref(kept);
	json_decref(nv);
	json_decref(edit);
	return rc;
}

/* ---- paths ---- */

/* Value-filter references name sub-attributes of the filtered attribute
 * ("value" for a simple multi-valued one). */
static int check_filter_refs(struct ctx *c, const struct target *t, const struct scim_filter *f)
{
	struct scim_attr_info si;

	switch (f->kind) {
	case SCIM_F_AND:
	case SCIM_F_OR:
		if (check_filter_refs(c, t, f->left) != 0)
			return -1;
		return check_filter_refs(c, t, f->right);
	case SCIM_F_NOT:
		return check_filter_refs(c, t, f->left);
	case SCIM_F_VALUE_PATH:
		return fail(c, SCIM_INVALID_PATH, "value filters cannot be nested");
	case SCIM_F_COMPARE:
	case SCIM_F_PRESENT:
		break;
	}
	if (f->attr.urn != NULL || f->attr.sub != NULL ||
	    (t->info.type == SCIM_AT_COMPLEX
		     ? !lookup(c, t->urn, t->info.name, f->attr.attr, &si)
		     : strcasecmp(f->attr.attr, "value") != 0))
		return fail(c, SCIM_INVALID_PATH, "%.60s%s%.60s is not a sub-attribute of %s",
			    f->attr.attr, f->attr.sub ? "." : "", f->attr.sub ? f->attr.sub : "",
			    t->info.name);
	return 0;
}

static int resolve(struct ctx *c, const struct scim_path *p, struct target *t)
{
	struct scim_attr_info pi;

	memset(t, 0, sizeof(*t));
	if (!lookup(c, p->urn, p->attr, NULL, &t->info))
		return fail(c, SCIM_INVALID_PATH, "unknown attribute %s%s%.80s", p->urn ? p->urn : "",
			    p->urn ? ":" : "", p->attr);
	t->urn = t->info.ext_urn;
	snprintf(t->what, sizeof(t->what), "%s", t->info.name);
	if (t->info.type == SCIM_AT_COMPLEX && t->info.multi_valued &&
	    lookup(c, t->urn, t->info.name, "primary", &pi) && pi.type == SCIM_AT_BOOLEAN)
		t->primary = pi.name;
	if (p->sub != NULL) {
		if (t->info.type != SCIM_AT_COMPLEX ||
		    !lookup(c, t->urn, t->info.name, p->sub, &t->sub))
			return fail(c, SCIM_INVALID_PATH, "unknown sub-attribute %s.%.80s",
				    t->info.name, p->sub);
		t->has_sub = true;
		snprintf(t->what, sizeof(t->what), "%s.%s", t->info.name, t->sub.name);
	}
	if (p->filter != NULL) {
		if (!t->info.multi_valued)
			return fail(c, SCIM_INVALID_PATH, "%s is single-valued: no value filter",
				    t->info.name);
		if (check_filter_refs(c, t, p->filter) != 0)
			return -1;
		t->filter = p->filter;
	}
	return 0;
}

static int op_path(struct ctx *c, enum op_kind op, const struct scim_path *p, json_t *value,
		   unsigned nesting);

/* Each member of value as an operation of its own: keys are attribute names
 * or paths ("name.givenName", URN-qualified, even value paths: Entra ID). */
static int op_pathless(struct ctx *c, enum op_kind op, json_t *value, unsigned nesting)
{
	struct scim_path *p;
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(value))
		return fail(c, SCIM_INVALID_VALUE, "without a path, value must be an object of "
			    "attributes");
	json_object_foreach(value, key, v) {
		if (strcasecmp(key, "schemas") == 0)
			continue; /* the engine keeps schemas in step with the extensions */
		p = scim_path_parse(key, c->urns, c->max_depth, c->err);
		if (p == NULL)
			return -1;
		rc = op_path(c, op, p, v, nesting);
		scim_path_free(p);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* A bare schema URN: the extension object as a whole (or, for the core
 * schema, the resource as with no path). */
static int op_urn(struct ctx *c, enum op_kind op, const char *urn, json_t *value,
		  unsigned nesting)
{
	struct scim_attr_info in;
	struct scim_path *p;
	const char *key, *ext = NULL;
	json_t *obj, *v;
	char *text;
	int rc;

	for (size_t i = 0; c->urns[i] != NULL; i++)
		if (strcasecmp(c->urns[i], urn) == 0)
			ext = c->urns[i];
	if (ext == NULL || strcasecmp(ext, c->schema->core_urn) == 0) {
		if (op == OP_REMOVE || nesting > 0)
			return fail(c, SCIM_INVALID_PATH, "%.100s cannot be %s", urn,
				    op == OP_REMOVE ? "removed" : "nested");
		return op_pathless(c, op, value, nesting + 1);
	}
	if (op == OP_ADD && present(value) == NULL)
		return 0;
	if (op == OP_REMOVE || present(value) == NULL) {
		obj = get_ci(c->res, ext);
		json_object_foreach(obj, key, v) {
			if (lookup(c, ext, key, NULL, &in) && check_mut(c, &in, in.name, v, NULL))
				return -1;
		}
		del_ci(c->res, ext);
		return json_object_set(c->touched_ext, ext, json_true()) == 0 ? 0 : oom(c);
	}
	if (!json_is_object(value))
		return fail(c, SCIM_INVALID_VALUE, "%s takes an object of its attributes", ext);
	json_object_foreach(value, key, v) {
		if (asprintf(&text, "%s:%s", ext, key) < 0)
			return oom(c);
		p = scim_path_parse(text, NULL, c->max_depth, c->err);
		free(text);
		if (p == NULL)
			return -1;
		rc = p->attr != NULL ? op_path(c, op, p, v, nesting + 1)
				     : fail(c, SCIM_INVALID_PATH, "invalid attribute %.80s", key);
		scim_path_free(p);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int op_path(struct ctx *c, enum op_kind op, const struct scim_path *p, json_t *value,
		   unsigned nesting)
{
	struct target t;

	if (p->attr == NULL)
		return op_urn(c, op, p->urn, value, nesting);
	if (resolve(c, p, &t) != 0)
		return -1;
	if (t.filter != NULL)
		return op_filtered(c, op, &t, value);
	if (t.has_sub)
		return op_sub(c, op, &t, value);
	return op_whole(c, op, &t, value);
}

/* ---- the request ---- */

static int apply_one(struct ctx *c, json_t *o)
{
	json_t *name = get_ci(o, "op"), *path = get_ci(o, "path"), *value = get_ci(o, "value");
	struct scim_path *p;
	enum op_kind op;
	size_t i;
	int rc;

	if (!json_is_object(o))
		return fail(c, SCIM_INVALID_SYNTAX, "an operation must be an object");
	if (!json_is_string(name))
		return fail(c, SCIM_INVALID_SYNTAX, "\"op\" is missing");
	for (i = 0; i < 3 && strcasecmp(json_string_value(name), op_names[i]) != 0; i++)
		;
	if (i == 3)
		return fail(c, SCIM_INVALID_SYNTAX, "unknown op \"%.40s\" (add, replace or remove)",
			    json_string_value(name));
	op = (enum op_kind)i;
	if (path != NULL && !json_is_null(path) && !json_is_string(path))
		return fail(c, SCIM_INVALID_SYNTAX, "\"path\" must be a string");
	if (op != OP_REMOVE && value == NULL)
		return fail(c, SCIM_INVALID_VALUE, "%s needs a \"value\"", op_names[op]);
	json_array_clear(c->primaries);
	if (!json_is_string(path)) {
		if (op == OP_REMOVE)
			return fail(c, SCIM_NO_TARGET, "remove needs a \"path\"");
		return op_pathless(c, op, value, 0);
	}
	p = scim_path_parse_n(json_string_value(path), json_string_length(path), c->urns,
			      c->max_depth, c->err);
	if (p == NULL)
		return -1;
	rc = op_path(c, op, p, value, 0);
	scim_path_free(p);
	return rc;
}

static bool lists_urn(const json_t *arr, const char *urn, size_t *at)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		if (json_is_string(v) && strcasecmp(json_string_value(v), urn) == 0) {
			if (at != NULL)
				*at = i;
			return true;
		}
	}
	return false;
}

/* An extension written to is listed in "schemas" exactly while it holds
 * attributes; an emptied extension object goes. */
static int sync_schemas(struct ctx *c)
{
	json_t *schemas = get_ci(c->res, "schemas"), *ext;
	const char *urn;
	size_t at;
	bool used;

	if (json_object_size(c->touched_ext) == 0)
		return 0;
	if (json_is_array(schemas)) { /* shared with the caller's resource: copy */
		if ((schemas = json_copy(schemas)) == NULL || set_ci(c->res, "schemas", schemas) != 0)
			return oom(c);
	}
	for (size_t i = 0; c->urns[i] != NULL; i++) {
		urn = c->urns[i];
		if (get_ci(c->touched_ext, urn) == NULL)
			continue;
		ext = get_ci(c->res, urn);
		used = json_is_object(ext) && json_object_size(ext) > 0;
		if (!used)
			del_ci(c->res, urn);
		if (used && !json_is_array(schemas)) {
			schemas = json_pack("[ss]", c->schema->core_urn, urn);
			if (set_ci(c->res, "schemas", schemas) != 0)
				return oom(c);
		} else if (used && !lists_urn(schemas, urn, NULL)) {
			if (json_array_append_new(schemas, json_string(urn)) != 0)
				return oom(c);
		} else if (!used && json_is_array(schemas) && lists_urn(schemas, urn, &at)) {
			json_array_remove(schemas, at);
		}
	}
	return 0;
}

int scim_patch_apply(const json_t *resource, const json_t *body,
		     const struct scim_schema_view *schema, const struct scim_fold *fold,
		     unsigned max_filter_depth, json_t **out, bool *changed,
		     struct scim_error *err)
{
	struct scim_error e = { 0 };
	struct ctx c = { .schema = schema, .fold = fold, .max_depth = max_filter_depth,
			 .err = &e };
	json_t *ops, *o;
	size_t i, n = 0;
	int rc = -1;

	*out = NULL;
	if (changed != NULL)
		*changed = false;
	if (!json_is_object(resource) || schema == NULL || schema->lookup == NULL ||
	    schema->core_urn == NULL) {
		scim_fail(&e, 500, NULL, "PATCH needs a resource object and its schema");
		goto out;
	}
	if (!json_is_object(body)) {
		fail(&c, SCIM_INVALID_SYNTAX, "the PATCH body must be a JSON object");
		goto out;
	}
	if (!lists_urn(get_ci(body, "schemas"), PATCH_OP_URN, NULL)) {
		fail(&c, SCIM_INVALID_SYNTAX, "schemas must hold " PATCH_OP_URN);
		goto out;
	}
	ops = get_ci(body, "Operations");
	if (!json_is_array(ops) || json_array_size(ops) == 0) {
		fail(&c, SCIM_INVALID_SYNTAX, "Operations must be a non-empty array");
		goto out;
	}
	while (schema->ext_urns != NULL && schema->ext_urns[n] != NULL)
		n++;
	c.urns = calloc(n + 2, sizeof(*c.urns));
	c.res = json_copy((json_t *)resource); /* shallow: see container() */
	c.touched_ext = json_object();
	c.primaries = json_array();
	if (c.urns == NULL || c.res == NULL || c.touched_ext == NULL || c.primaries == NULL) {
		oom(&c);
		goto out;
	}
	c.urns[0] = schema->core_urn;
	for (i = 0; i < n; i++)
		c.urns[i + 1] = schema->ext_urns[i];
	json_array_foreach(ops, i, o) {
		if (apply_one(&c, o) != 0) {
			char detail[sizeof(e.detail)];

			snprintf(detail, sizeof(detail), "%s", e.detail);
			scim_fail(&e, e.status, e.scim_type, "Operations[%zu]: %s", i, detail);
			goto out;
		}
	}
	if (sync_schemas(&c) != 0)
		goto out;
	if (changed != NULL)
		*changed = !json_equal(resource, c.res);
	*out = c.res;
	c.res = NULL;
	rc = 0;
out:
	if (rc != 0 && err != NULL)
		*err = e;
	json_decref(c.res);
	json_decref(c.touched_ext);
	json_decref(c.primaries);
	free(c.urns);
	return rc;
}

/* Response projection: attributes / excludedAttributes and the schemas'
 * "returned" characteristic (see scim_project in schema.h). Pure. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim/schema.h"
#include "scim/schema_impl.h"

#define CORE (-1)

/* One resolved name of an attributes/excludedAttributes list. */
struct sel_item {
	int ext;                          /* extension index, or CORE (core and common) */
	const struct scim_attr_def *attr; /* NULL: the whole schema */
	const struct scim_attr_def *sub;  /* NULL: the whole attribute */
};

struct sel {
	bool present; /* the parameter was given (even if nothing in it resolved) */
	struct sel_item *items;
	size_t n;
};

struct proj {
	const struct scim_rtype *rt;
	struct sel inc, exc;
};

/* Resolve one name (value filter already removed) and add it; names that
 * resolve to nothing are ignored. -1 on ENOMEM. */
static int add_name(const struct scim_rtype *rt, struct sel *sel, const char *name)
{
	struct sel_item it = { CORE, NULL, NULL };
	struct scim_attr_ref ref;
	struct sel_item *grown;
	const char *ext_urn = NULL;

	if (strcasecmp(name, rt->core->id) == 0) {
		it.ext = CORE;
	} else if ((it.ext = scim_rtype_ext_index(rt, name)) >= 0) {
		/* a bare extension URN: the whole extension */
	} else {
		if (scim_attr_ref_parse(name, strlen(name), &ref) != 0)
			return 0;
		it.attr = scim_rtype_attr(rt, ref.urn, ref.attr, NULL, &ext_urn);
		if (it.attr != NULL && ref.sub != NULL)
			it.sub = scim_attr_in(it.attr->subs, it.attr->n_subs, ref.sub);
		if (it.attr == NULL || (ref.sub != NULL && it.sub == NULL)) {
			scim_attr_ref_clear(&ref);
			return 0;
		}
		it.ext = ext_urn ? scim_rtype_ext_index(rt, ext_urn) : CORE;
		scim_attr_ref_clear(&ref);
	}
	grown = realloc(sel->items, (sel->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	sel->items = grown;
	sel->items[sel->n++] = it;
	return 0;
}

/* Split text at commas outside [...] and quotes, drop each value filter
 * ("emails[type eq \"work\"].value" -> "emails.value") and whitespace, and
 * resolve the names. -1 on ENOMEM. */
static int parse_list(const struct scim_rtype *rt, const char *text, struct sel *sel)
{
	size_t len = text ? strlen(text) : 0, o = 0;
	char *buf;
	int depth = 0;
	bool quoted = false;

	memset(sel, 0, sizeof(*sel));
	if (len == 0)
		return 0;
	sel->present = true;
	buf = malloc(len + 1);
	if (buf == NULL)
		return -1;
	for (size_t i = 0; i <= len; i++) {
		char c = text[i];

		if (i == len || (c == ',' && depth == 0 && !quoted)) {
			buf[o] = '\0';
			if (o > 0 && add_name(rt, sel, buf) != 0) {
				free(buf);
				return -1;
			}
			o = 0;
			quoted = false;
			depth = 0;
			continue;
		}
		if (depth > 0) {
			if (c == '"' && text[i - 1] != '\\')
				quoted = !quoted;
			else if (!quoted && c == '[')
				depth++;
			else if (!quoted && c == ']')
				depth--;
			continue;
		}
		if (c == '[')
			depth = 1;
		else if (!isspace((unsigned char)c))
			buf[o++] = c;
	}
	free(buf);
	return 0;
}

/* Does sel name attribute a (of extension ext) as a whole, directly or by
 * its schema? */
static bool names_attr(const struct sel *sel, int ext, const struct scim_attr_def *a)
{
	for (size_t i = 0; i < sel->n; i++)
		if (sel->items[i].ext == ext && sel->items[i].sub == NULL &&
		    (sel->items[i].attr == NULL || sel->items[i].attr == a))
			return true;
	return false;
}

/* Does sel name sub-attribute s of a (s NULL: any of them)? */
static bool names_sub(const struct sel *sel, int ext, const struct scim_attr_def *a,
		      const struct scim_attr_def *s)
{
	for (size_t i = 0; i < sel->n; i++)
		if (sel->items[i].ext == ext && sel->items[i].attr == a && sel->items[i].sub != NULL &&
		    (s == NULL || sel->items[i].sub == s))
			return true;
	return false;
}

static bool keep_sub(const struct proj *p, int ext, const struct scim_attr_def *a,
		     const struct scim_attr_def *s, bool whole)
{
	bool keep;

	if (s == NULL)
		return whole || !p->inc.present; /* not in the schema: "default" */
	if (s->returned == SCIM_RET_NEVER)
		return false;
	if (s->returned == SCIM_RET_ALWAYS)
		return true;
	if (p->inc.present && !whole)
		keep = names_sub(&p->inc, ext, a, s);
	else if (p->inc.present)
		keep = true;
	else
		keep = s->returned != SCIM_RET_REQUEST;
	return keep && !(p->exc.present && names_sub(&p->exc, ext, a, s));
}

/* One complex value's kept sub-attributes; NULL when none is left. */
static json_t *project_object(const struct proj *p, int ext, const struct scim_attr_def *a,
			      const json_t *v, bool whole)
{
	json_t *o = json_object(), *sv;
	const char *key;

	if (o == NULL)
		return NULL;
	json_object_foreach((json_t *)v, key, sv) {
		const struct scim_attr_def *s = scim_attr_in(a->subs, a->n_subs, key);

		if (keep_sub(p, ext, a, s, whole) && json_object_set(o, key, sv))
			goto fail;
	}
	if (json_object_size(o) > 0)
		return o;
fail:
	json_decref(o);
	return NULL;
}

/* Without attributes or excludedAttributes, a complex value of a whose
 * sub-attributes are all returned by default projects to itself, so it is
 * shared rather than rebuilt: the common GET. Empty objects, which
 * projection drops, do not qualify. */
static bool projects_to_itself(const struct proj *p, const struct scim_attr_def *a,
			       const json_t *v)
{
	json_t *item;
	size_t i;

	if (p->inc.present || p->exc.present)
		return false;
	for (size_t k = 0; k < a->n_subs; k++)
		if (a->subs[k].returned == SCIM_RET_NEVER || a->subs[k].returned == SCIM_RET_REQUEST)
			return false;
	if (json_is_object(v))
		return json_object_size(v) > 0;
	if (!json_is_array(v))
		return true;
	json_array_foreach((json_t *)v, i, item)
		if (json_is_object(item) && json_object_size(item) == 0)
			return false;
	return json_array_size(v) > 0;
}

/* The projected value of attribute a (NULL: unknown to the schema), or NULL
 * when it is left out. */
static json_t *project_attr(const struct proj *p, int ext, const struct scim_attr_def *a,
			    const json_t *v)
{
	bool whole = true;
	json_t *arr, *item;
	size_t i;

	if (a == NULL)
		return p->inc.present ? NULL : json_incref((json_t *)v);
	if (a->returned == SCIM_RET_NEVER)
		return NULL;
	if (a->returned != SCIM_RET_ALWAYS) {
		if (p->inc.present) {
			if (!names_attr(&p->inc, ext, a)) {
				if (!names_sub(&p->inc, ext, a, NULL))
					return NULL;
				whole = false;
			}
		} else if (a->returned == SCIM_RET_REQUEST) {
			return NULL;
		}
		if (p->exc.present && names_attr(&p->exc, ext, a))
			return NULL;
	}
	if (a->type != SCIM_AT_COMPLEX || projects_to_itself(p, a, v))
		return json_incref((json_t *)v);
	if (json_is_object(v))
		return project_object(p, ext, a, v, whole);
	if (!json_is_array(v))
		return whole ? json_incref((json_t *)v) : NULL;
	arr = json_array();
	if (arr == NULL)
		return NULL;
	json_array_foreach((json_t *)v, i, item) {
		json_t *x = json_is_object(item) ? project_object(p, ext, a, item, whole)
			    : whole		 ? json_incref(item)
						 : NULL;

		if (x != NULL)
			json_array_append_new(arr, x);
	}
	if (json_array_size(arr) > 0)
		return arr;
	json_decref(arr);
	return NULL;
}

static json_t *project_ext(const struct proj *p, int ext, const json_t *v)
{
	const struct scim_schema *s = p->rt->ext[ext];
	json_t *o = json_object(), *av;
	const char *key;

	if (o == NULL)
		return NULL;
	json_object_foreach((json_t *)v, key, av) {
		json_t *x = project_attr(p, ext, scim_attr_in(s->attrs, s->n_attrs, key), av);

		if (x != NULL && json_object_set_new(o, key, x) != 0)
			goto fail;
	}
	if (json_object_size(o) > 0)
		return o;
fail:
	json_decref(o);
	return NULL;
}

json_t *scim_project(const struct scim_rtype *rt, const json_t *resource, const char *attributes,
		     const char *excluded)
{
	struct proj p = { .rt = rt };
	json_t *out = NULL, *v;
	const char *key;

	if (!json_is_object(resource) || parse_list(rt, attributes, &p.inc) != 0 ||
	    parse_list(rt, excluded, &p.exc) != 0)
		goto done;
	out = json_object();
	if (out == NULL)
		goto done;
	json_object_foreach((json_t *)resource, key, v) {
		int ext = scim_rtype_ext_index(rt, key);
		const struct scim_attr_def *a = NULL;
		json_t *x;

		if (ext >= 0 && json_is_object(v)) {
			x = project_ext(&p, ext, v);
		} else {
			a = scim_attr_in(rt->core->attrs, rt->core->n_attrs, key);
			if (a == NULL && rt->common != NULL)
				a = scim_attr_in(rt->common->attrs, rt->common->n_attrs, key);
			x = project_attr(&p, CORE, a, v);
		}
		if (x != NULL && json_object_set_new(out, key, x) != 0) {
			json_decref(out);
			out = NULL;
			goto done;
		}
	}
done:
	free(p.inc.items);
	free(p.exc.items);
	return out;
}

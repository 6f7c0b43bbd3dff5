/* In-memory evaluation of SCIM filters (RFC 7644 section 3.4.2.2), used for
 * PATCH value filters and anywhere a resource is already in memory. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim/filter.h"
#include "scim/fold.h"

struct match_ctx {
	const struct scim_schema_view *schema;
	const struct scim_fold *fold; /* how caseExact=false values fold (NULL: ASCII) */
	struct scim_error *err;
	/* item mode: references are sub-attributes of (urn, attr) */
	const char *item_urn;
	const char *item_attr;
};

json_t *scim_json_get_ci(const json_t *obj, const char *name)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj) || name == NULL)
		return NULL;
	v = json_object_get(obj, name);
	if (v != NULL)
		return v;
	json_object_foreach((json_t *)obj, key, v)
		if (strcasecmp(key, name) == 0)
			return v;
	return NULL;
}

static json_t *get_ci(const json_t *obj, const char *name)
{
	return scim_json_get_ci(obj, name);
}

static bool lookup(const struct match_ctx *c, const char *urn, const char *attr, const char *sub,
		   struct scim_attr_info *out)
{
	memset(out, 0, sizeof(*out));
	if (c->schema == NULL || c->schema->lookup == NULL)
		return false;
	return c->schema->lookup(c->schema->arg, urn, attr, sub, out) == 0;
}

/* n decimal digits at s, nothing else (sscanf would take signs and spaces). */
static bool digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static int month_days(int y, int mo)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return mo == 2 && leap ? 29 : days[mo - 1];
}

bool scim_datetime_parse(const char *s, int64_t *sec, long *nsec)
{
	int y, mo, d, h, mi, se, oh, om;
	long frac = 0, scale = 100000000;
	int64_t days, off = 0;

	if (s == NULL || strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) || s[13] != ':' ||
	    !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 || mi > 59 || se > 60)
		return false;
	s += 19;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return false;
		for (; isdigit((unsigned char)*s); s++) {
			frac += (*s - '0') * scale;
			scale /= 10;
		}
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		if (!digits(s + 1, 2, &oh) || s[3] != ':' || !digits(s + 4, 2, &om) || oh > 23 ||
		    om > 59)
			return false;
		off = (oh * 3600 + om * 60) * (*s == '-' ? -1 : 1);
		s += 6;
	} else {
		return false;
	}
	if (*s != '\0')
		return false;
	/* days from civil (Howard Hinnant) */
	y -= mo <= 2;
	{
		int64_t era = (y >= 0 ? y : y - 399) / 400;
		int64_t yoe = y - era * 400;
		int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
		int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

		days = era * 146097 + doe - 719468;
	}
	*sec = days * 86400 + h * 3600 + mi * 60 + se - off;
	*nsec = frac;
	return true;
}

static int ordered(enum scim_op op, int cmp)
{
	switch (op) {
	case SCIM_OP_EQ: return cmp == 0;
	case SCIM_OP_NE: return cmp != 0;
	case SCIM_OP_GT: return cmp > 0;
	case SCIM_OP_LT: return cmp < 0;
	case SCIM_OP_GE: return cmp >= 0;
	case SCIM_OP_LE: return cmp <= 0;
	default: return 0;
	}
}

static int bad(const struct match_ctx *c, const struct scim_filter *f, const char *why)
{
	return scim_fail(c->err, 400, SCIM_INVALID_FILTER, "filter at offset %zu: %s", f->offset,
			 why);
}

/* Compare one attribute value v with the filter's value. */
static int compare_one(const struct match_ctx *c, const struct scim_filter *f, const json_t *v,
		       const struct scim_attr_info *info, bool known)
{
	const json_t *fv = f->value;
	enum scim_op op = f->op;
	bool substr = op == SCIM_OP_CO || op == SCIM_OP_SW || op == SCIM_OP_EW;

	if (json_is_boolean(v) || (known && info->type == SCIM_AT_BOOLEAN)) {
		int b = scim_filter_value_bool(fv);

		if (op != SCIM_OP_EQ && op != SCIM_OP_NE)
			return bad(c, f, "booleans compare with eq and ne only");
		if (!json_is_boolean(v) || b < 0)
			return 0;
		return (json_is_true(v) == (b == 1)) == (op == SCIM_OP_EQ);
	}
	if (known && info->type == SCIM_AT_BINARY && !substr && op != SCIM_OP_EQ &&
	    op != SCIM_OP_NE)
		return bad(c, f, "binary attributes cannot be ordered");
	if (json_is_number(v)) {
		double a = json_number_value(v), b;

		if (!json_is_number(fv))
			return 0;
		if (substr)
			return bad(c, f, "co, sw and ew apply to strings only");
		b = json_number_value(fv);
		if (json_is_integer(v) && json_is_integer(fv)) {
			json_int_t x = json_integer_value(v), y = json_integer_value(fv);

			return ordered(op, (x > y) - (x < y));
		}
		return ordered(op, (a > b) - (a < b));
	}
	if (json_is_string(v)) {
		/* RFC 7643 2.3.6: "A binary is case exact" */
		bool exact = known && (info->case_exact || info->type == SCIM_AT_BINARY);
		const char *s = json_string_value(v), *t;
		char num[64];
		size_t sl, tl;

		/* a number or boolean compares as its JSON text, as in SQL */
		if ((t = scim_filter_value_text(fv, num, sizeof(num))) == NULL)
			return 0;
		if (known && info->type == SCIM_AT_DATETIME && !substr) {
			int64_t s1, s2;
			long n1, n2;

			if (scim_datetime_parse(s, &s1, &n1) && scim_datetime_parse(t, &s2, &n2)) {
				int cmp = s1 != s2 ? (s1 > s2) - (s1 < s2) : (n1 > n2) - (n1 < n2);

				return ordered(op, cmp);
			}
		}
		sl = json_string_length(v);
		tl = json_is_string(fv) ? json_string_length(fv) : strlen(t);
		if (exact) {
			switch (op) {
			case SCIM_OP_CO: return memmem(s, sl, t, tl) != NULL;
			case SCIM_OP_SW: return tl <= sl && memcmp(s, t, tl) == 0;
			case SCIM_OP_EW: return tl <= sl && memcmp(s + sl - tl, t, tl) == 0;
			default: return ordered(op, strcmp(s, t));
			}
		}
		switch (op) {
		case SCIM_OP_CO: return scim_fold_contains(c->fold, s, sl, t, tl);
		case SCIM_OP_SW: return scim_fold_prefix(c->fold, s, sl, t, tl);
		case SCIM_OP_EW: return scim_fold_suffix(c->fold, s, sl, t, tl);
		default: return ordered(op, scim_fold_cmp(c->fold, s, sl, t, tl));
		}
	}
	return 0;
}

/* The value of attribute (urn, attr) in res: under its extension's key when
 * info (NULL: unknown to the schema) says it has one. An unknown attribute
 * qualified by a URN is looked up under that URN's key only; without a
 * schema view, an unqualified or core-qualified one at the top level. */
static json_t *attr_value(const struct match_ctx *c, const json_t *res, const char *urn,
			  const char *attr, const struct scim_attr_info *info)
{
	json_t *ext;

	if (info != NULL)
		return get_ci(info->ext_urn != NULL ? get_ci(res, info->ext_urn) : res, attr);
	if (urn != NULL && (ext = get_ci(res, urn)) != NULL)
		return get_ci(ext, attr);
	if (urn != NULL && c->schema != NULL && c->schema->lookup != NULL)
		return NULL;
	return get_ci(res, attr);
}

/* In item mode, what r (relative to the item) designates: a sub-attribute
 * of the outer attribute, or the element itself of a simple multi-valued
 * one, named "value" (its own characteristics: schemas is caseExact). */
static bool item_lookup(const struct match_ctx *c, const struct scim_attr_ref *r,
			struct scim_attr_info *info)
{
	if (r->urn != NULL || r->sub != NULL)
		return false;
	if (lookup(c, c->item_urn, c->item_attr, r->attr, info))
		return true;
	if (strcasecmp(r->attr, "value") != 0 || !lookup(c, c->item_urn, c->item_attr, NULL, info) ||
	    info->type == SCIM_AT_COMPLEX)
		return false;
	info->multi_valued = false;
	return true;
}

/* The values a reference designates, as an array (new reference). */
static json_t *collect(const struct match_ctx *c, const json_t *res, const struct scim_attr_ref *r,
		       struct scim_attr_info *info, bool *known)
{
	json_t *out = json_array(), *v, *item;
	const char *sub = r->sub;
	size_t i;

	if (out == NULL)
		return NULL;
	if (c->item_attr != NULL) {
		/* item mode: r->attr names a sub-attribute of the item, and
		 * sub-attributes have neither sub-attributes nor a schema URN */
		*known = item_lookup(c, r, info);
		if (r->urn != NULL || r->sub != NULL)
			v = NULL;
		else if (json_is_object(res))
			v = get_ci(res, r->attr);
		else
			v = strcasecmp(r->attr, "value") == 0 ? (json_t *)res : NULL;
		sub = NULL;
	} else {
		*known = lookup(c, r->urn, r->attr, r->sub, info);
		v = attr_value(c, res, r->urn, r->attr, *known ? info : NULL);
	}
	if (v == NULL)
		return out;
	if (json_is_array(v)) {
		json_array_foreach(v, i, item) {
			json_t *x = sub != NULL ? get_ci(item, sub)
				   : json_is_object(item) ? get_ci(item, "value") : item;

			if (x != NULL && !json_is_null(x))
				json_array_append(out, x);
		}
	} else if (sub != NULL) {
		json_t *x = get_ci(v, sub);

		if (x != NULL && !json_is_null(x))
			json_array_append(out, x);
	} else if (!json_is_null(v)) {
		json_array_append(out, json_is_object(v) && get_ci(v, "value") ? get_ci(v, "value") : v);
	}
	return out;
}

/* Whether f can apply to the attribute at all, whatever the resource holds:
 * -1 (err set) for ordering a boolean or binary, comparing a complex
 * attribute that has no "value" sub-attribute, a substring match on a
 * number, or a dateTime compared with something that is not one. */
static int applicable(const struct match_ctx *c, const struct scim_filter *f,
		      const struct scim_attr_info *info, bool known)
{
	bool substr = f->op == SCIM_OP_CO || f->op == SCIM_OP_SW || f->op == SCIM_OP_EW;
	bool ordering = f->op == SCIM_OP_GT || f->op == SCIM_OP_GE || f->op == SCIM_OP_LT ||
			f->op == SCIM_OP_LE;
	struct scim_attr_info vi;
	int64_t sec;
	long nsec;

	if (f->kind != SCIM_F_COMPARE)
		return 0;
	if (json_is_null(f->value))
		return f->op == SCIM_OP_EQ || f->op == SCIM_OP_NE
			       ? 0 : bad(c, f, "null compares with eq and ne only");
	if (!known)
		return 0;
	switch (info->type) {
	case SCIM_AT_BOOLEAN:
		if (ordering || substr)
			return bad(c, f, "booleans compare with eq and ne only");
		return scim_filter_value_bool(f->value) < 0 ? bad(c, f, "the attribute is a boolean")
							    : 0;
	case SCIM_AT_BINARY:
		return ordering ? bad(c, f, "binary attributes cannot be ordered") : 0;
	case SCIM_AT_INTEGER:
	case SCIM_AT_DECIMAL:
		if (substr)
			return bad(c, f, "co, sw and ew apply to strings only");
		return json_is_number(f->value) ? 0 : bad(c, f, "the attribute is a number");
	case SCIM_AT_DATETIME:
		/* an instant has no substrings: its text depends on how it is written */
		if (substr)
			return bad(c, f, "a dateTime compares with eq, ne, gt, ge, lt and le");
		if (json_is_string(f->value) &&
		    scim_datetime_parse(json_string_value(f->value), &sec, &nsec))
			return 0;
		return bad(c, f, "a dateTime compares with an xsd:dateTime string");
	case SCIM_AT_COMPLEX:
		if (c->item_attr != NULL || f->attr.sub != NULL)
			return 0;
		if (!lookup(c, f->attr.urn, f->attr.attr, "value", &vi))
			return bad(c, f, "name a sub-attribute of this complex attribute");
		/* compared as a whole, it compares its value: by that one's rules */
		return applicable(c, f, &vi, true);
	case SCIM_AT_STRING:
	case SCIM_AT_REFERENCE:
		return 0;
	}
	return 0;
}

static bool present(const json_t *v)
{
	if (json_is_null(v))
		return false;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_array(v))
		return json_array_size(v) > 0;
	if (json_is_object(v))
		return json_object_size(v) > 0;
	return true;
}

static int eval(const struct match_ctx *c, const struct scim_filter *f, const json_t *res);

/* For "pr" on a complex attribute named as a whole: its values themselves
 * (RFC 7644 3.4.2.2: "if it contains a non-empty node for complex
 * attributes, there is a match"), not their "value" sub-attributes. NULL
 * when f names something else (new reference otherwise). */
static json_t *present_nodes(const struct match_ctx *c, const struct scim_filter *f,
			     const json_t *res, const struct scim_attr_info *info, bool known)
{
	json_t *v;

	if (c->item_attr != NULL || f->attr.sub != NULL || !known ||
	    info->type != SCIM_AT_COMPLEX)
		return NULL;
	v = attr_value(c, res, f->attr.urn, f->attr.attr, info);
	if (v == NULL)
		return json_array();
	return json_is_array(v) ? json_incref(v) : json_pack("[O]", v);
}

static int eval_attr(const struct match_ctx *c, const struct scim_filter *f, const json_t *res)
{
	struct scim_attr_info info;
	bool known;
	json_t *vals = collect(c, res, &f->attr, &info, &known), *v;
	size_t i;
	int r = 0;

	if (vals == NULL)
		return scim_fail(c->err, 500, NULL, "out of memory");
	if (f->kind == SCIM_F_PRESENT) {
		json_t *all = present_nodes(c, f, res, &info, known);

		json_array_foreach(all != NULL ? all : vals, i, v)
			if (present(v))
				r = 1;
		json_decref(all);
	} else if (json_is_null(f->value)) {
		/* "eq null" asks for an unassigned attribute, "ne null" for an
		 * assigned one; a complex one without a "value" (addresses) is
		 * assigned when a node of it is present, as for "pr" */
		struct scim_attr_info vi;
		json_t *all = known && lookup(c, f->attr.urn, f->attr.attr, "value", &vi)
				      ? NULL
				      : present_nodes(c, f, res, &info, known);
		bool assigned = false;

		json_array_foreach(all != NULL ? all : vals, i, v)
			assigned |= all != NULL ? present(v) : true;
		json_decref(all);
		r = assigned == (f->op == SCIM_OP_NE);
	} else if (json_array_size(vals) == 0) {
		r = f->op == SCIM_OP_NE;
	} else {
		struct scim_attr_info vi;

		/* a complex attribute compared as a whole compares its value */
		if (known && info.type == SCIM_AT_COMPLEX && c->item_attr == NULL &&
		    f->attr.sub == NULL && lookup(c, f->attr.urn, f->attr.attr, "value", &vi))
			info = vi;
		json_array_foreach(vals, i, v) {
			r = compare_one(c, f, v, &info, known);
			if (r != 0)
				break;
		}
	}
	json_decref(vals);
	return r;
}

static int eval_value_path(const struct match_ctx *c, const struct scim_filter *f,
			   const json_t *res)
{
	struct scim_attr_info info;
	struct match_ctx inner = *c;
	const char *urn = f->attr.urn;
	json_t *v, *item;
	size_t i;
	int r;

	if (lookup(c, f->attr.urn, f->attr.attr, NULL, &info)) {
		v = attr_value(c, res, f->attr.urn, f->attr.attr, &info);
		urn = info.ext_urn;
	} else {
		v = attr_value(c, res, f->attr.urn, f->attr.attr, NULL);
	}
	inner.item_urn = urn;
	inner.item_attr = f->attr.attr;
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return eval(&inner, f->left, v);
	json_array_foreach(v, i, item) {
		r = eval(&inner, f->left, item);
		if (r != 0)
			return r;
	}
	return 0;
}

static int eval(const struct match_ctx *c, const struct scim_filter *f, const json_t *res)
{
	int a, b;

	switch (f->kind) {
	case SCIM_F_AND:
	case SCIM_F_OR:
		a = eval(c, f->left, res);
		if (a < 0)
			return a;
		b = eval(c, f->right, res);
		if (b < 0)
			return b;
		return f->kind == SCIM_F_AND ? a && b : a || b;
	case SCIM_F_NOT:
		a = eval(c, f->left, res);
		return a < 0 ? a : !a;
	case SCIM_F_VALUE_PATH:
		return eval_value_path(c, f, res);
	case SCIM_F_COMPARE:
	case SCIM_F_PRESENT:
		return eval_attr(c, f, res);
	}
	return 0;
}

/* Refuse, before looking at any resource, a filter that cannot apply (see
 * applicable()), so the answer never depends on which values are there. */
static int check(const struct match_ctx *c, const struct scim_filter *f)
{
	struct scim_attr_info info;
	struct match_ctx inner = *c;
	bool known;

	switch (f->kind) {
	case SCIM_F_AND:
	case SCIM_F_OR:
		return check(c, f->left) != 0 ? -1 : check(c, f->right);
	case SCIM_F_NOT:
		return check(c, f->left);
	case SCIM_F_VALUE_PATH:
		if (c->item_attr != NULL)
			return bad(c, f, "value paths cannot be nested");
		inner.item_urn = lookup(c, f->attr.urn, f->attr.attr, NULL, &info) ? info.ext_urn
										  : f->attr.urn;
		inner.item_attr = f->attr.attr;
		return check(&inner, f->left);
	case SCIM_F_COMPARE:
	case SCIM_F_PRESENT:
		break;
	}
	if (c->item_attr != NULL)
		known = item_lookup(c, &f->attr, &info);
	else
		known = lookup(c, f->attr.urn, f->attr.attr, f->attr.sub, &info);
	/* With a schema, a name it does not know is an error, as in the list
	 * endpoints' SQL: the client asked for something that is not there. */
	if (!known && c->schema != NULL && c->schema->lookup != NULL)
		return bad(c, f, "unknown attribute");
	if (known && !scim_attr_filterable(&info))
		return bad(c, f, "the attribute is rendered from the request, not searchable");
	return applicable(c, f, &info, known);
}

int scim_filter_match(const struct scim_filter *f, const json_t *resource,
		      const struct scim_schema_view *schema, const struct scim_fold *fold,
		      struct scim_error *err)
{
	struct match_ctx c = { .schema = schema, .fold = fold, .err = err };

	if (check(&c, f) != 0)
		return -1;
	return eval(&c, f, resource);
}

int scim_filter_match_item(const struct scim_filter *f, const json_t *item, const char *urn,
			   const char *attr, const struct scim_schema_view *schema,
			   const struct scim_fold *fold, struct scim_error *err)
{
	struct match_ctx c = { .schema = schema, .fold = fold, .err = err, .item_urn = urn,
			       .item_attr = attr != NULL ? attr : "" };

	if (check(&c, f) != 0)
		return -1;
	return eval(&c, f, item);
}

/* SCIM filter -> SQL. See query.h.
 *
 * Every leaf becomes coalesce(<predicate>, false), so SQL's unknown never
 * reaches NOT or OR: a missing attribute simply does not match ("ne" matches
 * it, as "not identical"). Names from the schema registry are embedded only
 * after a character check; client values are always $n parameters. */
#include "scim/query.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core.h"
#include "strbuf.h"

#define EXPR_MAX 768

struct gen {
	const struct scim_schema_view *schema;
	const struct scim_storage *st;
	struct strbuf sql;
	char **params;
	size_t n_params, cap_params;
	unsigned first;
	struct scim_error *err;
};

/* What a leaf compares: a column (native type) or a jsonb value. */
struct operand {
	char expr[EXPR_MAX]; /* column expression, or jsonb expression when json */
	bool json;
	bool is_uuid;
	struct scim_attr_info info;
};

/* Where the references of a value filter point: the elements of a
 * multi-valued attribute (json: element expression e.v) or a relation row. */
struct item {
	const char *urn, *attr;               /* the outer attribute */
	const char *elem;                     /* "e.v", or the object of a single complex */
	const struct scim_relation *relation; /* or NULL */
	bool single;                          /* a single complex attribute (elem is it) */
};

static int fail(struct gen *g, const char *fmt, ...) OB_PRINTF(2, 3);
static int fail(struct gen *g, const char *fmt, ...)
{
	char detail[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return scim_fail(g->err, 400, SCIM_INVALID_FILTER, "%s", detail);
}

/* snprintf into buf; an expression that does not fit is refused. */
static int put(struct gen *g, char *buf, size_t cap, const char *fmt, ...) OB_PRINTF(4, 5);
static int put(struct gen *g, char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap)
		return fail(g, "%s", "attribute path too long");
	return 0;
}

static int oom(struct gen *g)
{
	return scim_fail(g->err, 500, NULL, "out of memory");
}

/* Registry names are [A-Za-z0-9_$:.-]; anything else never reaches SQL. */
static bool safe_name(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_$:.-", *s) != NULL))
			return false;
	return true;
}

/* Append a parameter; returns its number, 0 on ENOMEM. */
static unsigned param(struct gen *g, const char *value)
{
	if (g->n_params == g->cap_params) {
		size_t cap = g->cap_params ? g->cap_params * 2 : 8;
		char **p = realloc(g->params, cap * sizeof(*p));
		if (p == NULL)
			return 0;
		g->params = p;
		g->cap_params = cap;
	}
	if ((g->params[g->n_params] = strdup(value)) == NULL)
		return 0;
	g->n_params++;
	return g->first + (unsigned)g->n_params - 1;
}

static bool lookup(const struct gen *g, const char *urn, const char *attr, const char *sub,
		   struct scim_attr_info *out)
{
	memset(out, 0, sizeof(*out));
	return g->schema->lookup(g->schema->arg, urn, attr, sub, out) == 0;
}

static const struct scim_column *find_column(const struct scim_column *cols, size_t n,
					     const char *attr, const char *sub)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(cols[i].attr, attr) != 0)
			continue;
		if ((sub == NULL) != (cols[i].sub == NULL))
			continue;
		if (sub == NULL || strcasecmp(cols[i].sub, sub) == 0)
			return &cols[i];
	}
	return NULL;
}

static const struct scim_relation *find_relation(const struct scim_storage *st, const char *attr)
{
	for (size_t i = 0; i < st->n_relations; i++)
		if (strcasecmp(st->relations[i].attr, attr) == 0)
			return &st->relations[i];
	return NULL;
}

/* The text of a JSON string/number/boolean filter value (as the evaluator
 * sees it: scim_filter_value_text). */
static int value_text(struct gen *g, const json_t *v, char *buf, size_t cap, const char **out)
{
	if ((*out = scim_filter_value_text(v, buf, cap)) == NULL)
		return fail(g, "%s", "unsupported comparison value");
	return 0;
}

static const char *sql_op(enum scim_op op)
{
	switch (op) {
	case SCIM_OP_EQ: return "=";
	case SCIM_OP_NE: return "<>";
	case SCIM_OP_GT: return ">";
	case SCIM_OP_GE: return ">=";
	case SCIM_OP_LT: return "<";
	case SCIM_OP_LE: return "<=";
	default: return NULL;
	}
}

/* No upper-case letter in s. */
static bool lower_hex(const char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			return false;
	return true;
}

/* "lhs op rhs" into g->sql. A positive comparison may be NULL for a missing
 * value (no match, and the plain form keeps expression indexes usable); "ne"
 * must match a missing value, hence IS NOT FALSE. NOT is IS NOT TRUE (see
 * node), so NULL never flips into a match. */
static void emit_cmp(struct gen *g, const char *lhs, enum scim_op op, const char *rhs)
{
	if (op == SCIM_OP_NE)
		strbuf_fmt(&g->sql, "((%s) <> %s) IS NOT FALSE", lhs, rhs);
	else
		strbuf_fmt(&g->sql, "(%s) %s %s", lhs, sql_op(op), rhs);
}

/* "col op $n" for a timestamptz column shown in whole seconds: its value is
 * date_trunc('second', col), compared as ranges on col itself so an index on
 * it stays usable. t is $n truncated, c the smallest whole second >= $n. */
static int seconds_cmp(struct gen *g, const char *col, enum scim_op op, unsigned n)
{
	char t[96], c[128];

	snprintf(t, sizeof(t), "date_trunc('second', $%u::timestamptz)", n);
	snprintf(c, sizeof(c),
		 "date_trunc('second', $%u::timestamptz + interval '999999 microseconds')", n);
	switch (op) {
	case SCIM_OP_GT: /* trunc(col) > v: col from the next whole second on */
		strbuf_fmt(&g->sql, "(%s >= %s + interval '1 second')", col, t);
		return 0;
	case SCIM_OP_LE:
		strbuf_fmt(&g->sql, "(%s < %s + interval '1 second')", col, t);
		return 0;
	case SCIM_OP_GE:
		strbuf_fmt(&g->sql, "(%s >= %s)", col, c);
		return 0;
	case SCIM_OP_LT:
		strbuf_fmt(&g->sql, "(%s < %s)", col, c);
		return 0;
	case SCIM_OP_EQ:
	case SCIM_OP_NE: /* only a whole second can equal a whole second */
		strbuf_fmt(&g->sql, "((%s >= $%u::timestamptz AND %s < %s + interval '1 second'"
			   " AND $%u::timestamptz = %s) IS %s)", col, n, col, t, n, t,
			   op == SCIM_OP_EQ ? "TRUE" : "NOT TRUE");
		return 0;
	default:
		return fail(g, "'%s' only supports eq, ne, gt, ge, lt, le and pr", col);
	}
}

/* The leaf "o op v" into g->sql. */
static int compare(struct gen *g, const struct operand *o, enum scim_op op, const json_t *v)
{
	char num[64], lhs[EXPR_MAX + 128], rhs[48];
	const char *text = NULL;
	unsigned n;
	enum scim_atype type = o->info.type;

	if (json_is_null(v)) {
		if (op != SCIM_OP_EQ && op != SCIM_OP_NE)
			return fail(g, "'%s' cannot compare with null", scim_op_name(op));
		/* "eq null" is "not present" (RFC 7644 3.4.2.2: null = unassigned). */
		strbuf_fmt(&g->sql, "(%s) IS %sNULL", o->expr, op == SCIM_OP_EQ ? "" : "NOT ");
		return 0;
	}
	if (value_text(g, v, num, sizeof(num), &text) != 0)
		return -1;
	if (type == SCIM_AT_COMPLEX)
		return fail(g, "'%s' is complex: compare one of its sub-attributes", o->info.name);
	if (type == SCIM_AT_BOOLEAN && op != SCIM_OP_EQ && op != SCIM_OP_NE)
		return fail(g, "'%s' only supports eq, ne and pr", o->info.name);
	if (type == SCIM_AT_BINARY && sql_op(op) != NULL && op != SCIM_OP_EQ && op != SCIM_OP_NE)
		return fail(g, "'%s' is binary: it cannot be ordered", o->info.name);
	if (type == SCIM_AT_BOOLEAN) {
		/* Entra writes booleans as strings ("False"). */
		if (strcasecmp(text, "true") == 0)
			text = "true";
		else if (strcasecmp(text, "false") == 0)
			text = "false";
		else
			return fail(g, "'%s' is a boolean", o->info.name);
	}
	if ((type == SCIM_AT_INTEGER || type == SCIM_AT_DECIMAL) && !json_is_number(v))
		return fail(g, "'%s' is a number", o->info.name);
	if (type == SCIM_AT_DATETIME) {
		int64_t sec;
		long nsec;

		if (!json_is_string(v) || !scim_datetime_parse(text, &sec, &nsec))
			return fail(g, "'%s' is a dateTime: compare with an RFC 3339 instant",
				    o->info.name);
	}
	if ((type == SCIM_AT_INTEGER || type == SCIM_AT_DECIMAL || type == SCIM_AT_DATETIME) &&
	    sql_op(op) == NULL)
		return fail(g, "'%s' only supports eq, ne, gt, ge, lt, le and pr", o->info.name);
	if (o->is_uuid && (op == SCIM_OP_EQ || op == SCIM_OP_NE) &&
	    (!core_is_uuid(text) || (o->info.case_exact && !lower_hex(text)))) {
		/* A malformed id matches nothing rather than failing the cast, and
		 * a caseExact one (id) is rendered in lower case: "A0..." is not it. */
		strbuf_str(&g->sql, op == SCIM_OP_EQ ? "false" : "true");
		return 0;
	}
	if ((n = param(g, text)) == 0)
		return oom(g);

	switch (type) {
	case SCIM_AT_BOOLEAN:
		if (o->json)
			put(g, lhs, sizeof(lhs), "lower(%s #>> '{}')", o->expr);
		else
			put(g, lhs, sizeof(lhs), "(%s)::text", o->expr);
		put(g, rhs, sizeof(rhs), "$%u::text", n);
		emit_cmp(g, lhs, op, rhs);
		return 0;
	case SCIM_AT_INTEGER:
	case SCIM_AT_DECIMAL:
		if (o->json && put(g, lhs, sizeof(lhs),
				   "CASE WHEN jsonb_typeof(%s) = 'number' THEN (%s #>> '{}')::numeric END",
				   o->expr, o->expr) != 0)
			return -1;
		if (!o->json)
			put(g, lhs, sizeof(lhs), "%s", o->expr);
		put(g, rhs, sizeof(rhs), "$%u::numeric", n);
		emit_cmp(g, lhs, op, rhs);
		return 0;
	case SCIM_AT_DATETIME:
		if (!o->json) /* a column: rendered in whole seconds (query.h) */
			return seconds_cmp(g, o->expr, op, n);
		if (put(g, lhs, sizeof(lhs),
			"CASE WHEN (%s #>> '{}') ~ '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d'"
			" THEN (%s #>> '{}')::timestamptz END", o->expr, o->expr) != 0)
			return -1;
		put(g, rhs, sizeof(rhs), "$%u::timestamptz", n);
		emit_cmp(g, lhs, op, rhs);
		return 0;
	default:
		break;
	}
	if (o->is_uuid && (op == SCIM_OP_EQ || op == SCIM_OP_NE)) {
		/* As uuid, so "id eq" is a primary-key lookup. */
		put(g, rhs, sizeof(rhs), "$%u::uuid", n);
		emit_cmp(g, o->expr, op, rhs);
		return 0;
	}

	/* Strings, references, binary (RFC 7643 2.3.6: "A binary is case exact"). */
	const char *cast = o->is_uuid ? "::text" : "";
	if (o->info.case_exact || type == SCIM_AT_BINARY) {
		if (o->json)
			put(g, lhs, sizeof(lhs), "%s #>> '{}'", o->expr);
		else
			put(g, lhs, sizeof(lhs), "(%s)%s", o->expr, cast);
		put(g, rhs, sizeof(rhs), "$%u::text", n);
	} else {
		if (o->json)
			put(g, lhs, sizeof(lhs), "lower(%s #>> '{}')", o->expr);
		else
			put(g, lhs, sizeof(lhs), "lower((%s)%s)", o->expr, cast);
		put(g, rhs, sizeof(rhs), "lower($%u::text)", n);
	}
	switch (op) {
	case SCIM_OP_CO: /* strpos, not LIKE: no wildcards to escape */
		strbuf_fmt(&g->sql, "strpos(%s, %s) > 0", lhs, rhs);
		break;
	case SCIM_OP_SW:
		strbuf_fmt(&g->sql, "starts_with(%s, %s)", lhs, rhs);
		break;
	case SCIM_OP_EW:
		strbuf_fmt(&g->sql, "right(%s, char_length(%s)) = %s", lhs, rhs, rhs);
		break;
	case SCIM_OP_EQ:
	case SCIM_OP_NE:
		emit_cmp(g, lhs, op, rhs);
		break;
	default: {
		char collated[sizeof(lhs) + 16];

		put(g, collated, sizeof(collated), "%s COLLATE \"C\"", lhs);
		emit_cmp(g, collated, op, rhs);
		break;
	}
	}
	return 0;
}

static void present(struct gen *g, const struct operand *o)
{
	if (o->json)
		strbuf_fmt(&g->sql, "(jsonb_typeof(%s) <> 'null' AND %s NOT IN ('\"\"', '[]', '{}'))",
			   o->expr, o->expr);
	else /* "" is empty, not a value (RFC 7644 3.4.2.2 "pr": "a non-empty value") */
		strbuf_fmt(&g->sql, "((%s)::text <> '')", o->expr);
}

/* Leaf (compare or present) on operand o. */
static int leaf(struct gen *g, const struct scim_filter *f, const struct operand *o)
{
	if (f->kind == SCIM_F_PRESENT) {
		present(g, o);
		return 0;
	}
	return compare(g, o, f->op, f->value);
}

static int node(struct gen *g, const struct scim_filter *f, const struct item *it);

/* jsonb expression of the multi-valued attribute's elements. */
static int elements_from(struct gen *g, const char *json_attr, char *buf, size_t cap)
{
	int n = snprintf(buf, cap,
			 "jsonb_array_elements(CASE WHEN jsonb_typeof(%s) = 'array' THEN %s"
			 " ELSE '[]'::jsonb END) AS e(v)", json_attr, json_attr);
	if (n < 0 || (size_t)n >= cap)
		return fail(g, "%s", "attribute path too long");
	return 0;
}

/* The jsonb expression of a top-level attribute in the profile. */
static int profile_path(struct gen *g, const struct scim_attr_info *pi, char *buf, size_t cap)
{
	int n;

	if (!safe_name(pi->name) || (pi->ext_urn != NULL && !safe_name(pi->ext_urn)))
		return fail(g, "unsupported attribute name '%s'", pi->name);
	if (pi->ext_urn != NULL)
		n = snprintf(buf, cap, "(%s->'%s'->'%s')", g->st->profile, pi->ext_urn, pi->name);
	else
		n = snprintf(buf, cap, "(%s->'%s')", g->st->profile, pi->name);
	if (n < 0 || (size_t)n >= cap)
		return fail(g, "%s", "attribute path too long");
	return 0;
}

/* Resolve a reference inside a value filter: a sub-attribute of it->attr. */
static int item_operand(struct gen *g, const struct scim_attr_ref *ref, const struct item *it,
			struct operand *o)
{
	const char *name = ref->sub != NULL ? ref->sub : ref->attr;
	const struct scim_column *c;

	memset(o, 0, sizeof(*o));
	if (ref->sub != NULL || ref->urn != NULL)
		return fail(g, "'%s': a value filter names sub-attributes only", ref->attr);
	struct scim_attr_info outer;
	if (it->relation == NULL && lookup(g, it->urn, it->attr, NULL, &outer) &&
	    outer.type != SCIM_AT_COMPLEX) {
		/* A simple multi-valued attribute: its element is its "value". */
		if (strcasecmp(name, "value") != 0)
			return fail(g, "'%s' has no sub-attribute '%s'", outer.name, name);
		o->info = outer;
		o->info.multi_valued = false;
		o->json = true;
		return put(g, o->expr, sizeof(o->expr), "%s", it->elem);
	}
	if (!lookup(g, it->urn, it->attr, name, &o->info))
		return fail(g, "unknown sub-attribute '%s'", name);
	if (!scim_attr_filterable(&o->info))
		return fail(g, "'%s' is rendered from the request: it cannot be searched", name);
	if (it->relation != NULL) {
		c = find_column(it->relation->subs, it->relation->n_subs, o->info.name, NULL);
		if (c == NULL)
			return fail(g, "cannot filter on '%s'", o->info.name);
		o->is_uuid = c->is_uuid;
		return put(g, o->expr, sizeof(o->expr), "%s", c->expr);
	}
	if (it->single && (c = find_column(g->st->columns, g->st->n_columns, it->attr,
					   o->info.name)) != NULL) {
		/* meta[created gt ...]: a sub-attribute kept in a column */
		o->is_uuid = c->is_uuid;
		return put(g, o->expr, sizeof(o->expr), "%s", c->expr);
	}
	if (!safe_name(o->info.name))
		return fail(g, "unsupported attribute name '%s'", o->info.name);
	o->json = true;
	return put(g, o->expr, sizeof(o->expr), "(%s->'%s')", it->elem, o->info.name);
}

/* The SQL of pred (built by the caller into g->sql from here on): the text
 * written since mark is cut off and returned (malloc'd), NULL on ENOMEM. */
static char *cut(struct gen *g, size_t mark)
{
	char *text;

	if (g->sql.failed || g->sql.len < mark)
		return NULL;
	if ((text = strdup(g->sql.data != NULL ? g->sql.data + mark : "")) != NULL &&
	    g->sql.data != NULL) {
		g->sql.len = mark;
		g->sql.data[mark] = '\0';
	}
	return text;
}

/* "there is a value satisfying pred" over a relation's rows (its EXISTS
 * template) or the elements of a jsonb array (from). */
static int emit_exists(struct gen *g, const struct scim_relation *rel, const char *from,
		       const char *pred)
{
	if (rel == NULL) {
		strbuf_fmt(&g->sql, "EXISTS (SELECT 1 FROM %s WHERE ", from);
		strbuf_str(&g->sql, pred);
		strbuf_str(&g->sql, ")");
		return 0;
	}
	/* The template is a fixed string of the storage map. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	size_t need = strlen(rel->exists) + strlen(pred) + 1;
	char *text = malloc(need);
	if (text != NULL)
		snprintf(text, need, rel->exists, pred);
#pragma GCC diagnostic pop
	if (text == NULL)
		return oom(g);
	strbuf_str(&g->sql, text);
	free(text);
	return 0;
}

/* A value filter (or, inner NULL, presence) over the rows of a relation. */
static int relation_exists(struct gen *g, const struct scim_relation *rel,
			   const struct scim_filter *inner, const struct item *it)
{
	size_t mark = g->sql.len;
	char *pred;
	int rc;

	/* The predicate goes into the template, so it is built on its own. */
	if (inner != NULL ? node(g, inner, it) != 0 : (strbuf_str(&g->sql, "true"), 0))
		return -1;
	if ((pred = cut(g, mark)) == NULL)
		return oom(g);
	rc = emit_exists(g, rel, NULL, pred);
	free(pred);
	return rc;
}

/* A comparison (or pr) on a multi-valued attribute's values, o being one
 * value (RFC 7644 3.4.2.2: "the filter matches if any of the values of the
 * specified attribute match"). A value is there when it is not null; an
 * attribute without values is unassigned, so as for a single value "ne"
 * matches it and "eq null" asks for it (the evaluator's rule). */
static int multi_leaf(struct gen *g, const struct scim_filter *f, const struct operand *o,
		      const struct scim_relation *rel, const char *from)
{
	bool cmp = f->kind == SCIM_F_COMPARE;
	bool is_null = cmp && json_is_null(f->value);
	char assigned[EXPR_MAX + 64], *pred, *both;
	size_t mark = g->sql.len;
	int rc;

	if (put(g, assigned, sizeof(assigned),
		o->json ? "jsonb_typeof(%s) <> 'null'" : "(%s) IS NOT NULL", o->expr) != 0)
		return -1;
	if (is_null) {
		if (f->op != SCIM_OP_EQ && f->op != SCIM_OP_NE)
			return fail(g, "'%s' cannot compare with null", scim_op_name(f->op));
		if (f->op == SCIM_OP_EQ)
			strbuf_str(&g->sql, "NOT ");
		return emit_exists(g, rel, from, assigned);
	}
	if (leaf(g, f, o) != 0)
		return -1;
	if ((pred = cut(g, mark)) == NULL)
		return oom(g);
	if (!cmp || f->op != SCIM_OP_NE) {
		rc = emit_exists(g, rel, from, pred);
		free(pred);
		return rc;
	}
	size_t need = strlen(assigned) + strlen(pred) + sizeof(" AND ");
	if ((both = malloc(need)) == NULL) {
		free(pred);
		return oom(g);
	}
	snprintf(both, need, "%s AND %s", assigned, pred);
	free(pred);
	strbuf_str(&g->sql, "(NOT ");
	rc = emit_exists(g, rel, from, assigned);
	strbuf_str(&g->sql, " OR ");
	if (rc == 0)
		rc = emit_exists(g, rel, from, both);
	strbuf_str(&g->sql, ")");
	free(both);
	return rc;
}

/* A top-level leaf, or a value path attr[inner] (vp true). */
static int top_level(struct gen *g, const struct scim_filter *f, bool vp)
{
	const struct scim_attr_ref *ref = &f->attr;
	struct scim_attr_info pi;
	struct operand o = { 0 };
	const struct scim_column *col;
	const struct scim_relation *rel;
	const char *sub = ref->sub;

	if (!lookup(g, ref->urn, ref->attr, NULL, &pi))
		return fail(g, "unknown attribute '%s'", ref->attr);
	if (!scim_attr_filterable(&pi))
		return fail(g, "'%s' is rendered from the request: it cannot be searched", pi.name);
	/* A complex attribute without a value sub-attribute (addresses) is
	 * unassigned when no node of it is present: "eq null" is not "pr". */
	if (!vp && f->kind == SCIM_F_COMPARE && json_is_null(f->value) && sub == NULL &&
	    pi.type == SCIM_AT_COMPLEX && !lookup(g, ref->urn, ref->attr, "value", &o.info) &&
	    (f->op == SCIM_OP_EQ || f->op == SCIM_OP_NE)) {
		struct scim_filter pr = *f;

		pr.kind = SCIM_F_PRESENT;
		strbuf_str(&g->sql, "((");
		if (top_level(g, &pr, false) != 0)
			return -1;
		strbuf_str(&g->sql, f->op == SCIM_OP_EQ ? ") IS NOT TRUE)" : ") IS TRUE)");
		return 0;
	}
	/* A single complex attribute compared as a whole compares its value
	 * (manager eq "x"), as the evaluator does; one without a value
	 * sub-attribute cannot be compared (compare() says so). */
	if (!vp && f->kind == SCIM_F_COMPARE && sub == NULL && !pi.multi_valued &&
	    pi.type == SCIM_AT_COMPLEX && lookup(g, ref->urn, ref->attr, "value", &o.info))
		sub = "value";

	/* Columns. */
	if (!vp && (col = find_column(g->st->columns, g->st->n_columns, pi.name, sub)) != NULL) {
		if (sub != NULL && !lookup(g, ref->urn, ref->attr, sub, &o.info))
			return fail(g, "unknown sub-attribute '%s'", sub);
		if (sub == NULL)
			o.info = pi;
		if (!scim_attr_filterable(&o.info))
			return fail(g, "'%s' is rendered from the request: it cannot be searched",
				    o.info.name);
		o.is_uuid = col->is_uuid;
		if (put(g, o.expr, sizeof(o.expr), "%s", col->expr) != 0)
			return -1;
		return leaf(g, f, &o);
	}

	/* Relations: attr[inner], attr.sub op v, attr op v (its value). */
	if ((rel = find_relation(g->st, pi.name)) != NULL) {
		struct item it = { ref->urn, pi.name, NULL, rel, false };
		struct scim_attr_ref sub_ref = { NULL, (char *)(sub ? sub : "value"), NULL };

		if (vp)
			return relation_exists(g, rel, f->left, &it);
		if (f->kind == SCIM_F_PRESENT && sub == NULL)
			return relation_exists(g, rel, NULL, &it);
		if (item_operand(g, &sub_ref, &it, &o) != 0)
			return -1;
		return multi_leaf(g, f, &o, rel, NULL);
	}

	/* The profile. */
	char path[EXPR_MAX / 2], from[EXPR_MAX + 128];
	if (profile_path(g, &pi, path, sizeof(path)) != 0)
		return -1;
	if (vp || pi.multi_valued) {
		if (!pi.multi_valued) {
			/* name[givenName eq "x"]: the value filter on the object
			 * itself, which must be there (meta always is: a column) */
			struct item it = { ref->urn, pi.name, path, NULL, true };

			col = find_column(g->st->columns, g->st->n_columns, pi.name, NULL);
			if (col != NULL)
				strbuf_fmt(&g->sql, "((%s) IS NOT NULL AND ", col->expr);
			else
				strbuf_fmt(&g->sql, "(jsonb_typeof(%s) = 'object' AND ", path);
			if (node(g, f->left, &it) != 0)
				return -1;
			strbuf_str(&g->sql, ")");
			return 0;
		}
		if (!vp && f->kind == SCIM_F_PRESENT && sub == NULL) {
			strbuf_fmt(&g->sql, "(jsonb_typeof(%s) = 'array' AND"
				   " jsonb_array_length(%s) > 0)", path, path);
			return 0;
		}
		if (elements_from(g, path, from, sizeof(from)) != 0)
			return -1;
		struct item it = { ref->urn, pi.name, "e.v", NULL, false };
		if (vp) {
			strbuf_fmt(&g->sql, "EXISTS (SELECT 1 FROM %s WHERE ", from);
			if (node(g, f->left, &it) != 0)
				return -1;
			strbuf_str(&g->sql, ")");
			return 0;
		}
		struct scim_attr_ref sub_ref = { NULL, (char *)(sub ? sub : "value"), NULL };
		if (item_operand(g, &sub_ref, &it, &o) != 0)
			return -1;
		return multi_leaf(g, f, &o, NULL, from);
	}
	o.json = true;
	if (sub != NULL) {
		if (!lookup(g, ref->urn, ref->attr, sub, &o.info))
			return fail(g, "unknown sub-attribute '%s'", sub);
		if (!scim_attr_filterable(&o.info))
			return fail(g, "'%s' is rendered from the request: it cannot be searched",
				    o.info.name);
		if (!safe_name(o.info.name))
			return fail(g, "unsupported attribute name '%s'", o.info.name);
		if (put(g, o.expr, sizeof(o.expr), "(%s->'%s')", path, o.info.name) != 0)
			return -1;
	} else {
		o.info = pi;
		if (put(g, o.expr, sizeof(o.expr), "%s", path) != 0)
			return -1;
	}
	return leaf(g, f, &o);
}

static int node(struct gen *g, const struct scim_filter *f, const struct item *it)
{
	struct operand o;

	switch (f->kind) {
	case SCIM_F_AND:
	case SCIM_F_OR:
		strbuf_str(&g->sql, "(");
		if (node(g, f->left, it) != 0)
			return -1;
		strbuf_str(&g->sql, f->kind == SCIM_F_AND ? " AND " : " OR ");
		if (node(g, f->right, it) != 0)
			return -1;
		strbuf_str(&g->sql, ")");
		return 0;
	case SCIM_F_NOT:
		strbuf_str(&g->sql, "((");
		if (node(g, f->left, it) != 0)
			return -1;
		strbuf_str(&g->sql, ") IS NOT TRUE)");
		return 0;
	case SCIM_F_VALUE_PATH:
		if (it != NULL)
			return fail(g, "value filters do not nest ('%s')", f->attr.attr);
		return top_level(g, f, true);
	case SCIM_F_COMPARE:
	case SCIM_F_PRESENT:
		if (it == NULL)
			return top_level(g, f, false);
		if (item_operand(g, &f->attr, it, &o) != 0)
			return -1;
		return leaf(g, f, &o);
	}
	return fail(g, "%s", "malformed filter");
}

int scim_filter_sql(const struct scim_filter *f, const struct scim_schema_view *schema,
		    const struct scim_storage *st, unsigned first_param, struct scim_sql *out,
		    struct scim_error *err)
{
	struct gen g = { .schema = schema, .st = st, .first = first_param, .err = err };

	memset(out, 0, sizeof(*out));
	if (node(&g, f, NULL) != 0)
		goto fail;
	if ((out->where = strbuf_finish(&g.sql)) == NULL) {
		oom(&g);
		goto fail;
	}
	out->params = g.params;
	out->n_params = g.n_params;
	return 0;
fail:
	strbuf_free(&g.sql);
	for (size_t i = 0; i < g.n_params; i++)
		free(g.params[i]);
	free(g.params);
	return -1;
}

void scim_sql_clear(struct scim_sql *q)
{
	free(q->where);
	for (size_t i = 0; i < q->n_params; i++)
		free(q->params[i]);
	free(q->params);
	memset(q, 0, sizeof(*q));
}

int scim_sort_sql(const char *sort_by, const struct scim_schema_view *schema,
		  const struct scim_storage *st, char **out, struct scim_error *err)
{
	struct gen g = { .schema = schema, .st = st, .err = err };
	struct scim_attr_ref ref;
	struct scim_attr_info pi, si;
	const struct scim_column *col;
	char path[EXPR_MAX / 2], expr[EXPR_MAX * 2];
	int rc = -1;

	*out = NULL;
	if (scim_attr_ref_parse(sort_by, strlen(sort_by), &ref) != 0)
		return scim_fail(err, 400, SCIM_INVALID_VALUE, "sortBy is not an attribute path");
	if (!lookup(&g, ref.urn, ref.attr, NULL, &pi) ||
	    (ref.sub != NULL && !lookup(&g, ref.urn, ref.attr, ref.sub, &si))) {
		scim_fail(err, 400, SCIM_INVALID_VALUE, "cannot sort by unknown attribute");
		goto done;
	}
	if (ref.sub == NULL)
		si = pi;
	if ((col = find_column(st->columns, st->n_columns, pi.name, ref.sub ? si.name : NULL))) {
		bool fold = si.type == SCIM_AT_STRING && !si.case_exact;
		if (put(&g, expr, sizeof(expr), fold ? "lower((%s)::text)" : "%s", col->expr) != 0)
			goto done;
	} else if (find_relation(st, pi.name) != NULL || !safe_name(si.name) ||
		   profile_path(&g, &pi, path, sizeof(path)) != 0) {
		scim_fail(err, 400, SCIM_INVALID_VALUE, "cannot sort by '%s'", sort_by);
		goto done;
	} else {
		const char *sub = ref.sub ? si.name : "value";
		char value[EXPR_MAX];
		int rc2;

		if (pi.multi_valued) /* RFC 7644 3.4.2.3: the primary value, else the first */
			rc2 = put(&g, value, sizeof(value),
				  "(SELECT e.v->>'%s' FROM jsonb_array_elements(CASE WHEN"
				  " jsonb_typeof(%s) = 'array' THEN %s ELSE '[]'::jsonb END)"
				  " WITH ORDINALITY AS e(v, i) ORDER BY (e.v->>'primary') = 'true'"
				  " DESC NULLS LAST, e.i LIMIT 1)", sub, path, path);
		else if (ref.sub != NULL)
			rc2 = put(&g, value, sizeof(value), "(%s->>'%s')", path, si.name);
		else
			rc2 = put(&g, value, sizeof(value), "(%s #>> '{}')", path);
		if (rc2 != 0 || put(&g, expr, sizeof(expr), si.case_exact ? "%s" : "lower(%s)",
				    value) != 0)
			goto done;
	}
	if ((*out = strdup(expr)) == NULL) {
		scim_fail(err, 500, NULL, "out of memory");
		goto done;
	}
	rc = 0;
done:
	scim_attr_ref_clear(&ref);
	return rc;
}

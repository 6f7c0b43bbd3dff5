/* SCIM filter parser and printer (RFC 7644 section 3.4.2.2).
 *
 * Recursive descent where only parentheses, not(...) and value paths recurse
 * (bounded by max_depth); and/or chains are loops, and the number of nodes is
 * capped, so the work is linear in the input and the stack bounded. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim/filter.h"

struct parser {
	const char *s;
	size_t len;
	size_t pos;
	unsigned depth;
	unsigned max_depth;
	unsigned nodes;
	bool in_value_path;
	struct scim_error *err;
};

static const char *const op_names[] = { "eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le" };

const char *scim_op_name(enum scim_op op)
{
	return (unsigned)op < sizeof(op_names) / sizeof(op_names[0]) ? op_names[op] : "?";
}

static int perr(struct parser *p, const char *what)
{
	return scim_fail(p->err, 400, SCIM_INVALID_FILTER, "invalid filter at offset %zu: %s",
			 p->pos, what);
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '$';
}

/* Characters of an attrPath token: names, '.', and the URN's ':' and '.'. */
static bool path_char(char c)
{
	return name_char(c) || c == ':' || c == '.';
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\r' || p->s[p->pos] == '\n'))
		p->pos++;
}

/* Case-insensitive keyword at the cursor, not followed by a name character. */
static bool at_kw(const struct parser *p, const char *kw)
{
	size_t n = strlen(kw);

	if (p->len - p->pos < n || strncasecmp(p->s + p->pos, kw, n) != 0)
		return false;
	return p->pos + n == p->len || !name_char(p->s[p->pos + n]);
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static bool valid_name(const char *s, size_t n, bool allow_dollar_start)
{
	if (n == 0)
		return false;
	if (!isalpha((unsigned char)s[0]) && !(allow_dollar_start && s[0] == '$'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

void scim_attr_ref_clear(struct scim_attr_ref *ref)
{
	if (ref == NULL)
		return;
	free(ref->urn);
	free(ref->attr);
	free(ref->sub);
	ref->urn = ref->attr = ref->sub = NULL;
}

int scim_attr_ref_parse(const char *s, size_t len, struct scim_attr_ref *out)
{
	size_t colon = len, name_start = 0, dot;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < len; i++) {
		if (s[i] == ':')
			colon = i;
		else if (!path_char(s[i]))
			return -1;
	}
	if (colon != len) {
		/* attribute names hold no ':', so the URN ends at the last one */
		if (colon == 0 || !isalpha((unsigned char)s[0]))
			return -1;
		name_start = colon + 1;
	}
	for (dot = name_start; dot < len && s[dot] != '.'; dot++)
		;
	if (!valid_name(s + name_start, dot - name_start, false))
		return -1;
	if (dot < len && !valid_name(s + dot + 1, len - dot - 1, true))
		return -1;
	if (colon != len && (out->urn = dup_n(s, colon)) == NULL)
		goto fail;
	if ((out->attr = dup_n(s + name_start, dot - name_start)) == NULL)
		goto fail;
	if (dot < len && (out->sub = dup_n(s + dot + 1, len - dot - 1)) == NULL)
		goto fail;
	return 0;
fail:
	scim_attr_ref_clear(out);
	return -1;
}

void scim_filter_free(struct scim_filter *f)
{
	if (f == NULL)
		return;
	scim_filter_free(f->left);
	scim_filter_free(f->right);
	scim_attr_ref_clear(&f->attr);
	json_decref(f->value);
	free(f);
}

static struct scim_filter *node_new(struct parser *p, enum scim_filter_kind kind, size_t offset)
{
	struct scim_filter *f;

	if (++p->nodes > SCIM_FILTER_MAX_NODES) {
		perr(p, "filter has too many terms");
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		scim_fail(p->err, 500, NULL, "out of memory");
		return NULL;
	}
	f->kind = kind;
	f->offset = offset;
	return f;
}

static struct scim_filter *parse_or(struct parser *p);

/* compValue = false / null / true / number / string */
static json_t *parse_value(struct parser *p)
{
	const char *s = p->s;
	size_t start = p->pos, i = p->pos;
	json_t *v;
	json_error_t jerr;

	if (i >= p->len) {
		perr(p, "missing comparison value");
		return NULL;
	}
	if (s[i] == '"') {
		for (i++; i < p->len && s[i] != '"'; i++)
			if (s[i] == '\\' && ++i == p->len)
				break;
		if (i >= p->len) {
			perr(p, "unterminated string");
			return NULL;
		}
		i++;
		/* \u0000 is refused like a raw NUL: no consumer wants it */
		v = json_loadb(s + start, i - start, JSON_DECODE_ANY, &jerr);
		if (v == NULL) {
			perr(p, "invalid string");
			return NULL;
		}
		p->pos = i;
		return v;
	}
	if (at_kw(p, "true") || at_kw(p, "false") || at_kw(p, "null")) {
		v = tolower((unsigned char)s[i]) == 't' ? json_true()
		    : tolower((unsigned char)s[i]) == 'f' ? json_false() : json_null();
		p->pos += tolower((unsigned char)s[i]) == 'f' ? 5 : 4;
		return v;
	}
	if (s[i] == '-' || isdigit((unsigned char)s[i])) {
		bool is_real = false;
		char *buf, *end;

		if (s[i] == '-')
			i++;
		if (i < p->len && s[i] == '0')
			i++;
		else if (i < p->len && isdigit((unsigned char)s[i]))
			while (i < p->len && isdigit((unsigned char)s[i]))
				i++;
		else
			goto bad_number;
		if (i < p->len && s[i] == '.') {
			is_real = true;
			if (++i >= p->len || !isdigit((unsigned char)s[i]))
				goto bad_number;
			while (i < p->len && isdigit((unsigned char)s[i]))
				i++;
		}
		if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
			is_real = true;
			if (++i < p->len && (s[i] == '+' || s[i] == '-'))
				i++;
			if (i >= p->len || !isdigit((unsigned char)s[i]))
				goto bad_number;
			while (i < p->len && isdigit((unsigned char)s[i]))
				i++;
		}
		if (i < p->len && name_char(s[i]))
			goto bad_number;
		if ((buf = dup_n(s + start, i - start)) == NULL) {
			scim_fail(p->err, 500, NULL, "out of memory");
			return NULL;
		}
		errno = 0;
		if (!is_real) {
			long long n = strtoll(buf, &end, 10);

			v = errno == 0 ? json_integer(n) : json_real(strtod(buf, &end));
		} else {
			v = json_real(strtod(buf, &end));
		}
		free(buf);
		if (v == NULL) /* inf/nan from an out-of-range exponent */
			goto bad_number;
		p->pos = i;
		return v;
	}
	perr(p, "missing or invalid comparison value");
	return NULL;
bad_number:
	perr(p, "invalid number");
	return NULL;
}

static int parse_op(struct parser *p, enum scim_op *op, bool *present)
{
	*present = false;
	if (at_kw(p, "pr")) {
		*present = true;
		p->pos += 2;
		return 0;
	}
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++) {
		if (at_kw(p, op_names[i])) {
			*op = (enum scim_op)i;
			p->pos += 2;
			return 0;
		}
	}
	return perr(p, "expected an operator (eq ne co sw ew gt lt ge le pr)");
}

/* attrExp or valuePath */
static struct scim_filter *parse_attr_exp(struct parser *p)
{
	size_t start = p->pos, end;
	struct scim_filter *f = NULL;
	enum scim_op op = SCIM_OP_EQ;
	bool present;

	while (p->pos < p->len && path_char(p->s[p->pos]))
		p->pos++;
	end = p->pos;
	if (end == start) {
		perr(p, "expected an attribute path");
		return NULL;
	}
	if (p->pos < p->len && p->s[p->pos] == '[') {
		if (p->in_value_path) {
			perr(p, "value paths cannot be nested");
			return NULL;
		}
		if ((f = node_new(p, SCIM_F_VALUE_PATH, start)) == NULL)
			return NULL;
		if (scim_attr_ref_parse(p->s + start, end - start, &f->attr) != 0 ||
		    f->attr.sub != NULL) {
			p->pos = start;
			perr(p, "invalid attribute path before '['");
			goto fail;
		}
		if (++p->depth > p->max_depth) {
			perr(p, "filter nested too deeply");
			goto fail;
		}
		p->pos++;
		p->in_value_path = true;
		f->left = parse_or(p);
		p->in_value_path = false;
		p->depth--;
		if (f->left == NULL)
			goto fail;
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ']') {
			perr(p, "expected ']'");
			goto fail;
		}
		p->pos++;
		return f;
	}
	if ((f = node_new(p, SCIM_F_COMPARE, start)) == NULL)
		return NULL;
	if (scim_attr_ref_parse(p->s + start, end - start, &f->attr) != 0) {
		p->pos = start;
		perr(p, "invalid attribute path");
		goto fail;
	}
	skip_ws(p);
	if (parse_op(p, &op, &present) != 0)
		goto fail;
	if (present) {
		f->kind = SCIM_F_PRESENT;
		return f;
	}
	f->op = op;
	skip_ws(p);
	if ((f->value = parse_value(p)) == NULL)
		goto fail;
	return f;
fail:
	scim_filter_free(f);
	return NULL;
}

/* "(" filter ")" or "not" "(" filter ")" */
static struct scim_filter *parse_group(struct parser *p, bool negate, size_t start)
{
	struct scim_filter *inner, *f;

	if (++p->depth > p->max_depth) {
		perr(p, "filter nested too deeply");
		return NULL;
	}
	p->pos++; /* '(' */
	inner = parse_or(p);
	p->depth--;
	if (inner == NULL)
		return NULL;
	skip_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != ')') {
		perr(p, "expected ')'");
		scim_filter_free(inner);
		return NULL;
	}
	p->pos++;
	if (!negate)
		return inner;
	if ((f = node_new(p, SCIM_F_NOT, start)) == NULL) {
		scim_filter_free(inner);
		return NULL;
	}
	f->left = inner;
	return f;
}

static struct scim_filter *parse_unary(struct parser *p)
{
	size_t start;

	skip_ws(p);
	start = p->pos;
	if (p->pos >= p->len) {
		perr(p, "unexpected end of filter");
		return NULL;
	}
	if (p->s[p->pos] == '(')
		return parse_group(p, false, start);
	if (at_kw(p, "not")) {
		p->pos += 3;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == '(')
			return parse_group(p, true, start);
		p->pos = start; /* an attribute called "not" */
	}
	return parse_attr_exp(p);
}

static struct scim_filter *parse_chain(struct parser *p, bool is_or)
{
	struct scim_filter *left, *right, *f;
	const char *kw = is_or ? "or" : "and";
	size_t save;

	left = is_or ? parse_chain(p, false) : parse_unary(p);
	if (left == NULL)
		return NULL;
	for (;;) {
		save = p->pos;
		skip_ws(p);
		if (!at_kw(p, kw)) {
			p->pos = save;
			return left;
		}
		p->pos += strlen(kw);
		right = is_or ? parse_chain(p, false) : parse_unary(p);
		if (right == NULL)
			goto fail;
		if ((f = node_new(p, is_or ? SCIM_F_OR : SCIM_F_AND, left->offset)) == NULL) {
			scim_filter_free(right);
			goto fail;
		}
		f->left = left;
		f->right = right;
		left = f;
	}
fail:
	scim_filter_free(left);
	return NULL;
}

/* "and" binds tighter than "or": or-chain of and-chains. The and-level call
 * never recurses into another or-level without going through a group. */
static struct scim_filter *parse_or(struct parser *p)
{
	return parse_chain(p, true);
}

struct scim_filter *scim_filter_parse_at(const char *text, size_t start, size_t end,
					 unsigned max_depth, struct scim_error *err)
{
	struct parser p = { .s = text, .pos = start, .len = end,
			    .max_depth = max_depth ? max_depth : SCIM_FILTER_DEFAULT_DEPTH,
			    .err = err };
	struct scim_filter *f;

	if (text == NULL || start > end || memchr(text + start, '\0', end - start) != NULL) {
		scim_fail(err, 400, SCIM_INVALID_FILTER, "invalid filter: NUL byte");
		return NULL;
	}
	f = parse_or(&p);
	if (f == NULL)
		return NULL;
	skip_ws(&p);
	if (p.pos != p.len) {
		perr(&p, p.s[p.pos] == ')' || p.s[p.pos] == ']' ? "unbalanced parenthesis or bracket"
							     : "unexpected text after the filter");
		scim_filter_free(f);
		return NULL;
	}
	return f;
}

struct scim_filter *scim_filter_parse_n(const char *text, size_t len, unsigned max_depth,
					struct scim_error *err)
{
	return scim_filter_parse_at(text, 0, len, max_depth, err);
}

struct scim_filter *scim_filter_parse(const char *text, unsigned max_depth, struct scim_error *err)
{
	if (text == NULL) {
		scim_fail(err, 400, SCIM_INVALID_FILTER, "invalid filter: empty");
		return NULL;
	}
	return scim_filter_parse_n(text, strlen(text), max_depth, err);
}

/* ---- printer ---- */

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 64);
		char *ns;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((ns = realloc(b->s, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void print_ref(struct sbuf *b, const struct scim_attr_ref *r)
{
	if (r->urn != NULL) {
		sb_str(b, r->urn);
		sb_str(b, ":");
	}
	sb_str(b, r->attr);
	if (r->sub != NULL) {
		sb_str(b, ".");
		sb_str(b, r->sub);
	}
}

static void print_node(struct sbuf *b, const struct scim_filter *f);

/* An and/or operand gets parentheses only where the parser (and before or,
 * left to right) would otherwise group it differently: an or under an and,
 * and a right operand of its parent's kind. So the text never nests deeper
 * than the filter it came from, and re-parses under the same depth limit. */
static void print_operand(struct sbuf *b, const struct scim_filter *parent,
			  const struct scim_filter *f, bool right)
{
	bool paren = (parent->kind == SCIM_F_AND && f->kind == SCIM_F_OR) ||
		     (right && f->kind == parent->kind);

	if (paren)
		sb_str(b, "(");
	print_node(b, f);
	if (paren)
		sb_str(b, ")");
}

static void print_node(struct sbuf *b, const struct scim_filter *f)
{
	char *v;

	switch (f->kind) {
	case SCIM_F_AND:
	case SCIM_F_OR:
		print_operand(b, f, f->left, false);
		sb_str(b, f->kind == SCIM_F_AND ? " and " : " or ");
		print_operand(b, f, f->right, true);
		break;
	case SCIM_F_NOT:
		sb_str(b, "not(");
		print_node(b, f->left);
		sb_str(b, ")");
		break;
	case SCIM_F_PRESENT:
		print_ref(b, &f->attr);
		sb_str(b, " pr");
		break;
	case SCIM_F_COMPARE:
		print_ref(b, &f->attr);
		sb_str(b, " ");
		sb_str(b, scim_op_name(f->op));
		sb_str(b, " ");
		v = json_dumps(f->value, JSON_ENCODE_ANY | JSON_COMPACT);
		if (v == NULL) {
			b->oom = true;
			break;
		}
		sb_str(b, v);
		free(v);
		break;
	case SCIM_F_VALUE_PATH:
		print_ref(b, &f->attr);
		sb_str(b, "[");
		print_node(b, f->left);
		sb_str(b, "]");
		break;
	}
}

char *scim_filter_to_string(const struct scim_filter *f)
{
	struct sbuf b = { 0 };

	if (f == NULL)
		return NULL;
	print_node(&b, f);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

const char *scim_filter_value_text(const json_t *v, char *buf, size_t cap)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	if (json_is_integer(v)) {
		snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, cap, "%.17g", json_real_value(v));
		return buf;
	}
	return NULL;
}

int scim_filter_value_bool(const json_t *v)
{
	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_string(v) && strcasecmp(json_string_value(v), "true") == 0)
		return 1;
	if (json_is_string(v) && strcasecmp(json_string_value(v), "false") == 0)
		return 0;
	return -1;
}

bool scim_attr_filterable(const struct scim_attr_info *info)
{
	if (info->type != SCIM_AT_REFERENCE || info->name == NULL ||
	    info->mutability == SCIM_MUT_READ_WRITE || info->mutability == SCIM_MUT_WRITE_ONLY)
		return true;
	return strcasecmp(info->name, "$ref") != 0 && strcasecmp(info->name, "location") != 0;
}

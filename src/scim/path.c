/* SCIM PATCH path parser (RFC 7644 section 3.5.2). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim/path.h"

void scim_path_free(struct scim_path *p)
{
	if (p == NULL)
		return;
	free(p->urn);
	free(p->attr);
	free(p->sub);
	scim_filter_free(p->filter);
	free(p);
}

static struct scim_path *bad(struct scim_path *p, struct scim_error *err, size_t off,
			     const char *why)
{
	scim_path_free(p);
	scim_fail(err, 400, SCIM_INVALID_PATH, "invalid path at offset %zu: %s", off, why);
	return NULL;
}

static bool has_value_path(const struct scim_filter *f)
{
	if (f == NULL)
		return false;
	return f->kind == SCIM_F_VALUE_PATH || has_value_path(f->left) || has_value_path(f->right);
}

/* subAttr after a value filter: a name, "$ref" included. */
static bool valid_sub(const char *s, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '$'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '$')
			return false;
	return true;
}

/* Offset of the ']' closing the '[' at open, skipping quoted strings and
 * inner brackets (so a nested value filter gets its own error); len if none. */
static size_t closing_bracket(const char *s, size_t len, size_t open)
{
	bool in_str = false;
	size_t depth = 0;

	for (size_t i = open + 1; i < len; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = false;
		} else if (s[i] == '"') {
			in_str = true;
		} else if (s[i] == '[') {
			depth++;
		} else if (s[i] == ']' && depth-- == 0) {
			return i;
		}
	}
	return len;
}

struct scim_path *scim_path_parse_n(const char *text, size_t len, const char *const *known_urns,
				    unsigned max_depth, struct scim_error *err)
{
	struct scim_path *p = calloc(1, sizeof(*p));
	struct scim_attr_ref ref;
	size_t open, close;

	if (p == NULL) {
		scim_fail(err, 500, NULL, "out of memory");
		return NULL;
	}
	if (text == NULL || len == 0)
		return bad(p, err, 0, "empty path");
	if (memchr(text, '\0', len) != NULL)
		return bad(p, err, 0, "NUL byte");
	for (size_t i = 0; known_urns != NULL && known_urns[i] != NULL; i++) {
		if (strlen(known_urns[i]) == len && strncasecmp(text, known_urns[i], len) == 0) {
			if ((p->urn = strndup(text, len)) == NULL)
				goto oom;
			return p;
		}
	}
	for (open = 0; open < len && text[open] != '['; open++)
		;
	if (scim_attr_ref_parse(text, open, &ref) != 0)
		return bad(p, err, 0, "expected [URN:]attribute[.subAttribute]");
	p->urn = ref.urn;
	p->attr = ref.attr;
	p->sub = ref.sub;
	if (open == len)
		return p;
	if (p->sub != NULL)
		return bad(p, err, open, "a value filter follows the attribute, not a sub-attribute");
	close = closing_bracket(text, len, open);
	if (close == len)
		return bad(p, err, open, "unbalanced '['");
	p->filter = scim_filter_parse_at(text, open + 1, close, max_depth, err);
	if (p->filter == NULL) {
		scim_path_free(p);
		return NULL; /* err: invalidFilter from the parser, offsets in the path */
	}
	if (has_value_path(p->filter))
		return bad(p, err, open + 1, "value filters cannot be nested");
	if (close + 1 == len)
		return p;
	if (text[close + 1] != '.')
		return bad(p, err, close + 1, "expected '.subAttribute' after ']'");
	if (!valid_sub(text + close + 2, len - close - 2))
		return bad(p, err, close + 2, "invalid sub-attribute after ']'");
	if ((p->sub = strndup(text + close + 2, len - close - 2)) == NULL)
		goto oom;
	return p;
oom:
	scim_path_free(p);
	scim_fail(err, 500, NULL, "out of memory");
	return NULL;
}

struct scim_path *scim_path_parse(const char *text, const char *const *known_urns,
				  unsigned max_depth, struct scim_error *err)
{
	return scim_path_parse_n(text, text != NULL ? strlen(text) : 0, known_urns, max_depth, err);
}

char *scim_path_to_string(const struct scim_path *p)
{
	char *f = NULL, *out = NULL;
	int n;

	if (p == NULL)
		return NULL;
	if (p->filter != NULL && (f = scim_filter_to_string(p->filter)) == NULL)
		return NULL;
	n = asprintf(&out, "%s%s%s%s%s%s%s%s", p->urn ? p->urn : "",
		     p->urn && p->attr ? ":" : "", p->attr ? p->attr : "", f ? "[" : "", f ? f : "",
		     f ? "]" : "", p->sub ? "." : "", p->sub ? p->sub : "");
	free(f);
	return n < 0 ? NULL : out;
}

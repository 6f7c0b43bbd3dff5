#include "scim/group_input.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim/json_util.h"
#include "scim/path.h"

/* The attribute name without the Group schema URN prefix, if it has one. */
static const char *unqualified(const char *key)
{
	static const char prefix[] = SCIM_GROUP_SCHEMA ":";

	if (strncasecmp(key, prefix, sizeof(prefix) - 1) == 0)
		return key + sizeof(prefix) - 1;
	return key;
}

static void ids_clear(struct scim_ids *ids)
{
	free(ids->v);
	ids->v = NULL;
	ids->n = 0;
}

/* A members value: an array of {"value": "<id>", ...} (a lone object is
 * taken as a one-element array). */
static int ids_from_members(const json_t *value, struct scim_ids *ids, struct scim_error *err)
{
	const json_t *item;
	size_t i, n;

	ids_clear(ids);
	if (json_is_object(value))
		n = 1;
	else if (json_is_array(value))
		n = json_array_size(value);
	else
		return scim_fail(err, 400, SCIM_INVALID_VALUE,
				 "'members' must be an array of {\"value\": \"<User id>\"}");
	if (n == 0)
		return 0;
	if ((ids->v = calloc(n, sizeof(*ids->v))) == NULL)
		return scim_fail(err, 500, NULL, "out of memory");
	for (i = 0; i < n; i++) {
		const char *k, *type = NULL, *v = NULL;
		const json_t *a;

		item = json_is_object(value) ? value : json_array_get(value, i);
		if (!json_is_object(item))
			goto bad;
		json_object_foreach((json_t *)item, k, a) {
			if (strcasecmp(k, "value") == 0)
				v = json_string_value(a);
			else if (strcasecmp(k, "type") == 0 && !json_is_null(a))
				type = json_is_string(a) ? json_string_value(a) : "";
		}
		if (v == NULL)
			goto bad;
		if (type != NULL && strcasecmp(type, "User") != 0) {
			ids_clear(ids);
			return scim_fail(err, 400, SCIM_INVALID_VALUE,
					 "a Group's members are Users (member type '%s' is not supported)",
					 type);
		}
		ids->v[ids->n++] = v;
	}
	return 0;
bad:
	ids_clear(ids);
	return scim_fail(err, 400, SCIM_INVALID_VALUE,
			 "each member must be an object with a string \"value\" (a User id)");
}

static int check_name(const json_t *v, const char **out, struct scim_error *err)
{
	const char *s = json_string_value(v);

	if (s == NULL || s[0] == '\0')
		return scim_fail(err, 400, SCIM_INVALID_VALUE,
				 "'displayName' is required (a non-empty string)");
	*out = s;
	return 0;
}

static int check_external_id(const json_t *v, const char **out, struct scim_error *err)
{
	if (json_is_null(v)) {
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0)
		return scim_fail(err, 400, SCIM_INVALID_VALUE, "'externalId' must be a non-empty string");
	*out = json_string_value(v);
	return 0;
}

int scim_group_input_from(const json_t *resource, struct scim_group_input *in,
			  struct scim_error *err)
{
	const char *key;
	json_t *v;
	bool have_name = false;

	memset(in, 0, sizeof(*in));
	if (!json_is_object(resource))
		return scim_fail(err, 400, SCIM_INVALID_SYNTAX, "a Group must be a JSON object");
	json_object_foreach((json_t *)resource, key, v) {
		const char *a = unqualified(key);

		if (strcasecmp(a, "displayName") == 0) {
			if (check_name(v, &in->display_name, err) != 0)
				goto fail;
			have_name = true;
		} else if (strcasecmp(a, "externalId") == 0) {
			if (check_external_id(v, &in->external_id, err) != 0)
				goto fail;
		} else if (strcasecmp(a, "members") == 0) {
			in->has_members = true;
			if (!json_is_null(v) && ids_from_members(v, &in->members, err) != 0)
				goto fail;
		} else if (strcasecmp(a, "schemas") == 0) {
			if (!json_is_array(v)) {
				scim_fail(err, 400, SCIM_INVALID_SYNTAX, "'schemas' must be an array");
				goto fail;
			}
		} else if (strcasecmp(a, "id") != 0 && strcasecmp(a, "meta") != 0) {
			scim_fail(err, 400, SCIM_INVALID_SYNTAX, "unknown Group attribute '%s'", key);
			goto fail;
		}
	}
	if (!have_name) {
		scim_fail(err, 400, SCIM_INVALID_VALUE, "'displayName' is required (a non-empty string)");
		goto fail;
	}
	return 0;
fail:
	scim_group_input_clear(in);
	return -1;
}

void scim_group_input_clear(struct scim_group_input *in)
{
	ids_clear(&in->members);
}

/* ---- PATCH ---- */

enum op_name { OP_ADD, OP_REMOVE, OP_REPLACE };

static struct group_op *push(struct group_patch *p, enum group_op_kind kind, size_t cap)
{
	struct group_op *op;

	if (p->n == cap)
		return NULL; /* cap is the number of Operations: never reached */
	op = &p->ops[p->n++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	return op;
}

/* Is f `value eq "x"` or an or-tree of those? Then collect the strings. */
static bool ids_filter(const struct scim_filter *f)
{
	if (f->kind == SCIM_F_OR)
		return ids_filter(f->left) && ids_filter(f->right);
	return f->kind == SCIM_F_COMPARE && f->op == SCIM_OP_EQ && f->attr.urn == NULL &&
	       f->attr.sub == NULL && strcasecmp(f->attr.attr, "value") == 0 &&
	       json_is_string(f->value);
}

static size_t ids_filter_count(const struct scim_filter *f)
{
	return f->kind == SCIM_F_OR ? ids_filter_count(f->left) + ids_filter_count(f->right) : 1;
}

static void ids_filter_collect(const struct scim_filter *f, struct scim_ids *ids)
{
	if (f->kind == SCIM_F_OR) {
		ids_filter_collect(f->left, ids);
		ids_filter_collect(f->right, ids);
	} else {
		ids->v[ids->n++] = json_string_value(f->value);
	}
}

/* An op with a path. */
static int parse_path_op(struct group_patch *p, size_t cap, enum op_name name, const char *path,
			 const json_t *value, bool has_value, unsigned depth,
			 struct scim_error *err)
{
	static const char *const urns[] = { SCIM_GROUP_SCHEMA, NULL };
	struct scim_path *sp = scim_path_parse(path, urns, depth, err);
	struct group_op *op;
	int rc = -1;

	if (sp == NULL)
		return -1;
	if ((sp->urn != NULL && strcasecmp(sp->urn, SCIM_GROUP_SCHEMA) != 0) || sp->attr == NULL) {
		scim_fail(err, 400, SCIM_INVALID_PATH, "'%s' is not an attribute of a Group", path);
		goto done;
	}
	if (strcasecmp(sp->attr, "members") == 0) {
		if (sp->filter == NULL && sp->sub != NULL) {
			scim_fail(err, 400, SCIM_INVALID_PATH,
				  "members sub-attributes are read-only: add or remove whole members");
			goto done;
		}
		if (sp->filter != NULL) {
			if (name != OP_REMOVE) {
				scim_fail(err, 400, SCIM_INVALID_PATH,
					  "a value filter on members can only be used to remove members");
				goto done;
			}
			/* members[value eq "x"] and members[value eq "x" or ...]: the ids;
			 * anything else is evaluated member by member. A sub-attribute
			 * after the filter names part of the matched members, which
			 * cannot be removed alone. */
			if (sp->sub != NULL) {
				scim_fail(err, 400, SCIM_INVALID_PATH,
					  "members sub-attributes are read-only: remove whole members");
				goto done;
			}
			if (ids_filter(sp->filter)) {
				op = push(p, GROUP_OP_REMOVE_MEMBERS, cap);
				op->ids.v = calloc(ids_filter_count(sp->filter), sizeof(*op->ids.v));
				if (op->ids.v == NULL) {
					scim_fail(err, 500, NULL, "out of memory");
					goto done;
				}
				ids_filter_collect(sp->filter, &op->ids);
				/* The strings live in the filter: keep it with the op. */
				op->filter = sp->filter;
				sp->filter = NULL;
			} else {
				op = push(p, GROUP_OP_REMOVE_MATCHING, cap);
				op->filter = sp->filter;
				sp->filter = NULL;
			}
			rc = 0;
			goto done;
		}
		if (name == OP_REMOVE && (!has_value || json_is_null(value))) {
			push(p, GROUP_OP_REMOVE_ALL, cap);
			rc = 0;
			goto done;
		}
		op = push(p, name == OP_ADD	? GROUP_OP_ADD_MEMBERS
			     : name == OP_REPLACE ? GROUP_OP_REPLACE_MEMBERS
						  : GROUP_OP_REMOVE_MEMBERS,
			  cap);
		rc = ids_from_members(value, &op->ids, err);
		goto done;
	}
	if (sp->filter != NULL || sp->sub != NULL) {
		scim_fail(err, 400, SCIM_INVALID_PATH, "'%s' has no sub-attributes", sp->attr);
		goto done;
	}
	if (strcasecmp(sp->attr, "displayName") == 0) {
		if (name == OP_REMOVE) {
			scim_fail(err, 400, SCIM_INVALID_VALUE,
				  "'displayName' is required and cannot be removed");
			goto done;
		}
		op = push(p, GROUP_OP_SET_NAME, cap);
		rc = check_name(value, &op->text, err);
	} else if (strcasecmp(sp->attr, "externalId") == 0) {
		op = push(p, GROUP_OP_SET_EXTERNAL_ID, cap);
		rc = name == OP_REMOVE ? 0 : check_external_id(value, &op->text, err);
	} else if (strcasecmp(sp->attr, "id") == 0 || strcasecmp(sp->attr, "meta") == 0) {
		scim_fail(err, 400, SCIM_MUTABILITY, "'%s' is read-only", sp->attr);
	} else {
		scim_fail(err, 400, SCIM_INVALID_PATH, "'%s' is not an attribute of a Group", sp->attr);
	}
done:
	scim_path_free(sp);
	return rc;
}

/* A path-less add or replace: the value is a partial Group. */
static int parse_value_op(struct group_patch *p, size_t cap, enum op_name name,
			  const json_t *value, const char *group_id, struct scim_error *err)
{
	const char *key;
	json_t *v;
	struct group_op *op;

	if (!json_is_object(value))
		return scim_fail(err, 400, SCIM_INVALID_SYNTAX,
				 "an operation without a path needs an object value");
	json_object_foreach((json_t *)value, key, v) {
		const char *a = unqualified(key);

		if (strcasecmp(a, "displayName") == 0) {
			op = push(p, GROUP_OP_SET_NAME, cap);
			if (op == NULL || check_name(v, &op->text, err) != 0)
				return -1;
		} else if (strcasecmp(a, "externalId") == 0) {
			op = push(p, GROUP_OP_SET_EXTERNAL_ID, cap);
			if (op == NULL || check_external_id(v, &op->text, err) != 0)
				return -1;
		} else if (strcasecmp(a, "members") == 0) {
			op = push(p, name == OP_ADD ? GROUP_OP_ADD_MEMBERS : GROUP_OP_REPLACE_MEMBERS,
				  cap);
			if (op == NULL || ids_from_members(v, &op->ids, err) != 0)
				return -1;
		} else if (strcasecmp(a, "id") == 0) {
			/* Okta sends the group's own id beside the new displayName. */
			if (!json_is_string(v) || strcasecmp(json_string_value(v), group_id) != 0)
				return scim_fail(err, 400, SCIM_MUTABILITY,
						 "'id' is read-only and names another group");
		} else if (strcasecmp(a, "schemas") != 0 && strcasecmp(a, "meta") != 0) {
			return scim_fail(err, 400, SCIM_INVALID_SYNTAX, "unknown Group attribute '%s'",
					 key);
		}
	}
	return 0;
}

static int op_name_of(const json_t *op, enum op_name *out)
{
	const char *s = json_string_value(op);

	if (s == NULL)
		return -1;
	if (strcasecmp(s, "add") == 0)
		*out = OP_ADD;
	else if (strcasecmp(s, "remove") == 0)
		*out = OP_REMOVE;
	else if (strcasecmp(s, "replace") == 0)
		*out = OP_REPLACE;
	else
		return -1;
	return 0;
}

int group_patch_parse(const json_t *body, const char *group_id, unsigned max_filter_depth,
		      struct group_patch *out, struct scim_error *err)
{
	const json_t *ops, *schemas, *o;
	size_t i, cap = 0;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(body))
		return scim_fail(err, 400, SCIM_INVALID_SYNTAX, "a PatchOp must be a JSON object");
	schemas = scim_get_ci(body, "schemas");
	if (schemas != NULL && !scim_lists_schema(schemas, SCIM_PATCH_OP_SCHEMA))
		return scim_fail(err, 400, SCIM_INVALID_SYNTAX,
				 "'schemas' must list " SCIM_PATCH_OP_SCHEMA);
	ops = scim_get_ci(body, "Operations");
	if (!json_is_array(ops) || json_array_size(ops) == 0)
		return scim_fail(err, 400, SCIM_INVALID_SYNTAX,
				 "'Operations' must be a non-empty array");
	/* Each operation yields at most one group op per attribute it names. */
	json_array_foreach(ops, i, o) {
		const json_t *v = scim_get_ci(o, "value");
		cap += json_is_object(v) && scim_get_ci(o, "path") == NULL ? json_object_size(v) + 1 : 1;
	}
	if ((out->ops = calloc(cap, sizeof(*out->ops))) == NULL)
		return scim_fail(err, 500, NULL, "out of memory");
	json_array_foreach(ops, i, o) {
		enum op_name name;
		const json_t *path, *value;

		if (!json_is_object(o) || op_name_of(scim_get_ci(o, "op"), &name) != 0) {
			scim_fail(err, 400, SCIM_INVALID_SYNTAX,
				  "operation %zu: 'op' must be \"add\", \"remove\" or \"replace\"", i);
			goto fail;
		}
		path = scim_get_ci(o, "path");
		value = scim_get_ci(o, "value");
		if (path != NULL && !json_is_null(path)) {
			if (!json_is_string(path)) {
				scim_fail(err, 400, SCIM_INVALID_PATH, "operation %zu: 'path' must be a string", i);
				goto fail;
			}
			if (name != OP_REMOVE && value == NULL) {
				scim_fail(err, 400, SCIM_INVALID_SYNTAX, "operation %zu: 'value' is required", i);
				goto fail;
			}
			if (parse_path_op(out, cap, name, json_string_value(path), value, value != NULL,
					  max_filter_depth, err) != 0)
				goto fail;
		} else if (name == OP_REMOVE) {
			scim_fail(err, 400, SCIM_NO_TARGET, "operation %zu: remove needs a 'path'", i);
			goto fail;
		} else if (parse_value_op(out, cap, name, value, group_id, err) != 0) {
			goto fail;
		}
	}
	return 0;
fail:
	group_patch_clear(out);
	return -1;
}

void group_patch_clear(struct group_patch *p)
{
	for (size_t i = 0; i < p->n; i++) {
		ids_clear(&p->ops[i].ids);
		scim_filter_free(p->ops[i].filter);
	}
	free(p->ops);
	p->ops = NULL;
	p->n = 0;
}

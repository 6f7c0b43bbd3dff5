/* Validation and canonicalisation of POST/PUT bodies (see scim_validate in
 * schema.h for the rules). Pure: JSON in, JSON out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scim/schema.h"
#include "scim/schema_impl.h"

/* Attribute paths in error details: "name.givenName", "urn:...:manager". */
#define PATH_MAX_LEN 200

static const char *type_name(enum scim_atype t)
{
	switch (t) {
	case SCIM_AT_STRING: return "a string";
	case SCIM_AT_BOOLEAN: return "a boolean";
	case SCIM_AT_DECIMAL: return "a number";
	case SCIM_AT_INTEGER: return "an integer";
	case SCIM_AT_DATETIME: return "a dateTime string (RFC 3339)";
	case SCIM_AT_REFERENCE: return "a reference (string)";
	case SCIM_AT_BINARY: return "a base64 string";
	case SCIM_AT_COMPLEX: return "an object";
	}
	return "?";
}

static bool base64_ok(const char *s)
{
	size_t n = strlen(s), pad = 0;

	if (n % 4 != 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '=') {
			if (i + 2 < n)
				return false;
			pad++;
		} else if (pad > 0 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
					(c >= '0' && c <= '9') || c == '+' || c == '/')) {
			return false;
		}
	}
	return true;
}

static int wrong_type(const struct scim_attr_def *d, const char *path, struct scim_error *err)
{
	return scim_fail(err, 400, SCIM_INVALID_VALUE, "%s '%s' must be %s",
			 d->multi_valued ? "each value of attribute" : "attribute", path,
			 type_name(d->type));
}

/* A simple (non-complex) value: a new reference in *out. */
static int simple_value(const struct scim_attr_def *d, const char *path, json_t *v, json_t **out,
			struct scim_error *err)
{
	const char *s = json_string_value(v);
	int64_t sec;
	long nsec;
	bool ok = false;

	switch (d->type) {
	case SCIM_AT_STRING:
	case SCIM_AT_REFERENCE: ok = s != NULL; break;
	case SCIM_AT_INTEGER: ok = json_is_integer(v); break;
	case SCIM_AT_DECIMAL: ok = json_is_number(v); break;
	case SCIM_AT_DATETIME: ok = s != NULL && scim_datetime_parse(s, &sec, &nsec); break;
	case SCIM_AT_BINARY: ok = s != NULL && base64_ok(s); break;
	case SCIM_AT_BOOLEAN:
		if (s != NULL && (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0)) {
			*out = json_boolean(strcasecmp(s, "true") == 0); /* Entra's "True" */
			return 0;
		}
		ok = json_is_boolean(v);
		break;
	case SCIM_AT_COMPLEX: break;
	}
	if (!ok)
		return wrong_type(d, path, err);
	*out = json_incref(v);
	return 0;
}

static int place(json_t *target, const struct scim_attr_def *d, const char *path, json_t *v,
		 struct scim_error *err);

/* Is v missing for a required attribute ("" counts as missing for strings)? */
static bool missing(const json_t *v)
{
	return v == NULL || json_is_null(v) ||
	       (json_is_string(v) && json_string_length(v) == 0);
}

/* One complex value: only known sub-attributes, in their spelling. */
static int complex_value(const struct scim_attr_def *d, const char *path, json_t *v,
			 json_t **out, struct scim_error *err)
{
	char sub_path[PATH_MAX_LEN + 64];
	const char *key;
	json_t *val, *o;

	if (!json_is_object(v))
		return wrong_type(d, path, err);
	o = json_object();
	if (o == NULL)
		return scim_fail(err, 500, NULL, "out of memory");
	json_object_foreach(v, key, val) {
		const struct scim_attr_def *s = scim_attr_in(d->subs, d->n_subs, key);

		snprintf(sub_path, sizeof(sub_path), "%s.%s", path, s ? s->name : key);
		if (s == NULL) {
			scim_fail(err, 400, SCIM_INVALID_SYNTAX, "unknown attribute '%s'", sub_path);
			goto fail;
		}
		if (place(o, s, sub_path, val, err) != 0)
			goto fail;
	}
	if (json_object_size(o) == 0) {
		json_decref(o);
		*out = NULL; /* {} is unassigned */
		return 0;
	}
	for (size_t i = 0; i < d->n_subs; i++) {
		const struct scim_attr_def *s = &d->subs[i];

		if (s->required && s->mutability != SCIM_MUT_READ_ONLY &&
		    missing(json_object_get(o, s->name))) {
			scim_fail(err, 400, SCIM_INVALID_VALUE, "attribute '%s.%s' is required", path,
				  s->name);
			goto fail;
		}
	}
	*out = o;
	return 0;
fail:
	json_decref(o);
	return -1;
}

static int single_value(const struct scim_attr_def *d, const char *path, json_t *v, json_t **out,
			struct scim_error *err)
{
	*out = NULL;
	if (json_is_null(v))
		return 0;
	if (d->type == SCIM_AT_COMPLEX)
		return complex_value(d, path, v, out, err);
	return simple_value(d, path, v, out, err);
}

/* The canonical value of attribute d, or *out NULL when it is to be left
 * out (unassigned or readOnly). */
static int attr_value(const struct scim_attr_def *d, const char *path, json_t *v, json_t **out,
		      struct scim_error *err)
{
	json_t *arr, *item, *x;
	size_t i, primaries = 0;

	*out = NULL;
	if (d->mutability == SCIM_MUT_READ_ONLY || json_is_null(v))
		return 0; /* RFC 7643 2.2: readOnly input is ignored */
	if (!d->multi_valued)
		return single_value(d, path, v, out, err);
	if (!json_is_array(v))
		return scim_fail(err, 400, SCIM_INVALID_VALUE, "attribute '%s' must be an array",
				 path);
	arr = json_array();
	if (arr == NULL)
		return scim_fail(err, 500, NULL, "out of memory");
	json_array_foreach(v, i, item) {
		if (single_value(d, path, item, &x, err) != 0)
			goto fail;
		if (x == NULL)
			continue;
		if (json_is_true(json_object_get(x, "primary")))
			primaries++;
		if (json_array_append_new(arr, x) != 0) {
			scim_fail(err, 500, NULL, "out of memory");
			goto fail;
		}
	}
	if (primaries > 1) {
		scim_fail(err, 400, SCIM_INVALID_VALUE,
			  "attribute '%s': at most one value may be primary", path);
		goto fail;
	}
	if (json_array_size(arr) == 0) {
		json_decref(arr); /* [] is unassigned */
		return 0;
	}
	*out = arr;
	return 0;
fail:
	json_decref(arr);
	return -1;
}

/* Validate v for d and store it in target under d's name. */
static int place(json_t *target, const struct scim_attr_def *d, const char *path, json_t *v,
		 struct scim_error *err)
{
	json_t *x;

	if (json_object_get(target, d->name) != NULL)
		return scim_fail(err, 400, SCIM_INVALID_SYNTAX, "attribute '%s' is given twice",
				 path);
	if (attr_value(d, path, v, &x, err) != 0)
		return -1;
	if (x != NULL && json_object_set_new(target, d->name, x) != 0)
		return scim_fail(err, 500, NULL, "out of memory");
	return 0;
}

/* Equal for an immutable comparison: strings by d's caseExact. */
static bool same_value(const struct scim_attr_def *d, const json_t *a, const json_t *b)
{
	if (!d->case_exact && !d->multi_valued && json_is_string(a) && json_is_string(b))
		return strcasecmp(json_string_value(a), json_string_value(b)) == 0;
	return json_equal((json_t *)a, (json_t *)b);
}

/* Within target (core or one extension), immutable values that current has
 * must come back unchanged; left out, they keep the current value. */
static int keep_one(const struct scim_attr_def *d, const char *path, json_t *target,
		    const json_t *cur, struct scim_error *err)
{
	json_t *nv;

	if (cur == NULL || json_is_null(cur))
		return 0;
	nv = json_object_get(target, d->name);
	if (nv == NULL)
		return json_object_set_new(target, d->name, json_deep_copy(cur)) == 0
			       ? 0
			       : scim_fail(err, 500, NULL, "out of memory");
	if (!same_value(d, cur, nv))
		return scim_fail(err, 400, SCIM_MUTABILITY,
				 "attribute '%s' is immutable and cannot be changed", path);
	return 0;
}

static int keep_immutable(const struct scim_attr_def *attrs, size_t n, const char *urn,
			  json_t *target, const json_t *cur_obj, struct scim_error *err)
{
	char path[PATH_MAX_LEN + 64];

	for (size_t i = 0; i < n; i++) {
		const struct scim_attr_def *d = &attrs[i];
		const json_t *cur = scim_json_get_ci(cur_obj, d->name);

		snprintf(path, sizeof(path), "%s%s%s", urn ? urn : "", urn ? ":" : "", d->name);
		if (d->mutability == SCIM_MUT_IMMUTABLE) {
			if (keep_one(d, path, target, cur, err) != 0)
				return -1;
			continue;
		}
		if (d->type != SCIM_AT_COMPLEX || d->multi_valued || d->mutability ==
		    SCIM_MUT_READ_ONLY || !json_is_object(cur))
			continue;
		for (size_t j = 0; j < d->n_subs; j++) {
			const struct scim_attr_def *s = &d->subs[j];
			json_t *obj;
			const json_t *cur_s = scim_json_get_ci(cur, s->name);
			char sub_path[sizeof(path) + 64];

			if (s->mutability != SCIM_MUT_IMMUTABLE || cur_s == NULL || json_is_null(cur_s))
				continue;
			obj = json_object_get(target, d->name);
			if (obj == NULL) {
				if (json_object_set_new(target, d->name, json_object()) != 0)
					return scim_fail(err, 500, NULL, "out of memory");
				obj = json_object_get(target, d->name);
			}
			snprintf(sub_path, sizeof(sub_path), "%s.%s", path, s->name);
			if (keep_one(s, sub_path, obj, cur_s, err) != 0)
				return -1;
		}
	}
	return 0;
}

static int check_required(const struct scim_attr_def *attrs, size_t n, const char *urn,
			  const json_t *obj, struct scim_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct scim_attr_def *d = &attrs[i];

		if (!d->required || d->mutability == SCIM_MUT_READ_ONLY ||
		    strcmp(d->name, "schemas") == 0)
			continue;
		if (missing(json_object_get(obj, d->name)))
			return scim_fail(err, 400, SCIM_INVALID_VALUE, "attribute '%s%s%s' is required",
					 urn ? urn : "", urn ? ":" : "", d->name);
	}
	return 0;
}

/* The "schemas" the client sent: only rt's URNs (400 invalidSyntax otherwise). */
static int check_schemas(const struct scim_rtype *rt, const json_t *v, struct scim_error *err)
{
	json_t *item;
	size_t i;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return scim_fail(err, 400, SCIM_INVALID_VALUE,
				 "attribute 'schemas' must be an array of strings");
	json_array_foreach(v, i, item) {
		const char *urn = json_string_value(item);

		if (urn == NULL)
			return scim_fail(err, 400, SCIM_INVALID_VALUE,
					 "attribute 'schemas' must be an array of strings");
		if (strcasecmp(urn, rt->core->id) != 0 && scim_rtype_ext_index(rt, urn) < 0)
			return scim_fail(err, 400, SCIM_INVALID_SYNTAX,
					 "schema '%.120s' is not one of the %s resource type's", urn,
					 rt->id);
	}
	return 0;
}

/* Where a top-level key lives: *target (the core object or an extension's)
 * and its definition; "schemas" gives *d NULL. -1 with err when unknown. */
static int resolve_key(const struct scim_rtype *rt, const char *key, json_t *out, json_t **exts,
		       const struct scim_attr_def **d, json_t **target, struct scim_error *err)
{
	const char *colon = strrchr(key, ':');
	const struct scim_schema *s = rt->core;

	*target = out;
	if (strcasecmp(key, rt->core->id) == 0)
		return scim_fail(err, 400, SCIM_INVALID_SYNTAX,
				 "core attributes are not nested under '%s'", rt->core->id);
	if (colon != NULL) {
		/* "<schema URN>:<attr>" */
		size_t ulen = (size_t)(colon - key);
		char urn[256];
		int i;

		if (ulen >= sizeof(urn))
			return scim_fail(err, 400, SCIM_INVALID_SYNTAX, "unknown schema in '%.120s'",
					 key);
		memcpy(urn, key, ulen);
		urn[ulen] = '\0';
		i = scim_rtype_ext_index(rt, urn);
		if (i >= 0) {
			s = rt->ext[i];
			*target = exts[i];
		} else if (strcasecmp(urn, rt->core->id) != 0) {
			return scim_fail(err, 400, SCIM_INVALID_SYNTAX,
					 "'%.150s' is neither an attribute nor a schema of the %s"
					 " resource type", key, rt->id);
		}
		key = colon + 1;
	}
	*d = scim_attr_in(s->attrs, s->n_attrs, key);
	if (*d == NULL && s == rt->core && rt->common != NULL)
		*d = scim_attr_in(rt->common->attrs, rt->common->n_attrs, key);
	if (*d == NULL)
		return scim_fail(err, 400, SCIM_INVALID_SYNTAX, "unknown attribute '%.120s'", key);
	if (strcmp((*d)->name, "schemas") == 0 && *target == out)
		*d = NULL;
	return 0;
}

/* The members of an extension object (under its URN key) into ext. */
static int ext_members(const struct scim_schema *s, json_t *v, json_t *ext,
		       struct scim_error *err)
{
	char path[PATH_MAX_LEN + 64];
	const char *key;
	json_t *val;

	if (json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return scim_fail(err, 400, SCIM_INVALID_VALUE, "'%s' must be an object", s->id);
	json_object_foreach(v, key, val) {
		const struct scim_attr_def *d = scim_attr_in(s->attrs, s->n_attrs, key);

		snprintf(path, sizeof(path), "%s:%s", s->id, d ? d->name : key);
		if (d == NULL)
			return scim_fail(err, 400, SCIM_INVALID_SYNTAX, "unknown attribute '%s'", path);
		if (place(ext, d, path, val, err) != 0)
			return -1;
	}
	return 0;
}

/* The result: schemas (core, then each extension with attributes), the core
 * attributes, then the extension objects. */
static json_t *assemble(const struct scim_rtype *rt, json_t *out, json_t **exts)
{
	json_t *res = json_object(), *schemas = json_array();

	if (res == NULL || schemas == NULL || json_array_append_new(schemas,
								    json_string(rt->core->id)))
		goto fail;
	for (size_t i = 0; i < rt->n_ext; i++)
		if (json_object_size(exts[i]) > 0 &&
		    json_array_append_new(schemas, json_string(rt->ext[i]->id)) != 0)
			goto fail;
	if (json_object_set_new(res, "schemas", schemas) != 0) {
		schemas = NULL;
		goto fail;
	}
	schemas = NULL;
	if (json_object_update(res, out) != 0)
		goto fail;
	for (size_t i = 0; i < rt->n_ext; i++)
		if (json_object_size(exts[i]) > 0 &&
		    json_object_set(res, rt->ext[i]->id, exts[i]) != 0)
			goto fail;
	return res;
fail:
	json_decref(schemas);
	json_decref(res);
	return NULL;
}

json_t *scim_validate(const struct scim_rtype *rt, const json_t *body, const json_t *current,
		      struct scim_error *err)
{
	json_t *out = json_object(), **exts = calloc(rt->n_ext + 1, sizeof(*exts)), *v;
	json_t *res = NULL, *schemas_in = NULL;
	const char *key;

	if (out == NULL || exts == NULL) {
		scim_fail(err, 500, NULL, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < rt->n_ext; i++)
		if ((exts[i] = json_object()) == NULL) {
			scim_fail(err, 500, NULL, "out of memory");
			goto done;
		}
	if (!json_is_object(body)) {
		scim_fail(err, 400, SCIM_INVALID_SYNTAX, "the resource must be a JSON object");
		goto done;
	}
	json_object_foreach((json_t *)body, key, v) {
		const struct scim_attr_def *d;
		json_t *target;
		int i = scim_rtype_ext_index(rt, key);

		if (i >= 0) {
			if (ext_members(rt->ext[i], v, exts[i], err) != 0)
				goto done;
			continue;
		}
		if (resolve_key(rt, key, out, exts, &d, &target, err) != 0)
			goto done;
		if (d == NULL) {
			schemas_in = v;
			continue;
		}
		if (place(target, d, key, v, err) != 0)
			goto done;
	}
	if (check_schemas(rt, schemas_in, err) != 0)
		goto done;
	if (current != NULL) {
		if (keep_immutable(rt->core->attrs, rt->core->n_attrs, NULL, out, current, err) != 0)
			goto done;
		if (rt->common != NULL &&
		    keep_immutable(rt->common->attrs, rt->common->n_attrs, NULL, out, current,
				   err) != 0)
			goto done;
		for (size_t i = 0; i < rt->n_ext; i++)
			if (keep_immutable(rt->ext[i]->attrs, rt->ext[i]->n_attrs, rt->ext[i]->id,
					   exts[i], scim_json_get_ci(current, rt->ext[i]->id), err) != 0)
				goto done;
	}
	if (check_required(rt->core->attrs, rt->core->n_attrs, NULL, out, err) != 0 ||
	    (rt->common != NULL &&
	     check_required(rt->common->attrs, rt->common->n_attrs, NULL, out, err) != 0))
		goto done;
	for (size_t i = 0; i < rt->n_ext; i++)
		if (json_object_size(exts[i]) > 0 &&
		    check_required(rt->ext[i]->attrs, rt->ext[i]->n_attrs, rt->ext[i]->id, exts[i],
				   err) != 0)
			goto done;
	res = assemble(rt, out, exts);
	if (res == NULL)
		scim_fail(err, 500, NULL, "out of memory");
done:
	for (size_t i = 0; exts != NULL && i < rt->n_ext; i++)
		json_decref(exts[i]);
	free(exts);
	json_decref(out);
	return res;
}

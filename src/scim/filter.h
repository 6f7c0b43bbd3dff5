/* SCIM filters (RFC 7644 section 3.4.2.2): parser to an AST, canonical
 * printer and an in-memory evaluator. Pure: no I/O, no SQL.
 *
 * Attribute references keep the names exactly as the client wrote them; the
 * consumer (SQL translation in scim/query.c, the evaluator below) resolves them
 * case-insensitively against the schema. */
#ifndef OB_SCIM_FILTER_H
#define OB_SCIM_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "log.h"
#include "scim/error.h"
#include "scim/fold.h"

/* Default for config [scim] max_filter_depth. */
#define SCIM_FILTER_DEFAULT_DEPTH 16

enum scim_filter_kind {
	SCIM_F_AND,        /* left and right */
	SCIM_F_OR,         /* left or right */
	SCIM_F_NOT,        /* not(left) */
	SCIM_F_COMPARE,    /* attr op value */
	SCIM_F_PRESENT,    /* attr pr */
	SCIM_F_VALUE_PATH, /* attr[left]: left's references are relative to attr */
};

enum scim_op { SCIM_OP_EQ, SCIM_OP_NE, SCIM_OP_CO, SCIM_OP_SW, SCIM_OP_EW,
	       SCIM_OP_GT, SCIM_OP_LT, SCIM_OP_GE, SCIM_OP_LE };

/* An attribute as written: "urn:...:User:name.givenName" is
 * {urn "urn:...:User", attr "name", sub "givenName"}. Inside a value path
 * (emails[type eq "work"]) the references name sub-attributes of the outer
 * attribute: {NULL, "type", NULL}. */
struct scim_attr_ref {
	char *urn;  /* schema URN, or NULL when unqualified */
	char *attr; /* attribute name, never NULL */
	char *sub;  /* sub-attribute name, or NULL */
};

struct scim_filter {
	enum scim_filter_kind kind;
	struct scim_filter *left;  /* AND, OR, NOT, VALUE_PATH (the inner filter) */
	struct scim_filter *right; /* AND, OR */
	struct scim_attr_ref attr; /* COMPARE, PRESENT, VALUE_PATH (sub is NULL) */
	enum scim_op op;           /* COMPARE */
	json_t *value;             /* COMPARE: string, number, true, false or null */
	size_t offset;             /* where the node starts in the filter text */
};

/* Parse a filter. max_depth bounds the nesting of and/or/not/()/[] (0 means
 * SCIM_FILTER_DEFAULT_DEPTH). Returns the AST (free with scim_filter_free) or
 * NULL with err set to 400 invalidFilter, the detail naming the offset.
 * Runs in linear time; recursion never goes deeper than max_depth. */
struct scim_filter *scim_filter_parse(const char *text, unsigned max_depth,
				      struct scim_error *err) OB_MUST_USE;
/* The same on a buffer that need not be NUL-terminated (a NUL byte inside is
 * an error). */
struct scim_filter *scim_filter_parse_n(const char *text, size_t len, unsigned max_depth,
					struct scim_error *err) OB_MUST_USE;
/* The same on text[start, end) (a filter inside a PATCH path): offsets, in
 * errors and in the nodes, count from text. */
struct scim_filter *scim_filter_parse_at(const char *text, size_t start, size_t end,
					 unsigned max_depth, struct scim_error *err) OB_MUST_USE;
void scim_filter_free(struct scim_filter *f);

/* Canonical text: lower-case operators and keywords, single spaces,
 * not(...), values as compact JSON, attribute names as written, and
 * parentheses only where precedence and left-to-right grouping need them.
 * Parsing the result gives the same tree, within the same depth limit.
 * Returns a malloc'd string, NULL on ENOMEM. */
char *scim_filter_to_string(const struct scim_filter *f) OB_MUST_USE;
/* "eq", "ne", ... */
const char *scim_op_name(enum scim_op op);

/* Most comparisons a filter may hold (and/or chains are not bounded by
 * max_depth, so this bounds the tree depth consumers recurse over). */
#define SCIM_FILTER_MAX_NODES 1000

/* Split an attribute path "[URN:]attr[.sub]" (len bytes) into out (fields
 * malloc'd; release with scim_attr_ref_clear). 0, or -1 if it is not a
 * well-formed attrPath (err untouched: the caller chooses the scimType). */
int scim_attr_ref_parse(const char *s, size_t len, struct scim_attr_ref *out) OB_MUST_USE;
void scim_attr_ref_clear(struct scim_attr_ref *ref);

/* Parse an xsd:dateTime (RFC 3339: "2011-05-13T04:42:34Z", fractions and
 * offsets allowed) into seconds since the epoch (UTC) and nanoseconds.
 * Returns false when s is not one. */
bool scim_datetime_parse(const char *s, int64_t *sec, long *nsec) OB_MUST_USE;

/* ---- Attribute metadata the evaluator and the PATCH engine need ----
 * A small view of the schema registry (scim/schema.h adapts to it), so these
 * pure modules do not depend on how schemas are loaded. */
enum scim_atype { SCIM_AT_STRING, SCIM_AT_BOOLEAN, SCIM_AT_DECIMAL, SCIM_AT_INTEGER,
		  SCIM_AT_DATETIME, SCIM_AT_REFERENCE, SCIM_AT_BINARY, SCIM_AT_COMPLEX };
enum scim_mut { SCIM_MUT_READ_WRITE, SCIM_MUT_READ_ONLY, SCIM_MUT_IMMUTABLE,
		SCIM_MUT_WRITE_ONLY };

struct scim_attr_info {
	const char *name;    /* canonical spelling of the (sub-)attribute asked for */
	const char *ext_urn; /* extension URN the attribute lives under in the
			      * resource (its key there), NULL for core/common ones */
	enum scim_atype type;
	enum scim_mut mutability;
	bool multi_valued;
	bool case_exact;
	bool required;
};

/* Resolve urn (NULL: unqualified) + attr (+ sub, NULL for the attribute
 * itself), all case-insensitive. Fills out and returns 0, or returns -1 for an
 * unknown (sub-)attribute or a URN that is not one of the resource type's
 * schemas. Must also describe the common attributes (id, externalId, meta,
 * schemas) of the resource type. */
typedef int (*scim_lookup_fn)(void *arg, const char *urn, const char *attr, const char *sub,
			      struct scim_attr_info *out);

struct scim_schema_view {
	scim_lookup_fn lookup;
	void *arg;
	const char *core_urn;          /* the resource type's core schema URN */
	const char *const *ext_urns;   /* its extension URNs, NULL-terminated (may be NULL) */
};

/* Member of obj whose key equals name case-insensitively (an exact match
 * first), or NULL. SCIM attribute names are case-insensitive. */
json_t *scim_json_get_ci(const json_t *obj, const char *name);

/* The text a comparison value has when it meets a string (or reference,
 * binary) attribute: a string as is, "true"/"false", a number as its JSON
 * text (an integer exactly, a real with 17 significant digits; buf, cap >=
 * 32, holds it). NULL for null. The SQL translation and the evaluator both
 * compare through it, so `employeeNumber eq 701` means the same in both. */
const char *scim_filter_value_text(const json_t *v, char *buf, size_t cap);
/* A boolean comparison value: true/false, or the strings "true"/"false" in
 * any case (Entra ID sends "False"). 1, 0, or -1 for anything else. */
int scim_filter_value_bool(const json_t *v);
/* Whether a filter may name the attribute. The references the server renders
 * from the request's base URL (the "$ref" and "location" references a client
 * cannot write: meta.location, groups.$ref, members.$ref; a manager's $ref
 * is the client's and kept) are stored nowhere, so the list
 * endpoints cannot search them; both the evaluator and the SQL translation
 * refuse them (400 invalidFilter) so the two agree. */
bool scim_attr_filterable(const struct scim_attr_info *info);

/* Evaluate f against a resource (json object in canonical form).
 * Returns 1 on match, 0 on no match, -1 with err (400 invalidFilter) when the
 * filter cannot apply (gt/lt/ge/le on a boolean or binary attribute, a
 * comparison on a complex attribute without a value sub-attribute, co/sw/ew
 * on a dateTime, an attribute the schema does not know or that is not
 * searchable). Every answer is the one the list endpoints' SQL gives for the
 * same resources (scim/query.h; tests/integration/test_scim_filter_diff).
 * Strings compare case-insensitively unless the attribute is caseExact (or
 * binary), folded by fold (NULL: ASCII), which must be the database's folding
 * (scim_call_fold) so the answer agrees with the same filter in SQL;
 * dateTime values compare as instants; numbers numerically; multi-valued
 * attributes match when any value matches, "ne" also when there is none.
 * schema may be NULL: every attribute is then a case-insensitive string or
 * whatever JSON type the resource holds, and an unknown one matches nothing. */
int scim_filter_match(const struct scim_filter *f, const json_t *resource,
		      const struct scim_schema_view *schema, const struct scim_fold *fold,
		      struct scim_error *err) OB_MUST_USE;

/* Evaluate a value-path filter against one element of the multi-valued
 * attribute (urn, attr): references in f name its sub-attributes. A simple
 * multi-valued attribute's element is matched as the sub-attribute "value".
 * Values fold by fold, as in scim_filter_match. */
int scim_filter_match_item(const struct scim_filter *f, const json_t *item, const char *urn,
			   const char *attr, const struct scim_schema_view *schema,
			   const struct scim_fold *fold, struct scim_error *err) OB_MUST_USE;

#endif

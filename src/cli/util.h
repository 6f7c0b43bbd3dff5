/* Helpers the orgbridgectl commands share: long options after the verb,
 * aligned text tables and JSON for output, and the exit status of a refusal.
 *
 * Exit statuses (every command): 0 done, 1 refused or failed (the message
 * says why), 2 usage error (bad option, missing or malformed value). */
#ifndef OB_CLI_UTIL_H
#define OB_CLI_UTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/core.h"

#define CLI_OK 0
#define CLI_REFUSED 1
#define CLI_USAGE 2

/* One option: "--name VALUE" / "--name=VALUE" stores VALUE in *value;
 * a flag (value == NULL) sets *set. */
struct cli_opt {
	const char *name; /* with the dashes: "--org" */
	const char **value;
	bool *set;
};

/* Parse argv[0..argc) against opts. Every argument must be one of them, at
 * most once. 0, or -1 after naming the problem on stderr (prefixed with
 * "orgbridgectl: <cmd>: "). */
int cli_parse_opts(const char *cmd, int argc, char **argv, const struct cli_opt *opts,
		   size_t nopts);

/* A column of a text table: heading and a dotted path into each row object
 * ("owner.email"). Strings print as they are, numbers and booleans as JSON,
 * null or missing as "-". */
struct cli_column {
	const char *heading;
	const char *path;
};

/* rows (a JSON array of objects, borrowed) as a table with a heading line,
 * columns padded to their widest cell (the last column is not padded). */
void cli_print_table(FILE *out, const struct cli_column *cols, size_t ncols, json_t *rows);

/* value as indented JSON and a newline; -1 on a write error. */
int cli_print_json(FILE *out, json_t *value);

/* The text at a dotted path of a JSON object ("" for null/missing; numbers
 * and booleans formatted into buf). */
const char *cli_json_text(json_t *root, const char *path, char *buf, size_t cap);

/* Report a refusal from src/core on stderr and return its exit status: 2
 * for 400 (a malformed value given on the command line), else 1. */
int cli_fail(const char *cmd, const struct core_error *err);

#endif

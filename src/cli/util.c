#include "cli/util.h"

#include <stdlib.h>
#include <string.h>

int cli_parse_opts(const char *cmd, int argc, char **argv, const struct cli_opt *opts,
		   size_t nopts)
{
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq = strchr(arg, '=');
		size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
		const struct cli_opt *o = NULL;

		for (size_t k = 0; k < nopts && o == NULL; k++)
			if (strlen(opts[k].name) == name_len && strncmp(opts[k].name, arg, name_len) == 0)
				o = &opts[k];
		if (o == NULL) {
			fprintf(stderr, "orgbridgectl: %s: unknown %s '%s'\n", cmd,
				arg[0] == '-' ? "option" : "argument", arg);
			return -1;
		}
		if (o->value == NULL) {
			if (eq != NULL) {
				fprintf(stderr, "orgbridgectl: %s: %s takes no value\n", cmd, o->name);
				return -1;
			}
			*o->set = true;
			continue;
		}
		if (*o->value != NULL) {
			fprintf(stderr, "orgbridgectl: %s: %s given twice\n", cmd, o->name);
			return -1;
		}
		if (eq != NULL) {
			*o->value = eq + 1;
		} else if (i + 1 < argc) {
			*o->value = argv[++i];
		} else {
			fprintf(stderr, "orgbridgectl: %s: %s needs a value\n", cmd, o->name);
			return -1;
		}
	}
	return 0;
}

const char *cli_json_text(json_t *root, const char *path, char *buf, size_t cap)
{
	char key[128];
	json_t *v = root;

	while (v != NULL && *path != '\0') {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(key))
			return "";
		memcpy(key, path, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		path += n + (path[n] == '.');
	}
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, cap, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, cap, "%s", json_is_true(v) ? "true" : "false");
	else
		return "";
	return buf;
}

/* Display width of UTF-8 text, counted in code points. */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static const char *cell(json_t *row, const char *path, char *buf, size_t cap)
{
	const char *t = cli_json_text(row, path, buf, cap);
	return t[0] != '\0' ? t : "-";
}

static void print_cell(FILE *out, const char *text, size_t width, bool last)
{
	fputs(text, out);
	if (last) {
		fputc('\n', out);
		return;
	}
	for (size_t w = text_width(text); w < width + 2; w++)
		fputc(' ', out);
}

void cli_print_table(FILE *out, const struct cli_column *cols, size_t ncols, json_t *rows)
{
	size_t *width = calloc(ncols, sizeof(*width));
	char buf[64];
	json_t *row;
	size_t i;

	if (width == NULL)
		return;
	for (size_t c = 0; c < ncols; c++)
		width[c] = text_width(cols[c].heading);
	json_array_foreach(rows, i, row) {
		for (size_t c = 0; c < ncols; c++) {
			size_t w = text_width(cell(row, cols[c].path, buf, sizeof(buf)));
			if (w > width[c])
				width[c] = w;
		}
	}
	for (size_t c = 0; c < ncols; c++)
		print_cell(out, cols[c].heading, width[c], c + 1 == ncols);
	json_array_foreach(rows, i, row) {
		for (size_t c = 0; c < ncols; c++)
			print_cell(out, cell(row, cols[c].path, buf, sizeof(buf)), width[c],
				   c + 1 == ncols);
	}
	free(width);
}

int cli_print_json(FILE *out, json_t *value)
{
	if (json_dumpf(value, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 || fputc('\n', out) == EOF)
		return -1;
	return 0;
}

int cli_fail(const char *cmd, const struct core_error *err)
{
	fprintf(stderr, "orgbridgectl: %s: %s\n", cmd, err->message);
	return err->status == 400 ? CLI_USAGE : CLI_REFUSED;
}

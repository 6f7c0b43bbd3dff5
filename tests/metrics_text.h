/* Reading a Prometheus text exposition in tests (unit and integration). */
#ifndef OB_TESTS_METRICS_TEXT_H
#define OB_TESTS_METRICS_TEXT_H

#include <stdlib.h>
#include <string.h>

/* The value of the sample line that starts with `series ` (the full name and
 * labels as rendered), or -1 when there is none. */
static inline double metrics_text_sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *line = text; line != NULL && *line;) {
		if (strncmp(line, series, n) == 0 && line[n] == ' ')
			return strtod(line + n + 1, NULL);
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return -1;
}

#endif

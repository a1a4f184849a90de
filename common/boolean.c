/*
 * boolean.c - the one reader of a boolean written as text (see
 * boolean.h).
 */
#include "boolean.h"

#include <string.h>
#include <strings.h>

int bool_parse(const char *s, size_t n, int *out)
{
	static const char *const word[][2] = {
		{ "true", "false" }, { "yes", "no" }, { "1", "0" },
	};
	for (size_t i = 0; s && i < sizeof(word) / sizeof(word[0]); i++) {
		for (int v = 0; v < 2; v++) {
			const char *w = word[i][v];
			if (n == strlen(w) && strncasecmp(s, w, n) == 0) {
				*out = !v;
				return 0;
			}
		}
	}
	return -1;
}

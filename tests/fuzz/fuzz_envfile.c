/*
 * fuzz_envfile.c - envfile_parse() on arbitrary text, as the supervisor's
 * --env-file would give it.  Every pair handed to the callback must be a
 * valid variable name and a terminated value; a key starting with FAIL
 * makes the callback refuse, to exercise that path too.
 */
#include "fuzz.h"

#include <ctype.h>

#include "config.h"

struct seen {
	size_t pairs, lines;
};

static int on_pair(const char *key, const char *val, void *ctx)
{
	struct seen *s = ctx;
	size_t kn = strnlen(key, 128);

	FUZZ_CHECK(kn > 0 && kn < 128);
	FUZZ_CHECK(isalpha((unsigned char)key[0]) || key[0] == '_');
	for (size_t i = 1; i < kn; i++)
		FUZZ_CHECK(isalnum((unsigned char)key[i]) || key[i] == '_');
	FUZZ_CHECK(strnlen(val, 4096) < 4096);
	s->pairs++;
	FUZZ_CHECK(s->pairs <= s->lines);
	return strncmp(key, "FAIL", 4) == 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { 0, 1 };
	char err[200];
	char *text = malloc(size);      /* exact size: no NUL to lean on */
	if (!text)
		abort();
	memcpy(text, data, size);
	for (size_t i = 0; i < size; i++)
		s.lines += data[i] == '\n';

	memset(err, 'x', sizeof(err));
	int rc = envfile_parse(text, size, on_pair, &s, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc < 0)
		FUZZ_CHECK(fuzz_terminated(err, sizeof(err)) &&
		    strncmp(err, "line ", 5) == 0);
	free(text);
	return 0;
}

/*
 * fuzz_position.c - the ledger element of a settle script's reply through
 * position_reply() (workers/position.c).
 *
 * Input: the element's strings separated by '\n' (a trailing '\n' is
 * dropped); byte 0 when it is '*' makes the element a nested array
 * instead (which must be refused).  Each string is its own allocation,
 * NUL-terminated as hiredis makes them.
 */
#include "fuzz.h"

#include "position.h"

#define MAX_ITEMS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bytes f[MAX_ITEMS];
	redisReply s[MAX_ITEMS], *e[MAX_ITEMS];
	int nested = size > 0 && data[0] == '*';
	size_t n = fuzz_split(data + nested, size - (size_t)nested, '\n', f,
	    MAX_ITEMS);

	for (size_t i = 0; i < n; i++) {
		char *c = malloc(f[i].n + 1);
		if (!c)
			abort();
		memcpy(c, f[i].p, f[i].n);
		c[f[i].n] = '\0';
		s[i] = (redisReply){ .type = nested && i == 0 ? REDIS_REPLY_ARRAY :
			REDIS_REPLY_STRING, .str = c, .len = f[i].n };
		e[i] = &s[i];
	}
	redisReply x = { .type = REDIS_REPLY_ARRAY, .elements = n, .element = e };
	struct position_out o;
	const char *why = NULL;
	int k = position_reply(&x, &o, &why);
	FUZZ_CHECK(k == -1 || k == 0 || k == 1);
	if (k < 0)
		FUZZ_CHECK(why != NULL && why[0] != '\0');
	if (k == 0)
		FUZZ_CHECK(n == 0 || (n == 1 && !nested));
	if (k == 1) {
		FUZZ_CHECK(n == 5 && !nested);
		FUZZ_CHECK(strcmp(o.side, o.amt > 0 ? "LONG" : o.amt < 0 ?
		    "SHORT" : "FLAT") == 0);
		FUZZ_CHECK(o.entry >= 0 && (o.closed == 0 || o.closed == 1));
	}
	for (size_t i = 0; i < n; i++)
		free(s[i].str);
	fuzz_free_fields(f, n);
	return 0;
}

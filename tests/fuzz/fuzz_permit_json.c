/*
 * fuzz_permit_json.c - permit_from_json() on arbitrary bytes (the value of
 * a permit key stored as a STRING).
 */
#include "fuzz.h"

#include "permit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct permit pm;
	const char *why = NULL;
	/* an exact-size copy: the parser is given a length, no NUL */
	char *s = malloc(size);
	if (!s)
		abort();
	memcpy(s, data, size);

	int rc = permit_from_json(s, size, &pm, &why);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_CHECK(pm.allow == 0 || pm.allow == 1);
		FUZZ_CHECK(pm.safe_qty >= 0);
		FUZZ_CHECK(pm.side == 0 || pm.side == SIDE_BUY ||
		    pm.side == SIDE_SELL);
		FUZZ_CHECK(pm.lane == -1 || pm.lane == LANE_MAIN ||
		    pm.lane == LANE_MANUAL);
		FUZZ_CHECK(fuzz_printable(pm.reason, sizeof(pm.reason)));
	} else {
		FUZZ_CHECK(why != NULL && fuzz_printable(why, strlen(why) + 1));
	}
	free(s);
	return 0;
}

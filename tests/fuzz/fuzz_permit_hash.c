/*
 * fuzz_permit_hash.c - permit_from_hash() on HGETALL's flat list of
 * fields: the input split on '\n' (a trailing '\n' dropped), alternately
 * field name and value; an odd count is a valid test of the odd case.
 */
#include "fuzz.h"

#include "permit.h"

#define MAX_FIELDS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bytes f[MAX_FIELDS];
	struct permit pm;
	const char *why = NULL;

	size_t nf = fuzz_split(data, size, '\n', f, MAX_FIELDS);
	int rc = permit_from_hash(f, nf, &pm, &why);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		FUZZ_CHECK(nf % 2 == 0);
		FUZZ_CHECK(pm.allow == 0 || pm.allow == 1);
		FUZZ_CHECK(pm.safe_qty >= 0);
		FUZZ_CHECK(pm.side == 0 || pm.side == SIDE_BUY ||
		    pm.side == SIDE_SELL);
		FUZZ_CHECK(pm.lane == -1 || pm.lane == LANE_MAIN ||
		    pm.lane == LANE_MANUAL);
		FUZZ_CHECK(fuzz_printable(pm.reason, sizeof(pm.reason)));
		/* allow needs allow or granted among the field names */
		if (pm.allow) {
			int named = 0;
			for (size_t i = 0; i < nf; i += 2)
				named |= (f[i].n == 5 && memcmp(f[i].p, "allow", 5) == 0) ||
				    (f[i].n == 7 && memcmp(f[i].p, "granted", 7) == 0);
			FUZZ_CHECK(named);
		}
	} else {
		FUZZ_CHECK(why != NULL && fuzz_printable(why, strlen(why) + 1));
	}
	fuzz_free_fields(f, nf);
	return 0;
}

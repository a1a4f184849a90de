/*
 * fuzz_ledger.c - one line of the supervisor's ledger file through
 * ledger_parse_line() (supervisor/ledger.c), and MSG_SPEND through
 * msg_decode_spend() (common/spend.c).
 *
 * Input: the line's bytes (no newline).  What it accepts is written back
 * the way the supervisor writes it and must read the same again; what it
 * refuses it names.
 */
#include "fuzz.h"

#include "ledger.h"
#include "spend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum lane lane = LANE_COUNT;
	int64_t at = -1, orders = -1, notional = -1;
	const char *why = NULL;
	int k = ledger_parse_line((const char *)data, size, &lane, &at, &orders,
	    &notional, &why);
	FUZZ_CHECK(k == -1 || k == 0 || k == 1);
	if (k < 0)
		FUZZ_CHECK(why != NULL);
	if (k == 0)
		FUZZ_CHECK(size == 0);
	if (k == 1) {
		char again[160];
		FUZZ_CHECK((unsigned)lane < LANE_COUNT);
		FUZZ_CHECK(at >= 0 && orders >= 0 && notional >= 0);
		int n = snprintf(again, sizeof(again), "spend %s %lld %lld %lld",
		    lane_name(lane), (long long)at, (long long)orders,
		    (long long)notional);
		FUZZ_CHECK(n > 0 && (size_t)n == size && memcmp(again, data, size) == 0);
	}
	/* the same bytes as a MSG_SPEND payload */
	struct mreader r;
	m_reader(&r, data, size);
	if (msg_decode_spend(&r, &lane, &at, &orders, &notional) == 0)
		FUZZ_CHECK(size == 25 && (unsigned)lane < LANE_COUNT && at >= 0 &&
		    orders >= 0 && notional >= 0);
	else
		FUZZ_CHECK(r.err != NULL);
	return 0;
}

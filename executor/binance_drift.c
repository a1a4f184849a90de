/*
 * binance_drift.c - position drift, found by the binance backend (the
 * flags and their courier: drift.h).  Per allowed symbol and side, what
 * the executor expects is the exchange's amount at the last positionRisk
 * read it compared plus the signed fills of its own orders since.  Every
 * read (at least every INTENT_EXECUTOR_DRIFT_CHECK_SEC: the positions'
 * timer) compares the reported amounts with it, symbol by symbol, where
 * the symbol was quiet: no order of it in the backend at any moment from
 * the read's sending to its answer (so a fill that raced the read is
 * never taken for drift), and none filled within BN_DRIFT_SETTLE_MS
 * before the read left.  A symbol whose fills are not all known (an order
 * of unknown outcome, one found on the exchange that was not sent now, a
 * partial fill; a change of the account's position mode since its base,
 * which moves the amounts between BOTH and LONG/SHORT) is not compared at
 * its next quiet read: the read becomes its new base.  A difference of a stepSize or more is drift
 * (drift_found()); the reported amount is the new base either way.
 *
 * May: read what the backend knows.  May not: send anything.
 */
#include <string.h>

#include "binance_int.h"
#include "clock.h"
#include "drift.h"

#define BN_DRIFT_SETTLE_MS 1000

void bn_drift_order(struct binance *b, const char *symbol, int delta)
{
	int i = bn_symbol_index(b, symbol);
	if (i < 0)
		return;
	b->drift.busy[i] += delta;
	if (b->drift.busy[i] > 0)
		b->drift.touched[i] = 1;
}

void bn_drift_fill(struct binance *b, const char *symbol, enum bn_pos_side ps,
    int64_t signed_qty)
{
	int i = bn_symbol_index(b, symbol);
	if (i < 0)
		return;
	b->drift.expect[i][ps] += signed_qty;
	b->drift.fill_at[i] = mono_ms();
}

void bn_drift_uncertain(struct binance *b, const char *symbol)
{
	int i = bn_symbol_index(b, symbol);
	if (i >= 0) {
		b->drift.uncertain[i] = 1;
		b->drift.fill_at[i] = mono_ms();
	}
}

void bn_drift_read_sent(struct binance *b)
{
	for (int i = 0; i < b->symbols.n; i++)
		b->drift.touched[i] = b->drift.busy[i] > 0;
}

static int64_t reported(const struct bn_positions *t, const char *symbol,
    enum bn_pos_side ps)
{
	const struct bn_position *p = bn_position_find(t, symbol, ps);
	return p ? p->amount : 0;
}

/* One quiet symbol: compared (when its base is sure), then based anew. */
static void compare(struct binance *b, int i, const struct bn_positions *t)
{
	const char *symbol = b->symbols.item[i];
	const struct symbol_filter *f = filters_find(&b->filters, symbol);
	int sure = b->drift.based[i] && !b->drift.uncertain[i] && f &&
	    f->step > 0 && b->drift.mode[i] == b->mode;
	for (int ps = BN_PS_BOTH; ps <= BN_PS_SHORT; ps++) {
		int64_t want = b->drift.expect[i][ps];
		int64_t got = reported(t, symbol, (enum bn_pos_side)ps);
		int64_t diff = want > got ? want - got : got - want;
		if (sure && diff >= f->step)
			drift_found(symbol, (uint8_t)ps, want, got, f->step);
		b->drift.expect[i][ps] = got;
	}
	b->drift.based[i] = 1;
	b->drift.uncertain[i] = 0;
	b->drift.mode[i] = b->mode;
}

void bn_drift_read(struct binance *b, const struct bn_positions *t)
{
	for (int i = 0; i < b->symbols.n; i++) {
		if (b->drift.touched[i] || b->drift.busy[i] > 0 ||
		    (b->drift.fill_at[i] &&
		    b->drift.fill_at[i] + BN_DRIFT_SETTLE_MS > b->pos_asked_at))
			continue;
		compare(b, i, t);
	}
}

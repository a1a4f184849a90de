/*
 * safety.h - the trading safety checks a worker makes for every plan, at
 * read time and again just before the request leaves for the executor:
 * the trading state (ACTIVE, REDUCING, HALTED; any other value or a read
 * failure counts as HALTED), the lane's own circuit breaker, the plan's
 * age, and the permit's binding to the plan (its symbol, side and lane
 * when the permit names them, its age).  Each lane's circuit breaker
 * (lifecycle.c) halts that lane alone after INTENT_EXECUTOR_BREAKER_FAILURES
 * consecutive orders of the lane that failed or ended unknown; only an
 * operator halts every lane (the trading state).
 */
#ifndef QIE_SAFETY_H
#define QIE_SAFETY_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "plan.h"
#include "permit.h"

#define FUTURE_SLACK_MS 5000    /* clocks may differ this much */

enum trading_state {
	TS_ACTIVE = 0, TS_REDUCING = 1, TS_HALTED = 2,
	TS_LANE_HALTED = 3,     /* this lane's breaker tripped (others run) */
};

/* The state a GET reply means: absent ACTIVE; unknown values HALTED. */
enum trading_state trading_state_of(const char *value, size_t len, int present);

/*
 * The plan's time in unix ms: its `timestamp` field (unix seconds, or
 * milliseconds above 1e12, fractions allowed), else its stream id.
 * -1 with *why when the field is there but is not a time.
 */
int64_t plan_time_ms(struct bytes timestamp, const char *stream_id,
    const char **why);

/* 0, or -1 with "plan_stale:..." in err. */
int plan_age_check(int64_t plan_ms, int64_t now_ms, int max_age_sec, char *err,
    size_t errlen);

/*
 * The gate a plan passes at read time and again just before it leaves:
 * its age, and the trading state (HALTED stops every plan, REDUCING all
 * but reduce-only ones, TS_LANE_HALTED every plan of the lane:
 * "lane_halted:...").  0 to go on, or -1 with err set.
 */
int trading_gate(int64_t plan_ms, int reduce_only, enum trading_state st,
    int64_t now_ms, int max_age_sec, char *err, size_t errlen);

/*
 * The permit against the plan it is read for: symbol, side (SIDE_BUY,
 * SIDE_SELL) and lane, each when the permit names it, and its age.  0, or
 * -1 with "p33_permit_mismatch:..." / "p33_permit_stale:..." in err.
 */
int permit_binding_check(const struct permit *pm, const char *symbol,
    uint8_t side, enum lane lane, int64_t now_ms, int max_age_sec, char *err,
    size_t errlen);

#endif

/*
 * safety.c - pure parts of the trading safety checks (see safety.h).
 */
#include "safety.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decimal.h"

enum trading_state trading_state_of(const char *value, size_t len, int present)
{
	if (!present)
		return TS_ACTIVE;
	if (len == 6 && memcmp(value, "ACTIVE", 6) == 0)
		return TS_ACTIVE;
	if (len == 8 && memcmp(value, "REDUCING", 8) == 0)
		return TS_REDUCING;
	return TS_HALTED;       /* HALTED, and anything not understood */
}

int64_t plan_time_ms(struct bytes ts, const char *stream_id, const char **why)
{
	int64_t ms;
	if (ts.p && ts.n > 0)
		return dec_parse_time_ms(ts.p, ts.n, &ms, why) < 0 ? -1 : ms;
	char *end;
	errno = 0;
	long long id_ms = strtoll(stream_id, &end, 10);
	if (errno || end == stream_id || id_ms < 0) {
		*why = "no timestamp and no time in the stream id";
		return -1;
	}
	return (int64_t)id_ms;
}

int plan_age_check(int64_t plan_ms, int64_t now_ms, int max_age_sec, char *err,
    size_t errlen)
{
	if (plan_ms - now_ms > FUTURE_SLACK_MS) {
		snprintf(err, errlen, "plan_stale:timestamp %lld s in the future",
		    (long long)((plan_ms - now_ms) / 1000));
		return -1;
	}
	if (now_ms - plan_ms > (int64_t)max_age_sec * 1000) {
		snprintf(err, errlen, "plan_stale:age %lld s above %d s",
		    (long long)((now_ms - plan_ms) / 1000), max_age_sec);
		return -1;
	}
	return 0;
}

int trading_gate(int64_t plan_ms, int reduce_only, enum trading_state st,
    int64_t now_ms, int max_age_sec, char *err, size_t errlen)
{
	if (plan_age_check(plan_ms, now_ms, max_age_sec, err, errlen) < 0)
		return -1;
	if (st == TS_HALTED) {
		snprintf(err, errlen, "trading_halted");
		return -1;
	}
	if (st == TS_LANE_HALTED) {
		snprintf(err, errlen, "lane_halted:circuit breaker (qiectl resume)");
		return -1;
	}
	if (st == TS_REDUCING && !reduce_only) {
		snprintf(err, errlen, "trading_reducing:only reduce-only orders run");
		return -1;
	}
	return 0;
}

int permit_binding_check(const struct permit *pm, const char *symbol,
    uint8_t side, enum lane lane, int64_t now_ms, int max_age_sec, char *err,
    size_t errlen)
{
	if (pm->symbol[0] && strcasecmp(pm->symbol, symbol) != 0) {
		snprintf(err, errlen, "p33_permit_mismatch:permit for %s, plan for %s",
		    pm->symbol, symbol);
		return -1;
	}
	if (pm->side && pm->side != side) {
		snprintf(err, errlen, "p33_permit_mismatch:permit for %s, plan to %s",
		    side_name(pm->side), side_name(side));
		return -1;
	}
	if (pm->lane >= 0 && pm->lane != (int)lane) {
		snprintf(err, errlen, "p33_permit_mismatch:permit for lane %s, plan "
		    "on lane %s", lane_name((enum lane)pm->lane), lane_name(lane));
		return -1;
	}
	if (pm->ts_ms > 0) {
		if (pm->ts_ms - now_ms > FUTURE_SLACK_MS) {
			snprintf(err, errlen, "p33_permit_stale:issued in the future");
			return -1;
		}
		if (now_ms - pm->ts_ms > (int64_t)max_age_sec * 1000) {
			snprintf(err, errlen, "p33_permit_stale:issued %lld s ago, above %d s",
			    (long long)((now_ms - pm->ts_ms) / 1000), max_age_sec);
			return -1;
		}
	}
	return 0;
}

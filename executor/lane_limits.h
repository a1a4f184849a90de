/*
 * lane_limits.h - the executor's own limits per lane, applied to every sized
 * order whatever the worker that sent it claims: the manual lane only
 * reduces positions unless INTENT_EXECUTOR_MANUAL_ALLOW_OPEN=true; a
 * notional cap per order (INTENT_EXECUTOR_MAX_NOTIONAL_USDT_<LANE>, 0 =
 * none); a rolling notional budget per lane over the last hour
 * (INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_<LANE>, 0 = none; kept in minute
 * buckets, in memory: an executor restart starts a new hour); a rate cap
 * (INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_<LANE>, a token bucket refilled
 * continuously).
 */
#ifndef QIE_LANE_LIMITS_H
#define QIE_LANE_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "msg.h"

#define LIMIT_MINUTES 60

struct limits {
	int64_t minute[LANE_COUNT][LIMIT_MINUTES];      /* which minute a bucket holds */
	int64_t spent[LANE_COUNT][LIMIT_MINUTES];       /* notional in it, 1e-8 USDT */
	int64_t tokens[LANE_COUNT];     /* milli-orders */
	int64_t last_ms[LANE_COUNT];
	int started[LANE_COUNT];
};

/*
 * 0 when the order may go out (and takes one token of its lane's rate),
 * else -1 with a result error in err.  price 0 = mark price unknown.
 */
int limits_check(struct limits *l, const struct settings *s, enum lane lane,
    int reduce_only, int64_t qty, int64_t price, int64_t now_ms, char *err,
    size_t errlen);

#endif

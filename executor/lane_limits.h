/*
 * lane_limits.h - the executor's own limits per lane, applied to every sized
 * order whatever the worker that sent it claims (a close: to the quantity
 * the backend found, executor.c's close_limits()): the manual lane only
 * reduces positions unless INTENT_EXECUTOR_MANUAL_ALLOW_OPEN=true (the
 * harvest lane always, executor_check_lane()); a
 * notional cap per order (INTENT_EXECUTOR_MAX_NOTIONAL_USDT_<LANE>, 0 =
 * none); a notional budget per lane over the last hour
 * (INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_<LANE>, 0 = none); a rate cap
 * (INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_<LANE>: no 60 s window holds more).
 * What each lane spent is kept in a struct spend (spend.h) that the
 * supervisor hands over at start and is told of before every order, so a
 * restart of the executor (or of the whole daemon) resets no limit.
 */
#ifndef QIE_LANE_LIMITS_H
#define QIE_LANE_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "msg.h"
#include "spend.h"

struct limits {
	struct spend sp;
	/* told of every order let through, before it is placed (main.c: a
	 * MSG_SPEND to the supervisor); NULL: nobody */
	void (*on_spend)(enum lane lane, int64_t at_ms, int64_t notional);
};

/*
 * 0 when the order may go out (it is then counted, and on_spend told),
 * else -1 with a result error in err.  price 0 = mark price unknown;
 * now_ms is the wall clock.
 */
int limits_check(struct limits *l, const struct settings *s, enum lane lane,
    int reduce_only, int64_t qty, int64_t price, int64_t now_ms, char *err,
    size_t errlen);

#endif

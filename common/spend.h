/*
 * spend.h - what each lane has spent recently: orders per second over the
 * last minute (the rate cap) and notional per minute over the last hour
 * (the hourly budget).  The executor checks its caps against it; the
 * supervisor keeps a copy (told by the executor before each order, one
 * MSG_SPEND) and a ledger file of it, and hands it to every new executor,
 * so that no restart of any process resets a limit.
 *
 * Seconds and minutes are buckets: an order counts in its whole second
 * (minute).  The rate check looks at the last 61 seconds, so that any 60 s
 * window, wherever it starts, holds at most the cap.
 */
#ifndef QIE_SPEND_H
#define QIE_SPEND_H

#include <stdint.h>

#include "msg.h"

#define SPEND_SECONDS 61
#define SPEND_MINUTES 60

struct spend {
	struct { int64_t sec; int64_t orders; } rate[LANE_COUNT][SPEND_SECONDS];
	struct { int64_t min; int64_t notional; } hour[LANE_COUNT][SPEND_MINUTES];
};

/* Counts orders and notional (1e-8 USDT) spent at at_ms (wall clock). */
void spend_add(struct spend *sp, enum lane lane, int64_t at_ms, int64_t orders,
    int64_t notional);
/* Orders in the last SPEND_SECONDS seconds up to now_ms. */
int64_t spend_orders(const struct spend *sp, enum lane lane, int64_t now_ms);
/* Notional of the last SPEND_MINUTES minutes up to now_ms. */
int64_t spend_notional(const struct spend *sp, enum lane lane, int64_t now_ms);

/* Every non-empty bucket still in its window, as spend_add() arguments. */
void spend_each(const struct spend *sp, int64_t now_ms,
    void (*fn)(void *ctx, enum lane lane, int64_t at_ms, int64_t orders,
	int64_t notional), void *ctx);

/* MSG_SPEND: u8 lane, i64 at_ms, i64 orders, i64 notional. */
int msg_encode_spend(struct mbuf *m, enum lane lane, int64_t at_ms,
    int64_t orders, int64_t notional);
int msg_decode_spend(struct mreader *r, enum lane *lane, int64_t *at_ms,
    int64_t *orders, int64_t *notional);

#endif

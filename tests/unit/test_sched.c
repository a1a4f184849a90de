/*
 * test_sched.c - executor/sched.c: per-symbol order, lane fairness and
 * deadlines, without any I/O.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "scheduler.h"

#define NOW 1000000
#define LATER (NOW + 60000)

static struct sched S;
static struct sched_item items[600];
static int used;

static struct sched_item *item(enum lane lane, const char *symbol,
    int64_t deadline)
{
	struct sched_item *it = &items[used++];
	memset(it, 0, sizeof(*it));
	it->lane = lane;
	snprintf(it->symbol, sizeof(it->symbol), "%s", symbol);
	it->deadline_ms = deadline;
	return it;
}

static struct sched_item *push(enum lane lane, const char *symbol)
{
	struct sched_item *it = item(lane, symbol, LATER);
	cr_assert_eq(sched_push(&S, it), 0);
	return it;
}

static struct sched_item *next(void)
{
	int expired = -1;
	struct sched_item *it = sched_next(&S, NOW, &expired);
	cr_assert_eq(expired, 0, "an item came out as expired");
	return it;
}

static void setup(void)
{
	used = 0;
	sched_init(&S, SCHED_INFLIGHT_MAIN, SCHED_INFLIGHT_MANUAL);
}

TestSuite(sched, .init = setup);

Test(sched, one_symbol_one_at_a_time_in_arrival_order)
{
	struct sched_item *a = push(LANE_MAIN, "ETHUSDT");
	struct sched_item *b = push(LANE_MAIN, "ETHUSDT");
	struct sched_item *c = push(LANE_MAIN, "ETHUSDT");
	cr_assert_eq(next(), a);
	cr_assert_null(next(), "a second ETHUSDT request started beside the first");
	sched_done(&S, a);
	cr_assert_eq(next(), b);
	cr_assert_null(next());
	sched_done(&S, b);
	cr_assert_eq(next(), c);
	sched_done(&S, c);
	cr_assert_null(next());
}

Test(sched, other_symbols_run_beside_a_busy_one)
{
	struct sched_item *e1 = push(LANE_MAIN, "ETHUSDT");
	struct sched_item *e2 = push(LANE_MAIN, "ETHUSDT");
	struct sched_item *b = push(LANE_MAIN, "BTCUSDT");
	struct sched_item *d = push(LANE_MAIN, "DOGEUSDT");
	cr_assert_eq(next(), e1);
	cr_assert_eq(next(), b, "BTCUSDT waited behind the busy ETHUSDT");
	cr_assert_eq(next(), d);
	cr_assert_null(next());
	sched_done(&S, e1);
	cr_assert_eq(next(), e2);
}

Test(sched, manual_never_waits_for_main_lane_work)
{
	/* the main lane fills its slots and its queue with one slow symbol
	 * and others */
	struct sched_item *first = push(LANE_MAIN, "ETHUSDT");
	for (int i = 0; i < 40; i++) {
		char sym[16];
		snprintf(sym, sizeof(sym), "S%dUSDT", i % 20);
		push(LANE_MAIN, sym);
	}
	cr_assert_eq(next(), first);
	for (int i = 1; i < SCHED_INFLIGHT_MAIN; i++)
		cr_assert_not_null(next());
	cr_assert_null(next(), "the main lane went past its limit");
	struct sched_item *m = push(LANE_MANUAL, "BTCUSDT");
	cr_assert_eq(next(), m, "a manual request waited for the main lane");
}

Test(sched, manual_goes_first_for_a_symbol_slot)
{
	struct sched_item *e1 = push(LANE_MAIN, "ETHUSDT");
	cr_assert_eq(next(), e1);
	struct sched_item *e2 = push(LANE_MAIN, "ETHUSDT");
	struct sched_item *m = push(LANE_MANUAL, "ETHUSDT");
	cr_assert_null(next(), "two ETHUSDT requests in flight");
	sched_done(&S, e1);
	cr_assert_eq(next(), m, "the manual request queued behind main-lane work");
	sched_done(&S, m);
	cr_assert_eq(next(), e2);
}

Test(sched, main_lane_cannot_take_manual_slots)
{
	sched_init(&S, 2, 2);
	push(LANE_MAIN, "AUSDT");
	push(LANE_MAIN, "BUSDT");
	push(LANE_MAIN, "CUSDT");
	cr_assert_not_null(next());
	cr_assert_not_null(next());
	cr_assert_null(next(), "main took a third slot");
	struct sched_item *m1 = push(LANE_MANUAL, "XUSDT");
	struct sched_item *m2 = push(LANE_MANUAL, "YUSDT");
	struct sched_item *m3 = push(LANE_MANUAL, "ZUSDT");
	cr_assert_eq(next(), m1);
	cr_assert_eq(next(), m2);
	cr_assert_null(next(), "manual went past its own limit");
	sched_done(&S, m1);
	cr_assert_eq(next(), m3);
}

Test(sched, limits_are_clamped)
{
	sched_init(&S, 0, 1000);
	cr_assert_eq(S.limit[LANE_MAIN], 1);
	cr_assert_eq(S.limit[LANE_MANUAL], SCHED_INFLIGHT_MANUAL);
}

Test(sched, queue_full_is_refused_per_lane)
{
	for (int i = 0; i < SCHED_QUEUE_MAX; i++)
		push(LANE_MAIN, "ETHUSDT");
	struct sched_item *x = item(LANE_MAIN, "ETHUSDT", LATER);
	cr_assert_eq(sched_push(&S, x), -1);
	cr_assert_eq(x->state, SI_IDLE);
	/* the manual lane's queue is its own */
	struct sched_item *m = push(LANE_MANUAL, "BTCUSDT");
	struct sched_item *out = next();
	cr_assert_eq(out, m);
	struct sched_item *bad = item(LANE_COUNT, "ETHUSDT", LATER);
	cr_assert_eq(sched_push(&S, bad), -1);
}

Test(sched, expired_comes_out_at_once_whatever_is_busy)
{
	struct sched_item *e1 = push(LANE_MAIN, "ETHUSDT");
	cr_assert_eq(next(), e1);
	struct sched_item *e2 = item(LANE_MAIN, "ETHUSDT", NOW + 500);
	cr_assert_eq(sched_push(&S, e2), 0);
	cr_assert_eq(sched_next_deadline(&S), NOW + 500);
	int expired = -1;
	cr_assert_null(sched_next(&S, NOW + 499, &expired));
	cr_assert_eq(expired, 0);
	cr_assert_eq(sched_next(&S, NOW + 500, &expired), e2);
	cr_assert_eq(expired, 1, "not marked expired");
	cr_assert_eq(e2->state, SI_IDLE);
	cr_assert_eq(sched_next_deadline(&S), INT64_MAX);
	/* it does not count as running: e1 still holds ETHUSDT alone */
	cr_assert_eq(S.running[LANE_MAIN], 1);
	sched_done(&S, e1);
	cr_assert_eq(S.running[LANE_MAIN], 0);
}

Test(sched, expired_past_the_limits_and_manual_first)
{
	sched_init(&S, 1, 1);
	struct sched_item *a = push(LANE_MAIN, "AUSDT");
	cr_assert_eq(next(), a);
	struct sched_item *old_main = item(LANE_MAIN, "BUSDT", NOW - 1);
	struct sched_item *old_manual = item(LANE_MANUAL, "CUSDT", NOW - 1);
	cr_assert_eq(sched_push(&S, old_main), 0);
	cr_assert_eq(sched_push(&S, old_manual), 0);
	int expired = 0;
	cr_assert_eq(sched_next(&S, NOW, &expired), old_manual);
	cr_assert_eq(expired, 1);
	cr_assert_eq(sched_next(&S, NOW, &expired), old_main,
	    "an expired request waited for the main lane's full slot");
	cr_assert_eq(expired, 1);
}

Test(sched, cancel_takes_only_queued_items)
{
	struct sched_item *a = push(LANE_MAIN, "ETHUSDT");
	struct sched_item *b = push(LANE_MAIN, "ETHUSDT");
	struct sched_item *c = push(LANE_MAIN, "BTCUSDT");
	cr_assert_eq(next(), a);
	cr_assert_eq(sched_cancel(&S, a), -1, "a running item was cancelled");
	cr_assert_eq(sched_cancel(&S, b), 0);
	cr_assert_eq(sched_cancel(&S, b), -1);
	cr_assert_eq(next(), c);
	sched_done(&S, a);
	sched_done(&S, c);
	cr_assert_null(next(), "a cancelled item started");
	/* the queue is still sound: a new item goes at its end */
	struct sched_item *d = push(LANE_MAIN, "ETHUSDT");
	cr_assert_eq(next(), d);
}

/* The harvest lane: after manual, before main (exits before opens), with
 * its own limit of SCHED_INFLIGHT_HARVEST. */
Test(sched, harvest_after_manual_before_main)
{
	struct sched_item *e1 = push(LANE_MAIN, "ETHUSDT");
	cr_assert_eq(next(), e1);
	struct sched_item *e2 = push(LANE_MAIN, "ETHUSDT");
	struct sched_item *h = push(LANE_HARVEST, "ETHUSDT");
	struct sched_item *m = push(LANE_MANUAL, "ETHUSDT");
	cr_assert_null(next(), "two ETHUSDT requests in flight");
	sched_done(&S, e1);
	cr_assert_eq(next(), m, "manual first");
	sched_done(&S, m);
	cr_assert_eq(next(), h, "the exit before the main lane's open");
	sched_done(&S, h);
	cr_assert_eq(next(), e2);
}

Test(sched, harvest_has_its_own_limit)
{
	char sym[16];
	cr_assert_eq(S.limit[LANE_HARVEST], SCHED_INFLIGHT_HARVEST);
	for (int i = 0; i < SCHED_INFLIGHT_HARVEST + 1; i++) {
		snprintf(sym, sizeof(sym), "H%dUSDT", i);
		push(LANE_HARVEST, sym);
	}
	for (int i = 0; i < SCHED_INFLIGHT_HARVEST; i++)
		cr_assert_not_null(next());
	cr_assert_null(next(), "the harvest lane went past its limit");
	struct sched_item *e = push(LANE_MAIN, "ETHUSDT");
	cr_assert_eq(next(), e, "a full harvest lane holds the main lane up");
	cr_assert_eq(S.running[LANE_HARVEST], SCHED_INFLIGHT_HARVEST);
}

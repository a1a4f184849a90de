/*
 * spend.c - the buckets of spend.h and the MSG_SPEND frame.
 */
#include "spend.h"

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

void spend_add(struct spend *sp, enum lane lane, int64_t at_ms, int64_t orders,
    int64_t notional)
{
	if ((unsigned)lane >= LANE_COUNT)
		return;
	int64_t sec = floor_div(at_ms, 1000), min = floor_div(at_ms, 60000);
	int i = (int)(((sec % SPEND_SECONDS) + SPEND_SECONDS) % SPEND_SECONDS);
	int k = (int)(((min % SPEND_MINUTES) + SPEND_MINUTES) % SPEND_MINUTES);
	if (orders) {
		if (sp->rate[lane][i].sec != sec)
			sp->rate[lane][i].sec = sec, sp->rate[lane][i].orders = 0;
		sp->rate[lane][i].orders += orders;
	}
	if (notional) {
		if (sp->hour[lane][k].min != min)
			sp->hour[lane][k].min = min, sp->hour[lane][k].notional = 0;
		sp->hour[lane][k].notional += notional;
	}
}

int64_t spend_orders(const struct spend *sp, enum lane lane, int64_t now_ms)
{
	int64_t now = floor_div(now_ms, 1000), n = 0;
	for (int i = 0; i < SPEND_SECONDS; i++) {
		int64_t s = sp->rate[lane][i].sec;
		if (s > now - SPEND_SECONDS && s <= now)
			n += sp->rate[lane][i].orders;
	}
	return n;
}

int64_t spend_notional(const struct spend *sp, enum lane lane, int64_t now_ms)
{
	int64_t now = floor_div(now_ms, 60000), v = 0;
	for (int i = 0; i < SPEND_MINUTES; i++) {
		int64_t m = sp->hour[lane][i].min;
		if (m > now - SPEND_MINUTES && m <= now)
			v += sp->hour[lane][i].notional;
	}
	return v;
}

void spend_each(const struct spend *sp, int64_t now_ms,
    void (*fn)(void *ctx, enum lane lane, int64_t at_ms, int64_t orders,
	int64_t notional), void *ctx)
{
	int64_t now_s = floor_div(now_ms, 1000), now_m = floor_div(now_ms, 60000);
	for (int l = 0; l < LANE_COUNT; l++) {
		for (int i = 0; i < SPEND_SECONDS; i++) {
			int64_t s = sp->rate[l][i].sec;
			if (sp->rate[l][i].orders && s > now_s - SPEND_SECONDS && s <= now_s)
				fn(ctx, (enum lane)l, s * 1000, sp->rate[l][i].orders, 0);
		}
		for (int i = 0; i < SPEND_MINUTES; i++) {
			int64_t m = sp->hour[l][i].min;
			if (sp->hour[l][i].notional && m > now_m - SPEND_MINUTES &&
			    m <= now_m)
				fn(ctx, (enum lane)l, m * 60000, 0, sp->hour[l][i].notional);
		}
	}
}

int msg_encode_spend(struct mbuf *m, enum lane lane, int64_t at_ms,
    int64_t orders, int64_t notional)
{
	m_init(m, MSG_SPEND);
	m_add_u8(m, (uint8_t)lane);
	m_add_i64(m, at_ms);
	m_add_i64(m, orders);
	m_add_i64(m, notional);
	return m_close(m);
}

int msg_decode_spend(struct mreader *r, enum lane *lane, int64_t *at_ms,
    int64_t *orders, int64_t *notional)
{
	uint8_t l = m_get_u8(r);
	int64_t t = m_get_i64(r), o = m_get_i64(r), v = m_get_i64(r);
	if (m_end(r) < 0)
		return -1;
	if (l >= LANE_COUNT || t < 0 || o < 0 || v < 0) {
		r->err = l >= LANE_COUNT ? "lane out of range" :
		    "a negative time, count or notional";
		return -1;
	}
	*lane = (enum lane)l, *at_ms = t, *orders = o, *notional = v;
	return 0;
}

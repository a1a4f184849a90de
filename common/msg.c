/*
 * msg.c - encode and decode the frames of msg.h (EXEC_REQ, EXEC_RES, DRIFT
 * and the others).
 */
#include "msg.h"

#include <string.h>

static const struct lane_info lanes[LANE_COUNT] = {
	[LANE_MAIN] = { "main", "", ROLE_MAIN, LANE_F_PERMIT, "manual" },
	[LANE_MANUAL] = { "manual", "-manual", ROLE_MANUAL, LANE_F_PERMIT,
		"main" },
	/* autonomous exits: the exit manager decided them, no permit; they
	 * only ever close */
	[LANE_HARVEST] = { "harvest", "-harvest", ROLE_HARVEST,
		LANE_F_ONLY_REDUCES, "main|manual" },
};

const struct lane_info *lane_info(enum lane l)
{
	return (unsigned)l < LANE_COUNT ? &lanes[l] : NULL;
}

int lane_has(enum lane l, unsigned f)
{
	const struct lane_info *i = lane_info(l);
	return i && (i->flags & f) != 0;
}

const char *lane_name(enum lane l)
{
	const struct lane_info *i = lane_info(l);
	return i ? i->name : "?";
}

const char *role_name(unsigned role)
{
	static const char *const name[ROLE_COUNT] = { "executor", "main",
		"manual", "harvest" };
	return role < ROLE_COUNT ? name[role] : "?";
}

const char *side_name(uint8_t side)
{
	return side == SIDE_BUY ? "BUY" : side == SIDE_SELL ? "SELL" :
	    side == SIDE_CLOSE ? "CLOSE" : "?";
}

int msg_encode_u32(struct mbuf *m, uint16_t type, uint32_t v)
{
	m_init(m, type);
	m_add_u32(m, v);
	return m_close(m);
}

int msg_decode_u32(struct mreader *r, uint32_t *v)
{
	*v = m_get_u32(r);
	return m_end(r);
}

int msg_encode_role(struct mbuf *m, uint16_t type, enum role role)
{
	m_init(m, type);
	m_add_u8(m, (uint8_t)role);
	return m_close(m);
}

int msg_decode_role(struct mreader *r, enum role *role)
{
	uint8_t v = m_get_u8(r);
	if (m_end(r) < 0)
		return -1;
	if (v >= ROLE_COUNT) {
		r->err = "role out of range";
		return -1;
	}
	*role = (enum role)v;
	return 0;
}

int msg_encode_state(struct mbuf *m, int ok, const char *text)
{
	m_init(m, MSG_STATE);
	m_add_u8(m, ok ? 1 : 0);
	m_add_str(m, text);
	return m_close(m);
}

int msg_decode_state(struct mreader *r, int *ok, char *text, size_t cap)
{
	uint8_t v = m_get_u8(r);
	m_get_str(r, text, cap);
	if (m_end(r) < 0)
		return -1;
	if (v > 1) {
		r->err = "ok flag is neither 0 nor 1";
		return -1;
	}
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20) {
			r->err = "control byte in the state text";
			return -1;
		}
	*ok = v;
	return 0;
}

int msg_encode_req(struct mbuf *m, const struct exec_req *q)
{
	m_init(m, MSG_EXEC_REQ);
	m_add_u32(m, q->seq);
	m_add_str(m, q->plan_id);
	m_add_str(m, q->symbol);
	m_add_u8(m, q->side);
	m_add_u8(m, q->reduce_only);
	m_add_i64(m, q->qty);
	m_add_i64(m, q->safe_qty);
	m_add_i64(m, q->deadline_ms);
	if (q->leverage < 1 || q->leverage > MSG_LEVERAGE_MAX)
		return -1;
	m_add_u8(m, q->leverage);
	if ((q->side == SIDE_CLOSE) != (q->close_fraction != 0) ||
	    q->close_fraction < 0 || q->close_fraction > CLOSE_WHOLE)
		return -1;
	m_add_i64(m, q->close_fraction);
	return m_close(m);
}

int msg_decode_req(struct mreader *r, struct exec_req *q)
{
	memset(q, 0, sizeof(*q));
	q->seq = m_get_u32(r);
	m_get_str(r, q->plan_id, sizeof(q->plan_id));
	m_get_str(r, q->symbol, sizeof(q->symbol));
	q->side = m_get_u8(r);
	q->reduce_only = m_get_u8(r);
	q->qty = m_get_i64(r);
	q->safe_qty = m_get_i64(r);
	q->deadline_ms = m_get_i64(r);
	q->leverage = m_get_u8(r);
	q->close_fraction = m_get_i64(r);
	if (m_end(r) < 0)
		return -1;
	if (q->deadline_ms <= 0) {
		r->err = "deadline not above 0";
		return -1;
	}
	if (q->leverage < 1 || q->leverage > MSG_LEVERAGE_MAX) {
		r->err = "leverage not in 1..125";
		return -1;
	}
	if (q->side == SIDE_CLOSE ? q->close_fraction < 1 ||
	    q->close_fraction > CLOSE_WHOLE : q->close_fraction != 0) {
		r->err = q->side == SIDE_CLOSE ? "close fraction not in 1..1e8" :
		    "close fraction not 0 for a side other than CLOSE";
		return -1;
	}
	return 0;
}

int msg_encode_res(struct mbuf *m, const struct exec_res *s)
{
	m_init(m, MSG_EXEC_RES);
	m_add_u32(m, s->seq);
	m_add_u8(m, s->executed);
	m_add_str(m, s->error);
	m_add_str(m, s->order_id);
	m_add_str(m, s->client_order_id);
	m_add_str(m, s->status);
	m_add_i64(m, s->qty);
	m_add_i64(m, s->filled_qty);
	m_add_i64(m, s->avg_price);
	m_add_u8(m, s->side);
	m_add_u8(m, s->position_known);
	m_add_i64(m, s->position_amt);
	m_add_i64(m, s->position_entry);
	return m_close(m);
}

int msg_decode_res(struct mreader *r, struct exec_res *s)
{
	memset(s, 0, sizeof(*s));
	s->seq = m_get_u32(r);
	s->executed = m_get_u8(r);
	m_get_str(r, s->error, sizeof(s->error));
	m_get_str(r, s->order_id, sizeof(s->order_id));
	m_get_str(r, s->client_order_id, sizeof(s->client_order_id));
	m_get_str(r, s->status, sizeof(s->status));
	s->qty = m_get_i64(r);
	s->filled_qty = m_get_i64(r);
	s->avg_price = m_get_i64(r);
	s->side = m_get_u8(r);
	s->position_known = m_get_u8(r);
	s->position_amt = m_get_i64(r);
	s->position_entry = m_get_i64(r);
	if (m_end(r) < 0)
		return -1;
	if (s->executed > 1) {
		r->err = "executed flag is not 0 or 1";
		return -1;
	}
	if (s->side != 0 && s->side != SIDE_BUY && s->side != SIDE_SELL) {
		r->err = "order side is not 0, BUY or SELL";
		return -1;
	}
	if (s->position_known > 1 || (!s->position_known &&
	    (s->position_amt || s->position_entry))) {
		r->err = "position flag is not 0 or 1, or an unknown position "
		    "has an amount";
		return -1;
	}
	if (s->position_amt < -MSG_AMOUNT_MAX ||
	    s->position_amt > MSG_AMOUNT_MAX || s->position_entry < 0 ||
	    (s->position_amt == 0 && s->position_entry != 0)) {
		r->err = "position amount out of range, or a negative entry "
		    "price, or an entry price of a flat position";
		return -1;
	}
	return 0;
}

int msg_symbol_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9')))
			return 0;
	return n >= 1 && n <= SYMBOL_MAX;
}

int msg_encode_drift(struct mbuf *m, const struct drift_report *d)
{
	if (!msg_symbol_ok(d->symbol))
		return -1;
	m_init(m, MSG_DRIFT);
	m_add_str(m, d->symbol);
	m_add_u8(m, d->pos_side);
	m_add_u8(m, d->recorded);
	m_add_i64(m, d->expected);
	m_add_i64(m, d->reported);
	m_add_i64(m, d->step);
	m_add_i64(m, d->at_ms);
	return m_close(m);
}

static int amount_ok(int64_t v)
{
	return v >= -MSG_AMOUNT_MAX && v <= MSG_AMOUNT_MAX;
}

/* The report's meaning once its fields are read: NULL, or what is wrong. */
static const char *drift_wrong(const struct drift_report *d)
{
	if (!msg_symbol_ok(d->symbol))
		return "symbol not [A-Z0-9], 1..20 bytes";
	if (d->pos_side > 2)
		return "position side out of range";
	if (d->recorded > 1)
		return "recorded flag is neither 0 nor 1";
	if (!amount_ok(d->expected) || !amount_ok(d->reported) ||
	    d->step < 0 || d->step > MSG_AMOUNT_MAX || d->at_ms < 0)
		return "amount, step or time out of range";
	if (d->recorded)
		return NULL;
	int64_t diff = d->expected - d->reported;
	if (d->at_ms == 0 || d->step == 0 || (diff < 0 ? -diff : diff) < d->step)
		return "a new report without its time, step or a step's difference";
	return NULL;
}

int msg_decode_drift(struct mreader *r, struct drift_report *d)
{
	memset(d, 0, sizeof(*d));
	m_get_str(r, d->symbol, sizeof(d->symbol));
	d->pos_side = m_get_u8(r);
	d->recorded = m_get_u8(r);
	d->expected = m_get_i64(r);
	d->reported = m_get_i64(r);
	d->step = m_get_i64(r);
	d->at_ms = m_get_i64(r);
	if (m_end(r) < 0)
		return -1;
	r->err = drift_wrong(d);
	return r->err ? -1 : 0;
}

int msg_encode_symbol(struct mbuf *m, uint16_t type, const char *symbol)
{
	if (!msg_symbol_ok(symbol))
		return -1;
	m_init(m, type);
	m_add_str(m, symbol);
	return m_close(m);
}

int msg_decode_symbol(struct mreader *r, char *symbol, size_t cap)
{
	m_get_str(r, symbol, cap);
	if (m_end(r) < 0)
		return -1;
	if (!msg_symbol_ok(symbol)) {
		r->err = "symbol not [A-Z0-9], 1..20 bytes";
		return -1;
	}
	return 0;
}

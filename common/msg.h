/*
 * msg.h - the messages between lane workers and the executor, encoded as
 * frames (frame.h).  Decoders check structure only (field order, lengths,
 * no trailing bytes); the executor re-checks the meaning of every request
 * against its own settings (executor/executor.c, lane_limits.c).
 */
#ifndef QIE_MSG_H
#define QIE_MSG_H

#include <stdint.h>

#include "frame.h"

#define PLAN_ID_MAX 128
#define SYMBOL_MAX 20
#define CLIENT_ORDER_ID_MAX 36
#define ERROR_MAX 256
#define MSG_LEVERAGE_MAX 125    /* the exchange's highest leverage */
#define MSG_AMOUNT_MAX (1LL << 62)      /* |a position amount| at most (1e-8) */

enum lane { LANE_MAIN = 0, LANE_MANUAL = 1, LANE_HARVEST = 2, LANE_COUNT = 3 };
/* SIDE_CLOSE: the current position, or close_fraction of it, whichever
 * side closes it (always reduce-only; the executor's backend finds the
 * side and quantity). */
enum side { SIDE_BUY = 1, SIDE_SELL = 2, SIDE_CLOSE = 3 };
/* The supervisor's children; a worker's role is its lane's (lane + 1). */
enum role { ROLE_EXECUTOR = 0, ROLE_MAIN = 1, ROLE_MANUAL = 2,
	ROLE_HARVEST = 3, ROLE_COUNT = 4 };

/* The whole position as a close fraction (1e-8 units: 1 = 1e8). */
#define CLOSE_WHOLE 100000000LL

/*
 * What tells the lanes apart, in one table (msg.c): every place that
 * treats a lane differently looks its property up here.
 */
#define LANE_F_PERMIT 1u        /* its plans wait for a P3.3 permit */
#define LANE_F_ONLY_REDUCES 2u  /* the executor refuses any request of its
				   link that is not reduce-only */
struct lane_info {
	const char *name;               /* "main", "manual", "harvest" */
	const char *consumer_suffix;    /* after the consumer base name */
	enum role role;
	unsigned flags;                 /* LANE_F_* */
	/* what a plan_id conflict names as the other lane (the lanes whose
	 * plan_ids can meet this lane's: a harvest plan_id is derived from
	 * its entry id, so only another lane's plan can take one) */
	const char *conflict_with;
};
/* The lane's entry; NULL out of range. */
const struct lane_info *lane_info(enum lane l);
/* Its flag f is set (0 out of range). */
int lane_has(enum lane l, unsigned f);

const char *lane_name(enum lane l);
/* "executor", "main", "manual", "harvest"; "?" out of range. */
const char *role_name(unsigned role);
const char *side_name(uint8_t side);

struct exec_req {
	uint32_t seq;
	char plan_id[PLAN_ID_MAX + 1];
	char symbol[SYMBOL_MAX + 1];
	uint8_t side;
	uint8_t reduce_only;
	int64_t qty;            /* 1e-8 units, as the plan asked */
	int64_t safe_qty;       /* from the permit; 0 = none */
	int64_t deadline_ms;    /* unix ms: the plan's time plus the maximum
				 * plan age; never sent after it; above 0 */
	uint8_t leverage;       /* the plan's, 1..MSG_LEVERAGE_MAX */
	int64_t close_fraction; /* side CLOSE: the part of the position to
				 * close, 1e-8 units, 1..CLOSE_WHOLE (whole:
				 * CLOSE_WHOLE); BUY and SELL: 0 */
};

struct exec_res {
	uint32_t seq;
	uint8_t executed;
	char error[ERROR_MAX];
	char order_id[64];
	char client_order_id[CLIENT_ORDER_ID_MAX + 1];
	char status[32];
	int64_t qty;            /* quantity sent after sizing */
	int64_t filled_qty;
	int64_t avg_price;
	uint8_t side;           /* the side the order went out with: SIDE_BUY
				 * or SIDE_SELL (a close's, found from the
				 * position); 0 when none or not known */
	/* After a fill, the position of the side it touched as the
	 * executor's positions say (the exchange's last read plus the fills
	 * since): position_known 1, the signed amount (+ long, - short) and
	 * its entry price; 0 (and both 0) when not known, e.g. on paper. */
	uint8_t position_known;
	int64_t position_amt;
	int64_t position_entry;
};

#define STATE_TEXT_MAX 400

/* MSG_PING / MSG_PONG: u32 seq.  MSG_VIOLATION / MSG_HUNG: u8 role. */
int msg_encode_u32(struct mbuf *m, uint16_t type, uint32_t v);
int msg_decode_u32(struct mreader *r, uint32_t *v);
int msg_encode_role(struct mbuf *m, uint16_t type, enum role role);
int msg_decode_role(struct mreader *r, enum role *role);
/* MSG_STATE: u8 ok (0 or 1), the text systemd's STATUS= shows. */
int msg_encode_state(struct mbuf *m, int ok, const char *text);
int msg_decode_state(struct mreader *r, int *ok, char *text, size_t cap);

int msg_encode_req(struct mbuf *m, const struct exec_req *q);
int msg_decode_req(struct mreader *r, struct exec_req *q);
int msg_encode_res(struct mbuf *m, const struct exec_res *s);
int msg_decode_res(struct mreader *r, struct exec_res *s);

/* A symbol as the allowlist spells it: 1..SYMBOL_MAX of [A-Z0-9]. */
int msg_symbol_ok(const char *s);

/* MSG_DRIFT: a symbol's position is not what the executor expected
 * (executor/drift.h).  Amounts are signed (+ long, - short). */
struct drift_report {
	char symbol[SYMBOL_MAX + 1];
	uint8_t pos_side;       /* the exchange's side: 0 BOTH, 1 LONG, 2 SHORT */
	uint8_t recorded;       /* 1: the main worker said the hash holds it */
	int64_t expected;       /* 1e-8 units */
	int64_t reported;
	int64_t step;           /* the symbol's stepSize; 0 unknown */
	int64_t at_ms;          /* unix ms it was found; 0 unknown */
};
/* Decoding checks the symbol, the side, the flag, the bounds, and that a
 * report not yet recorded is a detection: at_ms and step above 0 and the
 * two amounts a step or more apart. */
int msg_encode_drift(struct mbuf *m, const struct drift_report *d);
int msg_decode_drift(struct mreader *r, struct drift_report *d);
/* MSG_DRIFT_HOLD, MSG_DRIFT_CLEAR: one symbol (msg_symbol_ok). */
int msg_encode_symbol(struct mbuf *m, uint16_t type, const char *symbol);
int msg_decode_symbol(struct mreader *r, char *symbol, size_t cap);

#endif

/*
 * binance_int.h - the binance backend's state, shared by binance.c (the
 * connection policy: time offset, rate limits, bans, filters),
 * binance_prepare.c (filters and mark prices for a request),
 * binance_positions.c (the account: position mode, positions, leverage),
 * binance_drift.c (positions compared with what our fills make them),
 * binance_presend.c (an order's account part before it is sent) and
 * binance_order.c (placing and settling orders).  Not for other files.
 *
 * Everything is asynchronous: a request's work is a small state machine
 * (struct bn_op) that moves on when a transfer ends or a timer fires in
 * the event loop, so no request waits for another's exchange round trip,
 * pause or back-off.
 */
#ifndef QIE_BINANCE_INT_H
#define QIE_BINANCE_INT_H

#include <stdint.h>

#include "backend.h"
#include "binance_account.h"
#include "binance_http.h"
#include "binance_parse.h"
#include "binance_sign.h"
#include "config.h"
#include "credentials.h"
#include "loop.h"

#define BN_RECV_WINDOW_MS 5000
#define BN_FILTERS_TTL_MS (10LL * 60 * 1000)
#define BN_FILTERS_RETRY_MS 5000
#define BN_TIME_TTL_MS (30LL * 60 * 1000)
#define BN_READY_RETRY_MS 5000  /* unreachable: ask its time again after */
#define BN_MAX_WAIT_MS 3000     /* longest pause before a request */
#define BN_BAN_DEFAULT_S 120    /* a 418 without Retry-After */
#define BN_BOOK_SIZE 1024
#define BN_OPS 32               /* requests in the backend at once */
#define BN_WAITERS BN_OPS
#define BN_POSITIONS_GAP_MS 2000        /* reads after fills, at most one per */

/* An order known to exist on the exchange, as last seen. */
struct bn_book_entry {
	char coid[CLIENT_ORDER_ID_MAX + 1];
	struct exec_res res;
};

/* Ops waiting for one shared request (the time, the filters). */
struct bn_waiters {
	void (*fn[BN_WAITERS])(void *arg);
	void *arg[BN_WAITERS];
	int n;
};

struct binance {
	struct bn_http *http;
	struct credentials cred;
	struct strlist symbols;         /* the executor's allowlist */
	struct filter_table filters;
	struct bn_limits limits;
	int64_t filters_at;             /* mono ms of the last refresh; 0 never */
	int64_t filters_retry_at;
	char filters_why[200];
	struct bn_xfer filters_x;       /* the exchangeInfo request */
	struct bn_waiters filters_w;
	int64_t offset_ms;              /* server clock - our wall clock */
	int64_t synced_at;              /* mono ms; 0 never */
	int64_t time_tried_at;          /* mono ms of the last attempt */
	int64_t time_t0;                /* wall ms the time request left */
	struct bn_xfer time_x;          /* the time request */
	struct bn_waiters time_w;
	const char *base_url;           /* the settings' */
	char time_why[480];             /* why the last time request failed */
	int64_t time_logged_at;         /* mono ms: that failure's ERROR line */
	char time_logged[480];          /* the reason that line gave */
	int64_t backoff_until;          /* 429: mono ms */
	int64_t banned_until;           /* 418: mono ms */
	int64_t throttle_until;         /* near a limit: mono ms */
	struct bn_book_entry book[BN_BOOK_SIZE];
	unsigned book_next;
	/* mark prices (binance_prepare.c), each used for BN_MARK_MAX_AGE_MS */
	struct bn_mark {
		char symbol[SYMBOL_MAX + 1];
		int64_t price;
		int64_t at;             /* mono ms it was read */
	} marks[LIST_MAX];
	/* the account (binance_positions.c) */
	enum bn_pos_mode mode;
	int64_t mode_at;                /* mono ms of the last read; 0 never */
	char mode_why[160];             /* why the last read failed */
	struct bn_xfer mode_x;
	struct bn_waiters mode_w;
	struct bn_positions pos;        /* the allowed symbols' positions */
	int64_t pos_at;                 /* mono ms of the last read; 0 never */
	int pos_again;                  /* a fill while a read was under way */
	int64_t pos_asked_at;           /* mono ms the last read left */
	char pos_why[160];
	struct bn_xfer pos_x;
	struct bn_waiters pos_w;
	struct loop_timer pos_t;        /* the next read */
	int64_t pos_every_ms;           /* INTENT_EXECUTOR_DRIFT_CHECK_SEC */
	int leverage[LIST_MAX];         /* per allowed symbol; 0 unknown */
	/* drift (binance_drift.c), per allowed symbol (and BOTH/LONG/SHORT) */
	struct bn_drift {
		int64_t expect[LIST_MAX][3];    /* 1e-8, signed */
		int based[LIST_MAX];    /* expect holds a read's amounts */
		enum bn_pos_mode mode[LIST_MAX];        /* the account's, then */
		int uncertain[LIST_MAX];        /* a fill not known exactly */
		int busy[LIST_MAX];     /* its orders in the backend now */
		int touched[LIST_MAX];  /* one was, since the read left */
		int64_t fill_at[LIST_MAX];      /* mono ms of its last fill */
	} drift;
};

/* One request's work in the backend: its filters and price, its order. */
struct bn_op {
	struct binance *b;
	struct job *j;
	int used;
	int step;                       /* the file's own steps */
	struct bn_xfer x;               /* its one transfer at a time */
	struct loop_timer t;            /* its pauses */
	int tries;                      /* order POSTs so far */
	int clock_retry;                /* a look-up resent after -1021 */
	int follow;                     /* look-ups of a NEW order */
	int64_t sent_at;                /* mono ms the order left */
	int64_t pause;
	char cause[200];                /* why its outcome is unknown */
	char last[160];                 /* the last look-up's answer */
	struct bn_order o;
	/* before sending (binance_presend.c) */
	int pre;                        /* its own steps */
	int pos_reread;                 /* flat: positions asked again once */
	int mode_retry;                 /* -4061/-1106: mode read again once */
	enum bn_pos_mode mode;          /* the mode spec is for */
	struct bn_order_spec spec;      /* what is sent, in mode */
	void (*go)(struct bn_op *op);   /* the order's next step */
	int drift_busy;                 /* counted in b->drift.busy */
	int fill_counted;               /* its whole fill is in b->drift */
};

/* binance.c */
/* fn(arg) waits in w (-1: no room); bn_wait_run calls and empties them. */
int bn_wait_add(struct bn_waiters *w, void (*fn)(void *), void *arg);
void bn_wait_run(struct bn_waiters *w);
/*
 * May a request go now?  0 to go, a pause in ms (at most BN_MAX_WAIT_MS)
 * to wait first, or -1 with a result error (binance_banned:...,
 * binance_rate_limited:...).  soft=0 ignores the self-imposed slow-down
 * (settling an order must not wait for it).
 */
int64_t bn_gate(struct binance *b, int soft, char *err, size_t errlen);
/* Learns from a reply: bans, back-offs and how close the limits are. */
void bn_account(struct binance *b, const struct bn_reply *r);
/* Signs q (recvWindow, timestamp, signature) and starts it on x; an order
 * (deadline_ms > 0) is never written after its deadline. */
void bn_signed(struct binance *b, struct bn_xfer *x, int post,
    const char *path, struct bn_query *q, int64_t deadline_ms,
    bn_done_fn done, void *arg);
/*
 * The server time offset is fresh (force=0) or has just been asked again
 * (force=1): 1 when fresh now (fn is not called), else 0 and fn(arg) runs
 * from the loop once the exchange answered or failed.
 */
int bn_time(struct binance *b, int force, void (*fn)(void *), void *arg);
/* Filters loaded and not due for a refresh: 1, else as bn_time. */
int bn_filters(struct binance *b, void (*fn)(void *), void *arg);
/* The exchange's error in a reply: 0 with code and msg, -1 if none. */
int bn_reply_error(const struct bn_reply *r, long *code, char *msg,
    size_t msgsz);
/* "HTTP 503" or "timeout ..." or the exchange's error, for a log line. */
void bn_describe(const struct bn_reply *r, char *out, size_t sz);

/* The index of symbol in the allowlist (b->symbols), -1 if absent. */
int bn_symbol_index(const struct binance *b, const char *symbol);

/* binance_drift.c: what our orders make the positions, compared with the
 * exchange's at each positionRisk read (bn_drift_read_sent when it
 * leaves, bn_drift_read with its answer).  bn_drift_order(+1/-1): an
 * order of symbol enters or leaves the backend; bn_drift_fill: its fill
 * (signed) on side ps; bn_drift_uncertain: a fill not known exactly. */
void bn_drift_order(struct binance *b, const char *symbol, int delta);
void bn_drift_fill(struct binance *b, const char *symbol, enum bn_pos_side ps,
    int64_t signed_qty);
void bn_drift_uncertain(struct binance *b, const char *symbol);
void bn_drift_read_sent(struct binance *b);
void bn_drift_read(struct binance *b, const struct bn_positions *t);

/* binance_positions.c: the account, each read shared by who waits */
/* The position mode was read within BN_FILTERS_TTL_MS (force=0): 1, else
 * it is asked (again) and 0; fn(arg) once answered (b->mode_why on
 * failure, the old mode kept). */
int bn_mode(struct binance *b, int force, void (*fn)(void *), void *arg);
/* The positions were read once (force=0): 1, else as bn_mode. */
int bn_positions(struct binance *b, int force, void (*fn)(void *), void *arg);
/* A fill of qty (1e-8) at price on symbol's side ps: the position moved
 * (its amount and entry price); it is read from the exchange again soon
 * (bn_positions_changed).  The position after it, or NULL when the
 * positions were never read (not known). */
const struct bn_position *bn_positions_fill(struct binance *b,
    const char *symbol, enum bn_pos_side ps, uint8_t side, int64_t qty,
    int64_t price);
/* The positions changed: read again, at most once per BN_POSITIONS_GAP_MS
 * (a read under way is followed by one more). */
void bn_positions_changed(struct binance *b);
/* symbol's leverage as last known (0: unknown); set it after a change. */
int bn_leverage_get(const struct binance *b, const char *symbol);
void bn_leverage_set(struct binance *b, const char *symbol, int leverage);

/* binance_presend.c: the account's part of an order, before it is sent:
 * the mode (read again first with reread_mode), the position a reduce
 * acts on (op->spec, op->mode), the leverage an opening needs.  Then
 * op->go(op), with a result error in op->j->res.error when the order must
 * not be sent. */
void bn_presend(struct bn_op *op, int reread_mode,
    void (*go)(struct bn_op *op));

/* binance_prepare.c, binance_order.c: backend.h's prepare and place */
void bn_prepare(void *st, struct job *j);
void bn_place(void *st, struct job *j);
/* Takes an op for j from the pool and runs fn(op) from the loop at step
 * first; without a free op, j ends with executor_unavailable. */
void bn_op_start(struct binance *b, struct job *j, int first,
    void (*fn)(void *));
/* The job's step is over: the op goes back, j->done(j) is called. */
void bn_op_end(struct bn_op *op);

#endif

/*
 * drift.h - the symbols whose position drifted: what the exchange reports
 * differs from what the executor expected after its own fills by one step
 * or more (found by the binance backend, binance_drift.c).  Such a symbol
 * is reduce-only on every lane until the operator clears it (qiectl drift
 * clear): executor.c refuses its openings, position_drift:<SYM>, nothing
 * sent.
 *
 * The flags live in the executor's memory only; the main lane worker is
 * their courier to Redis (workers/drift.c): each detection goes to it as
 * MSG_DRIFT (sent again at every attach of the main link until it answers
 * MSG_DRIFT_HOLD, so none is lost with a worker), and it tells the
 * executor which symbols the drift hash holds (MSG_DRIFT_HOLD, then
 * MSG_DRIFT_SYNCED: so no executor restart forgets a drift) and which
 * were cleared (MSG_DRIFT_CLEAR).  Until MSG_DRIFT_SYNCED came, an opening
 * waits (up to its plan's deadline, then position_drift_unknown).  Only
 * the main lane's link may send these (main.c).
 *
 * May: keep the flags, log them, hand reports to the send function.  May
 * not: talk to Redis or the exchange.
 */
#ifndef QIE_DRIFT_H
#define QIE_DRIFT_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

/* Sends d on the main lane's link: 0, or -1 while it has none. */
typedef int (*drift_send_fn)(const struct drift_report *d);

/* From now on openings wait for MSG_DRIFT_SYNCED, and reports go to send.
 * Without it (tests of executor.c) nothing waits and nothing is sent. */
void drift_init(drift_send_fn send);

/* The binance backend found symbol's side pos_side (0 BOTH, 1 LONG, 2
 * SHORT) at reported where it expected expected (step: the symbol's
 * stepSize): flagged, an ERROR line, a report to the main worker. */
void drift_found(const char *symbol, uint8_t pos_side, int64_t expected,
    int64_t reported, int64_t step);

/* The main worker's frames: the hash holds symbol (a flag restored, or a
 * report recorded); the hash no longer holds it; every held one said. */
void drift_hold(const char *symbol);
void drift_clear(const char *symbol);
void drift_synced(void);
/* The main lane's link was attached: every flag is sent to it again. */
void drift_link_up(void);

/* Is symbol flagged?  1 with position_drift:<SYM> in err. */
int drift_refuses(const char *symbol, char *err, size_t errlen);
/* 1 once the main worker said which symbols the hash holds (or no
 * drift_init). */
int drift_known(void);
/* How many symbols are flagged. */
int drift_count(void);

#endif

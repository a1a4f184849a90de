/*
 * ledger.h - what each lane spent (spend.h), kept by the supervisor in
 * memory and in a file (INTENT_EXECUTOR_LEDGER_FILE), so that no restart
 * of the executor or of the daemon resets a rate cap or an hourly budget.
 *
 * The file is text, one record a line, appended as the executor reports
 * each order and rewritten whole (temporary file, then rename) at start
 * and when it has grown:
 *   spend <lane> <at_ms> <orders> <notional>
 * lane main|manual|harvest; at_ms the wall clock in ms; orders and notional
 * (1e-8 USDT) not negative.  Records older than an hour are dropped.
 */
#ifndef QIE_LEDGER_H
#define QIE_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "spend.h"

struct ledger {
	struct spend sp;
	int fd;                 /* the file, O_APPEND; -1 without one */
	char path[256];
	long appended;          /* lines since the last rewrite */
};

/*
 * Reads the file (a missing one is empty) and rewrites it.  -1 with err
 * for a malformed line (naming the file and line); -2 with err when the
 * file cannot be written (the ledger is then kept in memory only); a last
 * line cut short (no newline) is dropped with a warning.
 */
int ledger_open(struct ledger *lg, const char *path, int64_t now_ms,
    char *err, size_t errlen);
/* Counts one record and appends it to the file. */
void ledger_add(struct ledger *lg, enum lane lane, int64_t at_ms,
    int64_t orders, int64_t notional, int64_t now_ms);

/* One line of the file: 1 with the record, 0 blank, -1 with *why. */
int ledger_parse_line(const char *line, size_t len, enum lane *lane,
    int64_t *at_ms, int64_t *orders, int64_t *notional, const char **why);

#endif

/*
 * counters.h - the counters of the metrics hash (keys.h: KEY_METRICS): one
 * list, COUNTERS below, from which the enum and the table of names and help
 * texts are made; used by the workers (which only HINCRBY them) and by
 * `qiectl metrics`.  Adding a counter is one line in COUNTERS.
 */
#ifndef QIE_COUNTERS_H
#define QIE_COUNTERS_H

/*
 * X(enum name, hash field, help, per role): a per-role counter is also
 * counted as <field>_executor, _main, _manual, _harvest.  The contract's fields come
 * first, in its order (qiectl metrics always shows them).
 */
#define COUNTERS(X)                                                          \
	X(C_PROCESSED, "processed", "Plans processed past the lane guards.", 0) \
	X(C_EXECUTED_TRUE, "executed_true", "Plans whose order was executed.", 0) \
	X(C_EXECUTED_FALSE, "executed_false",                                 \
	    "Plans decided without an executed order.", 0)                    \
	X(C_BLOCKED_SOURCE, "blocked_source",                                 \
	    "Main-lane plans skipped: source not in the source allowlist.", 0) \
	X(C_MANUAL_CONSUMED, "manual_consumed",                               \
	    "Manual-lane plans consumed while the manual lane was enabled.", 0) \
	X(C_MANUAL_BLOCKED_DISABLED, "manual_blocked_disabled",               \
	    "Manual-lane plans skipped: the manual lane was disabled.", 0)     \
	X(C_MANUAL_PROCESSED, "manual_processed",                             \
	    "Manual-lane plans processed.", 0)                                \
	X(C_P35_GUARD_BLOCKED, "p35_guard_blocked",                           \
	    "Plans not executed because their decision was not EXECUTE.", 0)  \
	X(C_DUPLICATE_SKIPPED, "duplicate_skipped",                           \
	    "Entries acknowledged without a result: their plan was decided "   \
	    "already.", 0)                                                    \
	X(C_SKIPPED_OBSOLETE, "skipped_obsolete",                             \
	    "Entries in the obsolete plan format, acknowledged and skipped.", 0) \
	X(C_DEAD_LETTERED, "dead_lettered",                                   \
	    "Entries moved to <stream>.dead after too many deliveries.", 0)    \
	X(C_SANDBOX_VIOLATIONS, "sandbox_violations",                         \
	    "Children killed by their seccomp filter.", 1)                    \
	X(C_CHILD_HANGS, "child_hangs",                                       \
	    "Children killed because they stopped answering the supervisor.", 1) \
	X(C_PLAN_ID_CONFLICT, "plan_id_conflict",                             \
	    "Entries refused: their plan_id was taken by the other lane.", 0)  \
	X(C_BREAKER_TRIPS, "breaker_trips",                                   \
	    "Times a lane's circuit breaker halted that lane.", 0)            \
	X(C_ORDERS_ATTEMPTED, "orders_attempted",                             \
	    "Orders the executor tried to place on the exchange.", 0)         \
	X(C_ORDERS_FAILED, "orders_failed",                                   \
	    "Orders tried on the exchange that did not execute: refused, "     \
	    "failed, or of unknown outcome.", 0)                                \
	X(C_HARVEST_EXECUTED, "harvest_executed",                             \
	    "Harvest-lane entries whose close executed.", 0)                  \
	X(C_HARVEST_FAILED, "harvest_failed",                                 \
	    "Harvest-lane entries decided without a close, except those "     \
	    "skipped because the position was flat.", 0)                      \
	X(C_POSITION_DRIFT, "position_drift",                                 \
	    "Positions found to differ from what the executor expected "      \
	    "(the symbol turned reduce-only).", 0)

#define COUNTER_ENUM(e, name, help, per_role) e,
enum counter { COUNTERS(COUNTER_ENUM) C_COUNT };
#undef COUNTER_ENUM
/* the contract's fields are C_PROCESSED .. C_P35_GUARD_BLOCKED */
#define C_CONTRACT_END (C_P35_GUARD_BLOCKED + 1)

struct counter_info {
	const char *name;       /* the hash field */
	const char *help;       /* one sentence, for qiectl and Prometheus */
	int per_role;           /* also counted as <name>_<role> (role_name()) */
};

/* The entry of c; NULL out of range. */
const struct counter_info *counter(enum counter c);
/* The field's name, e.g. "executed_true"; "?" out of range. */
const char *counter_name(enum counter c);

#endif

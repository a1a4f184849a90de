/*
 * counters.h - the counters of the metrics hash (keys.h: KEY_METRICS), one
 * enum and one table of names and help texts, used by the workers (which
 * only HINCRBY them) and by `qiectl metrics`.  Adding a counter is one
 * line in counters.c's table and one name here.
 */
#ifndef QIE_COUNTERS_H
#define QIE_COUNTERS_H

enum counter {
	/* the contract's fields, in its order */
	C_PROCESSED,
	C_EXECUTED_TRUE,
	C_EXECUTED_FALSE,
	C_BLOCKED_SOURCE,
	C_MANUAL_CONSUMED,
	C_MANUAL_BLOCKED_DISABLED,
	C_MANUAL_PROCESSED,
	C_P35_GUARD_BLOCKED,
	C_CONTRACT_END,
	/* ours */
	C_DUPLICATE_SKIPPED = C_CONTRACT_END,
	C_SKIPPED_OBSOLETE,
	C_DEAD_LETTERED,
	C_PLAN_ID_CONFLICT,
	C_BREAKER_TRIPS,
	C_SANDBOX_VIOLATIONS,   /* also per role: <name>_<role> */
	C_CHILD_HANGS,          /* also per role: <name>_<role> */
	C_COUNT
};

struct counter_info {
	const char *name;       /* the hash field */
	const char *help;       /* one sentence, for qiectl and Prometheus */
	int per_role;           /* also counted as <name>_executor/_main/_manual */
};

/* The entry of c; every enum value has one (test_counters.c). */
const struct counter_info *counter(enum counter c);
/* The field's name, e.g. "executed_true". */
const char *counter_name(enum counter c);

#endif

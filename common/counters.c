/*
 * counters.c - the table of counters.h.
 */
#include "counters.h"

#include <stddef.h>

static const struct counter_info table[C_COUNT] = {
	[C_PROCESSED] = { "processed", "Plans processed past the lane guards.", 0 },
	[C_EXECUTED_TRUE] = { "executed_true", "Plans whose order was executed.", 0 },
	[C_EXECUTED_FALSE] = { "executed_false",
	    "Plans decided without an executed order.", 0 },
	[C_BLOCKED_SOURCE] = { "blocked_source",
	    "Main-lane plans skipped: source not in the source allowlist.", 0 },
	[C_MANUAL_CONSUMED] = { "manual_consumed",
	    "Manual-lane plans consumed while the manual lane was enabled.", 0 },
	[C_MANUAL_BLOCKED_DISABLED] = { "manual_blocked_disabled",
	    "Manual-lane plans skipped: the manual lane was disabled.", 0 },
	[C_MANUAL_PROCESSED] = { "manual_processed",
	    "Manual-lane plans processed.", 0 },
	[C_P35_GUARD_BLOCKED] = { "p35_guard_blocked",
	    "Plans not executed because their decision was not EXECUTE.", 0 },
	[C_DUPLICATE_SKIPPED] = { "duplicate_skipped",
	    "Entries acknowledged without a result: their plan was decided "
	    "already.", 0 },
	[C_SKIPPED_OBSOLETE] = { "skipped_obsolete",
	    "Entries in the obsolete plan format, acknowledged and skipped.", 0 },
	[C_DEAD_LETTERED] = { "dead_lettered",
	    "Entries moved to <stream>.dead after too many deliveries.", 0 },
	[C_PLAN_ID_CONFLICT] = { "plan_id_conflict",
	    "Entries refused because the other lane has a plan with their "
	    "plan_id.", 0 },
	[C_BREAKER_TRIPS] = { "breaker_trips",
	    "Times a lane's circuit breaker halted its lane.", 0 },
	[C_SANDBOX_VIOLATIONS] = { "sandbox_violations",
	    "Children killed by their seccomp filter.", 1 },
	[C_CHILD_HANGS] = { "child_hangs",
	    "Children killed because they stopped answering the supervisor.", 1 },
};

const struct counter_info *counter(enum counter c)
{
	return c < C_COUNT ? &table[c] : NULL;
}

const char *counter_name(enum counter c)
{
	return c < C_COUNT ? table[c].name : "?";
}

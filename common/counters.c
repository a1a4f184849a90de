/*
 * counters.c - the table of counters.h, made from its COUNTERS list.
 */
#include "counters.h"

#include <stddef.h>

#define COUNTER_ROW(e, name, help, per_role) [e] = { name, help, per_role },
static const struct counter_info table[C_COUNT] = { COUNTERS(COUNTER_ROW) };
#undef COUNTER_ROW

const struct counter_info *counter(enum counter c)
{
	return (unsigned)c < C_COUNT ? &table[c] : NULL;
}

const char *counter_name(enum counter c)
{
	return (unsigned)c < C_COUNT ? table[c].name : "?";
}

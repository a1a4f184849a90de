/*
 * test_counters.c - the one table of counters (common/counters.c).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "counters.h"

Test(counters, every_counter_has_a_name_and_help)
{
	for (int c = 0; c < C_COUNT; c++) {
		const struct counter_info *k = counter((enum counter)c);
		cr_assert_not_null(k, "counter %d", c);
		cr_assert_not_null(k->name, "counter %d has no name", c);
		cr_assert_not_null(k->help, "%s has no help", k->name);
		cr_assert_gt(strlen(k->help), 10, "%s: help too short", k->name);
		for (const char *p = k->name; *p; p++)
			cr_assert((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			    *p == '_', "%s: not a plain field name", k->name);
		for (int d = 0; d < c; d++)
			cr_assert_str_neq(k->name, counter_name((enum counter)d),
			    "%s twice", k->name);
	}
	cr_assert_null(counter(C_COUNT));
	cr_assert_str_eq(counter_name(C_COUNT), "?");
}

Test(counters, the_contracts_fields_come_first_in_its_order)
{
	static const char *const contract[] = { "processed", "executed_true",
		"executed_false", "blocked_source", "manual_consumed",
		"manual_blocked_disabled", "manual_processed", "p35_guard_blocked" };
	cr_assert_eq(C_CONTRACT_END, sizeof(contract) / sizeof(contract[0]));
	for (int c = 0; c < C_CONTRACT_END; c++)
		cr_assert_str_eq(counter_name((enum counter)c), contract[c]);
}

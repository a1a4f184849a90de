/*
 * test_boolean.c - common/boolean.c, the one reader of a boolean written
 * as text: exactly true/false, yes/no, 1/0 in any case.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "boolean.h"

Test(boolean, the_six_words_in_any_case)
{
	static const struct {
		const char *v;
		int want;
	} good[] = {
		{ "true", 1 }, { "TRUE", 1 }, { "True", 1 }, { "tRuE", 1 },
		{ "yes", 1 }, { "YES", 1 }, { "Yes", 1 }, { "1", 1 },
		{ "false", 0 }, { "FALSE", 0 }, { "False", 0 }, { "fAlSe", 0 },
		{ "no", 0 }, { "NO", 0 }, { "No", 0 }, { "0", 0 },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int v = -7;
		cr_assert_eq(bool_parse(good[i].v, strlen(good[i].v), &v), 0,
		    "\"%s\" is a boolean", good[i].v);
		cr_assert_eq(v, good[i].want, "\"%s\"", good[i].v);
	}
}

Test(boolean, anything_else_is_refused_and_out_untouched)
{
	static const char *const bad[] = {
		"", " ", "true ", " true", "true\n", "\ttrue", "maybe", "on", "off",
		"ON", "y", "n", "t", "f", "tru", "truex", "yess", "nope", "2", "-1",
		"01", "00", "1.0", "0.0", "+1", "null", "none", "\"true\"",
		"enabled", "disabled", "ja", "nein",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int v = -7;
		cr_assert_eq(bool_parse(bad[i], strlen(bad[i]), &v), -1,
		    "\"%s\" is refused", bad[i]);
		cr_assert_eq(v, -7, "\"%s\": out untouched", bad[i]);
	}
}

Test(boolean, length_is_the_given_one)
{
	int v = -7;
	cr_assert_eq(bool_parse("true\0x", 6, &v), -1, "a NUL inside");
	cr_assert_eq(bool_parse("truex", 4, &v), 0, "the first 4 bytes");
	cr_assert_eq(v, 1);
	cr_assert_eq(bool_parse("1", 0, &v), -1, "empty");
	cr_assert_eq(bool_parse(NULL, 0, &v), -1, "NULL, empty");
}

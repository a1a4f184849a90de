/*
 * boolean.h - the one reader of a boolean written as text: plan fields
 * (reduceOnly), permit fields in either encoding (allow, granted), and
 * the settings of type boolean.  README.md, "Booleans", lists the
 * spellings and what each reader does with any other text.
 */
#ifndef QIE_BOOLEAN_H
#define QIE_BOOLEAN_H

#include <stddef.h>

/*
 * The n bytes at s as a boolean: true, yes, 1 (1) or false, no, 0 (0), in
 * any case, nothing around them (no space, no NUL).  0 with *out set, or
 * -1 for any other text (s may be NULL when n is 0).
 */
int bool_parse(const char *s, size_t n, int *out);

#endif

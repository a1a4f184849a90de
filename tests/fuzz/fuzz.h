/*
 * fuzz.h - helpers shared by the libFuzzer targets in tests/fuzz/.
 *
 * Every target defines LLVMFuzzerTestOneInput(); these helpers split an
 * input into separately allocated fields (so AddressSanitizer sees a read
 * past any one field, not only past the whole input) and state invariants:
 * FUZZ_CHECK() aborts with the condition and line, which libFuzzer reports
 * as a crash and saves the input for.
 */
#ifndef QIE_FUZZ_H
#define QIE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",   \
			    __FILE__, __LINE__, #cond);                    \
			abort();                                           \
		}                                                          \
	} while (0)

/* The default settings (config_load() on an environment without any
 * INTENT_EXECUTOR_* variable, whatever the shell has), for
 * LLVMFuzzerInitialize(); aborts if they do not load. */
static inline void fuzz_default_settings(struct settings *s)
{
	static char *empty_env[] = { NULL };
	extern char **environ;
	char err[256];

	environ = empty_env;
	if (config_load(s, err, sizeof(err)) < 0) {
		fprintf(stderr, "config_load: %s\n", err);
		abort();
	}
}

/* s holds a NUL within sz bytes, and every byte before it is in 0x20..0x7e. */
static inline int fuzz_printable(const char *s, size_t sz)
{
	for (size_t i = 0; i < sz; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\0')
			return 1;
		if (c < 0x20 || c >= 0x7f)
			return 0;
	}
	return 0;
}

/* s holds a NUL within sz bytes. */
static inline int fuzz_terminated(const char *s, size_t sz)
{
	return memchr(s, '\0', sz) != NULL;
}

/* A NUL-terminated copy of the input (cut at its first NUL byte). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * Splits the input on sep into at most max fields, each copied into its
 * own allocation of exactly its length (malloc(0) for an empty one, a
 * zero-byte region to AddressSanitizer).  One trailing sep is
 * dropped, so a text file ending in a newline holds no empty last field.
 * Returns the number of fields; free with fuzz_free_fields().
 */
static inline size_t fuzz_split(const uint8_t *data, size_t size, uint8_t sep,
    struct bytes *out, size_t max)
{
	size_t nf = 0, start = 0;

	if (size > 0 && data[size - 1] == sep)
		size--;
	if (size == 0)
		return 0;
	for (size_t i = 0; i <= size && nf < max; i++) {
		if (i < size && data[i] != sep)
			continue;
		size_t n = i - start;
		char *p = malloc(n);    /* glibc and ASan: non-NULL for 0 */
		if (!p)
			abort();
		memcpy(p, data + start, n);
		out[nf].p = p;
		out[nf].n = n;
		nf++;
		start = i + 1;
	}
	return nf;
}

static inline void fuzz_free_fields(struct bytes *f, size_t nf)
{
	for (size_t i = 0; i < nf; i++)
		free((void *)f[i].p);
}

#endif

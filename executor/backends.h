/*
 * backends.h - what each backend needs, in one descriptor: its name, its
 * credentials, its sandbox (the files it reads, its threads, its TCP port)
 * and how it starts.  The executor's main.c knows no backend by name; a
 * new backend is its own files, a row in backends.c and its name in
 * common/config.c's backend_names (same order).
 */
#ifndef QIE_BACKENDS_H
#define QIE_BACKENDS_H

#include "backend.h"
#include "config.h"
#include "credentials.h"

struct backend_desc {
	const char *name;               /* its INTENT_EXECUTOR_BACKEND value */
	int needs_credentials;          /* the exchange's key and secret */
	const char *const *ro_paths;    /* read in the sandbox; NULL: nothing */
	int threads;                    /* RLIMIT_NPROC in the sandbox */
	/* its TCP port (the sandbox allows that one); 0 none, -1 with err */
	int (*port)(const struct settings *s, char *err, size_t errlen);
	/* Starts it (before the sandbox); -1 with err.  c is NULL when it
	 * needs none; it keeps its own copy. */
	int (*init)(struct backend *b, const struct settings *s,
	    const struct credentials *c, char *err, size_t errlen);
};

/* The descriptor of settings' INTENT_EXECUTOR_BACKEND. */
const struct backend_desc *backend_desc(const struct settings *s);
/* The i-th descriptor; NULL past the end (for tests). */
const struct backend_desc *backend_desc_at(int i);

#endif

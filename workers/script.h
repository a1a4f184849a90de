/*
 * script.h - the worker's Lua scripts, sent by their SHA1 (EVALSHA) on a
 * connection where Redis has them, else with their text (EVAL).
 *
 * A script's SHA1 is learnt from Redis once (SCRIPT LOAD, one round trip,
 * when nothing is pipelined on the connection), and the script is sent as
 * EVALSHA from then on.  On a new connection, or after Redis answered
 * NOSCRIPT on it (its script cache was flushed: conn_script_gen()), the
 * next call goes as EVAL, which caches the script again, and the calls
 * after it as EVALSHA.  So a NOSCRIPT reply is followed by an EVAL: a
 * caller that reads one (conn_noscript()) has nothing written and tries
 * again.  Where SCRIPT LOAD is refused (an ACL without it), the script
 * goes as EVAL on that connection.
 *
 * May: talk to the connection it is given (conn.c).  May not: know what a
 * script does.
 */
#ifndef QIE_SCRIPT_H
#define QIE_SCRIPT_H

#include <stddef.h>

#include "conn.h"

struct script {
	const char *name;               /* for the log: "the claim script" */
	const char *text;
	char sha[41];                   /* "" until SCRIPT LOAD said it */
	unsigned long gen;              /* Redis has it at this
					   conn_script_gen(); 0: not known */
	unsigned long refused;          /* SCRIPT LOAD refused at this gen */
};

#define SCRIPT_INIT(name, text) { (name), (text), "", 0, 0 }

/*
 * SCRIPT LOAD of s on k, now (nothing may be pipelined on k): 0, or -1
 * when Redis refused it or was lost (logged once per connection; s then
 * goes as EVAL on k).
 */
int script_load(struct conn *k, struct script *s);

/*
 * The command's first two arguments for s on k's pipeline: EVALSHA and the
 * SHA1, or EVAL and the text (see above; with eval set always EVAL: inside
 * a MULTI, where a NOSCRIPT would not stop the transaction's other
 * commands).  When s's SHA1 is not known yet and nothing is pipelined, it
 * is loaded first.
 */
void script_head(struct script *s, struct conn *k, int eval,
    const char **argv, size_t *len);

/* 1 when s goes as EVALSHA on k now. */
int script_by_sha(const struct script *s, const struct conn *k);

#endif

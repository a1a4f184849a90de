/*
 * idle.h - work that a long wait runs now and then.  The executor's main
 * loop registers the answer to the supervisor's liveness pings here, and
 * the backends' blocking calls (an exchange request, a pause before one)
 * run it while they wait, so a request that waits for the exchange is
 * not mistaken for a hang.  One callback at a time; none by default.
 */
#ifndef QIE_IDLE_H
#define QIE_IDLE_H

void idle_set(void (*fn)(void));
/* Runs the callback, if any.  Safe to call from any depth. */
void idle_run(void);

#endif

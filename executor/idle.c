/*
 * idle.c - the callback of idle.h.
 */
#include "idle.h"

#include <stddef.h>

static void (*idle_fn)(void);
static int running;

void idle_set(void (*fn)(void))
{
	idle_fn = fn;
}

void idle_run(void)
{
	if (!idle_fn || running)
		return;
	running = 1;
	idle_fn();
	running = 0;
}

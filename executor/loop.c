/*
 * loop.c - the executor's event loop (see loop.h).
 */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>

#include "clock.h"
#include "log.h"

struct watch {
	int fd;
	short events;
	void (*fn)(void *arg, int fd, short revents);
	void *arg;
};

static struct watch watches[LOOP_FDS_MAX];
static int nwatch;
static struct loop_timer *timers;
static unsigned round_no;

static struct watch *find(int fd)
{
	for (int i = 0; i < nwatch; i++)
		if (watches[i].fd == fd)
			return &watches[i];
	return NULL;
}

int loop_watch(int fd, short events, void (*fn)(void *arg, int fd,
    short revents), void *arg)
{
	struct watch *w = find(fd);
	if (!w) {
		if (nwatch >= LOOP_FDS_MAX)
			return -1;
		w = &watches[nwatch++];
	}
	*w = (struct watch){ .fd = fd, .events = events, .fn = fn, .arg = arg };
	return 0;
}

void loop_unwatch(int fd)
{
	struct watch *w = find(fd);
	if (w)
		*w = watches[--nwatch];
}

static void unlink_timer(struct loop_timer *t)
{
	for (struct loop_timer **p = &timers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	t->next = NULL;
	t->armed = 0;
}

void loop_at(struct loop_timer *t, int64_t at, void (*fn)(void *arg),
    void *arg)
{
	if (t->armed)
		unlink_timer(t);
	t->at = at;
	t->fn = fn;
	t->arg = arg;
	t->armed = 1;
	t->round = round_no;
	t->next = timers;
	timers = t;
}

void loop_cancel(struct loop_timer *t)
{
	if (t->armed)
		unlink_timer(t);
}

static int wait_ms(int max_ms)
{
	int64_t now = mono_ms(), next = -1;
	for (const struct loop_timer *t = timers; t; t = t->next)
		if (next < 0 || t->at < next)
			next = t->at;
	if (next < 0)
		return max_ms;
	int64_t d = next <= now ? 0 : next - now;
	if (max_ms >= 0 && d > max_ms)
		d = max_ms;
	return d > 1000000 ? 1000000 : (int)d;
}

/* Timers due now, each once: one armed during this phase waits a turn. */
static void run_timers(void)
{
	int64_t now = mono_ms();
	unsigned r = ++round_no;
	for (;;) {
		struct loop_timer *t = timers;
		while (t && !(t->at <= now && t->round != r))
			t = t->next;
		if (!t)
			return;
		unlink_timer(t);
		t->fn(t->arg);
	}
}

void loop_turn(int max_ms)
{
	struct pollfd p[LOOP_FDS_MAX];
	int n = nwatch;
	for (int i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = watches[i].fd,
			.events = watches[i].events };
	int k = poll(p, (nfds_t)n, wait_ms(max_ms));
	if (k < 0 && errno != EINTR)
		fatal("poll");
	for (int i = 0; k > 0 && i < n; i++) {
		if (!p[i].revents)
			continue;
		/* an earlier callback may have removed or replaced it */
		struct watch *w = find(p[i].fd);
		if (w)
			w->fn(w->arg, p[i].fd, p[i].revents);
	}
	run_timers();
}

int loop_run_until(int (*done)(void *arg), void *arg, int timeout_ms)
{
	int64_t until = mono_ms() + timeout_ms;
	while (!done(arg)) {
		int64_t left = until - mono_ms();
		if (left <= 0)
			return -1;
		loop_turn((int)left);
	}
	return 0;
}

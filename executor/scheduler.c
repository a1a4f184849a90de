/*
 * scheduler.c - per-lane queues, per-lane limits, one request per symbol
 * in flight (see scheduler.h).
 */
#include "scheduler.h"

#include <stddef.h>
#include <string.h>

static const int lane_max[LANE_COUNT] = {
	[LANE_MAIN] = SCHED_INFLIGHT_MAIN,
	[LANE_MANUAL] = SCHED_INFLIGHT_MANUAL,
	[LANE_HARVEST] = SCHED_INFLIGHT_HARVEST,
};

/* Which lane's work starts first: manual, then exits, then opens. */
static const enum lane order[LANE_COUNT] = { LANE_MANUAL, LANE_HARVEST,
	LANE_MAIN };

static int clamp(int v, int max)
{
	return v < 1 ? 1 : v > max ? max : v;
}

void sched_init(struct sched *s, int main_limit, int manual_limit)
{
	memset(s, 0, sizeof(*s));
	s->limit[LANE_MAIN] = clamp(main_limit, lane_max[LANE_MAIN]);
	s->limit[LANE_MANUAL] = clamp(manual_limit, lane_max[LANE_MANUAL]);
	s->limit[LANE_HARVEST] = lane_max[LANE_HARVEST];
}

int sched_push(struct sched *s, struct sched_item *it)
{
	if (it->lane >= LANE_COUNT || s->queued[it->lane] >= SCHED_QUEUE_MAX)
		return -1;
	it->next = NULL;
	it->state = SI_QUEUED;
	if (s->tail[it->lane])
		s->tail[it->lane]->next = it;
	else
		s->head[it->lane] = it;
	s->tail[it->lane] = it;
	s->queued[it->lane]++;
	return 0;
}

/* Unlinks it from its lane's queue; prev is the item before it or NULL. */
static void unlink_item(struct sched *s, struct sched_item *prev,
    struct sched_item *it)
{
	enum lane l = it->lane;
	if (prev)
		prev->next = it->next;
	else
		s->head[l] = it->next;
	if (s->tail[l] == it)
		s->tail[l] = prev;
	it->next = NULL;
	it->state = SI_IDLE;
	s->queued[l]--;
}

static int symbol_busy(const struct sched *s, const char *symbol)
{
	for (int i = 0; i < s->nrun; i++)
		if (strcmp(s->run[i]->symbol, symbol) == 0)
			return 1;
	return 0;
}

/* The first queued item past its deadline, in the lanes' order. */
static struct sched_item *take_expired(struct sched *s, int64_t now_ms)
{
	for (size_t k = 0; k < LANE_COUNT; k++) {
		struct sched_item *prev = NULL;
		for (struct sched_item *it = s->head[order[k]]; it; it = it->next) {
			if (it->deadline_ms <= now_ms) {
				unlink_item(s, prev, it);
				return it;
			}
			prev = it;
		}
	}
	return NULL;
}

/* The lane's first item whose symbol has nothing in flight. */
static struct sched_item *take_ready(struct sched *s, enum lane l)
{
	struct sched_item *prev = NULL;
	if (s->running[l] >= s->limit[l])
		return NULL;
	for (struct sched_item *it = s->head[l]; it; it = it->next) {
		if (!symbol_busy(s, it->symbol)) {
			unlink_item(s, prev, it);
			it->state = SI_RUNNING;
			s->running[l]++;
			s->run[s->nrun++] = it;
			return it;
		}
		prev = it;
	}
	return NULL;
}

struct sched_item *sched_next(struct sched *s, int64_t now_ms, int *expired)
{
	struct sched_item *it = take_expired(s, now_ms);
	*expired = it != NULL;
	for (size_t k = 0; !it && k < LANE_COUNT; k++)
		it = take_ready(s, order[k]);
	return it;
}

void sched_done(struct sched *s, struct sched_item *it)
{
	for (int i = 0; i < s->nrun; i++) {
		if (s->run[i] == it) {
			s->run[i] = s->run[--s->nrun];
			s->running[it->lane]--;
			it->state = SI_IDLE;
			return;
		}
	}
}

int sched_cancel(struct sched *s, struct sched_item *it)
{
	if (it->state != SI_QUEUED)
		return -1;
	struct sched_item *prev = NULL;
	for (struct sched_item *x = s->head[it->lane]; x; x = x->next) {
		if (x == it) {
			unlink_item(s, prev, it);
			return 0;
		}
		prev = x;
	}
	return -1;
}

int64_t sched_next_deadline(const struct sched *s)
{
	int64_t t = INT64_MAX;
	for (int l = 0; l < LANE_COUNT; l++)
		for (const struct sched_item *it = s->head[l]; it; it = it->next)
			if (it->deadline_ms < t)
				t = it->deadline_ms;
	return t;
}

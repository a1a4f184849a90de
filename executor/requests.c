/*
 * requests.c - the executor's requests: a pool of slots, the scheduler
 * and the deadline timer (see requests.h).
 */
#include "requests.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "loop.h"
#include "scheduler.h"

#define SLOTS (LANE_COUNT * SCHED_QUEUE_MAX + SCHED_INFLIGHT_MAIN + \
	SCHED_INFLIGHT_MANUAL + SCHED_INFLIGHT_HARVEST)

struct slot {
	struct sched_item si;
	struct job j;
	unsigned gen;           /* its link's generation */
	int used;
};

static struct {
	struct exec_env *env;
	deliver_fn deliver;
	struct sched sched;
	struct slot slots[SLOTS];
	struct loop_timer deadline;     /* the next waiting request's */
	unsigned long long served[LANE_COUNT];
} R;

static void pump(void);

void requests_init(struct exec_env *env, deliver_fn deliver)
{
	R.env = env;
	R.deliver = deliver;
	sched_init(&R.sched, SCHED_INFLIGHT_MAIN, SCHED_INFLIGHT_MANUAL);
}

static struct slot *slot_of_item(struct sched_item *it)
{
	return (struct slot *)(void *)((char *)it - offsetof(struct slot, si));
}

static void answer(struct slot *sl)
{
	R.served[sl->si.lane]++;
	R.deliver(sl->si.lane, sl->gen, &sl->j.res);
	sl->used = 0;
}

static void finished(struct job *j)
{
	struct slot *sl = j->owner;
	sched_done(&R.sched, &sl->si);
	answer(sl);
	pump();
}

static void on_deadline(void *arg)
{
	(void)arg;
	pump();
}

/* Starts what may start; answers what is past its deadline. */
static void pump(void)
{
	struct sched_item *it;
	int expired;
	while ((it = sched_next(&R.sched, wall_ms(), &expired))) {
		struct slot *sl = slot_of_item(it);
		if (!expired) {
			executor_start(R.env, it->lane, &sl->j, finished);
			continue;
		}
		memset(&sl->j.res, 0, sizeof(sl->j.res));
		sl->j.res.seq = sl->j.q.seq;
		sl->j.max_age_sec = R.env->s->max_plan_age_sec;
		if (!job_stale(&sl->j, wall_ms()))     /* sched_next said so */
			snprintf(sl->j.res.error, sizeof(sl->j.res.error),
			    "plan_stale:deadline passed");
		answer(sl);
	}
	int64_t next = sched_next_deadline(&R.sched);
	if (next == INT64_MAX)
		loop_cancel(&R.deadline);
	else
		loop_at(&R.deadline, mono_ms() + (next - wall_ms()) + 1, on_deadline,
		    NULL);
}

static struct slot *slot_get(void)
{
	for (int i = 0; i < SLOTS; i++)
		if (!R.slots[i].used)
			return &R.slots[i];
	return NULL;
}

void requests_add(enum lane lane, unsigned gen, const struct exec_req *q)
{
	struct slot *sl = slot_get();
	if (sl) {
		memset(sl, 0, sizeof(*sl));
		sl->used = 1;
		sl->gen = gen;
		sl->j.q = *q;
		sl->j.deadline_ms = q->deadline_ms;
		sl->j.owner = sl;
		sl->si.lane = lane;
		snprintf(sl->si.symbol, sizeof(sl->si.symbol), "%s", q->symbol);
		sl->si.deadline_ms = q->deadline_ms;
		if (sched_push(&R.sched, &sl->si) == 0)
			return pump();
		sl->used = 0;
	}
	struct exec_res res = { .seq = q->seq };
	snprintf(res.status, sizeof(res.status), "NOT_SENT");
	snprintf(res.error, sizeof(res.error), "executor_unavailable:lane %s "
	    "queue full", lane_name(lane));
	log_warn("lane %s: request %u refused: the lane's queue is full",
	    lane_name(lane), q->seq);
	R.served[lane]++;
	R.deliver(lane, gen, &res);
}

void requests_drop(enum lane lane, unsigned gen)
{
	int n = 0;
	for (int i = 0; i < SLOTS; i++) {
		struct slot *sl = &R.slots[i];
		if (sl->used && sl->si.lane == lane && sl->gen == gen &&
		    sched_cancel(&R.sched, &sl->si) == 0) {
			sl->used = 0;
			n++;
		}
	}
	if (n)
		log_info("lane %s: %d waiting request(s) dropped with the link",
		    lane_name(lane), n);
	pump();
}

int requests_running(void)
{
	int n = 0;
	for (int l = 0; l < LANE_COUNT; l++)
		n += R.sched.running[l];
	return n;
}

unsigned long long requests_served(enum lane lane)
{
	return R.served[lane];
}

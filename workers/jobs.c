/*
 * jobs.c - job pool and per-symbol queues (see jobs.h).
 */
#include "jobs.h"

#include <string.h>

void jobs_init(struct jobs *j)
{
	memset(j, 0, sizeof(*j));
}

int jobs_room(const struct jobs *j)
{
	return JOBS_MAX - j->used;
}

struct job *jobs_new(struct jobs *j)
{
	for (int i = 0; i < JOBS_MAX; i++) {
		if (j->pool[i].state == JOB_FREE) {
			memset(&j->pool[i], 0, sizeof(j->pool[i]));
			j->pool[i].state = JOB_QUEUED;
			j->used++;
			return &j->pool[i];
		}
	}
	return NULL;
}

int jobs_enqueue(struct jobs *j, struct job *job)
{
	int s = job->sym;
	job->next = NULL;
	if (!j->head[s]) {
		j->head[s] = j->tail[s] = job;
		return 1;
	}
	j->tail[s]->next = job;
	j->tail[s] = job;
	return 0;
}

static void job_free(struct jobs *j, struct job *job)
{
	job->state = JOB_FREE;
	job->next = NULL;
	j->used--;
}

struct job *jobs_pop(struct jobs *j, struct job *job)
{
	int s = job->sym;
	if (j->head[s] != job)
		return NULL;
	j->head[s] = job->next;
	if (!j->head[s])
		j->tail[s] = NULL;
	job_free(j, job);
	return j->head[s];
}

void jobs_drop_unsent(struct jobs *j)
{
	for (int s = 0; s < LIST_MAX; s++) {
		struct job *h = j->head[s];
		if (!h)
			continue;
		int keep = h->state == JOB_SENT || h->state == JOB_UNWRITTEN;
		struct job *n = keep ? h->next : h;
		while (n) {
			struct job *next = n->next;
			job_free(j, n);
			n = next;
		}
		if (keep) {
			h->next = NULL;
			j->tail[s] = h;
		} else {
			j->head[s] = j->tail[s] = NULL;
		}
	}
}

struct job *jobs_by_stream_id(struct jobs *j, const char *id)
{
	for (int i = 0; i < JOBS_MAX; i++)
		if (j->pool[i].state != JOB_FREE &&
		    strcmp(j->pool[i].stream_id, id) == 0)
			return &j->pool[i];
	return NULL;
}

struct job *jobs_by_plan_id(struct jobs *j, const char *plan_id)
{
	for (int i = 0; i < JOBS_MAX; i++)
		if (j->pool[i].state != JOB_FREE &&
		    strcmp(j->pool[i].ok.plan_id, plan_id) == 0)
			return &j->pool[i];
	return NULL;
}

struct job *jobs_by_seq(struct jobs *j, uint32_t seq)
{
	for (int i = 0; i < JOBS_MAX; i++)
		if (j->pool[i].state == JOB_SENT && j->pool[i].seq == seq)
			return &j->pool[i];
	return NULL;
}

int jobs_count(const struct jobs *j, enum job_state st)
{
	int n = 0;
	for (int i = 0; i < JOBS_MAX; i++)
		n += j->pool[i].state == st;
	return n;
}

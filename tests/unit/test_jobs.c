/*
 * test_jobs.c - workers/jobs.c: the job pool and its per-symbol FIFOs.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "jobs.h"

static struct jobs J;

static struct job *add(int sym, const char *plan_id, int *is_head)
{
	struct job *j = jobs_new(&J);
	cr_assert_not_null(j, "pool full too early");
	cr_assert_eq(j->state, JOB_QUEUED);
	j->sym = sym;
	snprintf(j->ok.plan_id, sizeof(j->ok.plan_id), "%s", plan_id);
	snprintf(j->stream_id, sizeof(j->stream_id), "1700000000000-%s", plan_id);
	int h = jobs_enqueue(&J, j);
	if (is_head)
		*is_head = h;
	return j;
}

Test(jobs, init_and_room)
{
	jobs_init(&J);
	cr_assert_eq(jobs_room(&J), JOBS_MAX);
	cr_assert_eq(jobs_count(&J, JOB_FREE), JOBS_MAX);
	struct job *a = add(0, "a", NULL);
	cr_assert_eq(jobs_room(&J), JOBS_MAX - 1);
	cr_assert_eq(jobs_count(&J, JOB_QUEUED), 1);
	cr_assert_null(jobs_pop(&J, a) /* no next */);
	cr_assert_eq(jobs_room(&J), JOBS_MAX);
	cr_assert_eq(a->state, JOB_FREE);
}

Test(jobs, new_job_is_zeroed)
{
	jobs_init(&J);
	struct job *a = add(3, "dirty", NULL);
	a->polls = 9;
	a->executed = 1;
	snprintf(a->error, sizeof(a->error), "x");
	cr_assert_null(jobs_pop(&J, a));
	struct job *b = jobs_new(&J);
	cr_assert_eq(b, a, "the freed slot is reused");
	cr_assert_eq(b->polls, 0);
	cr_assert_eq(b->executed, 0);
	cr_assert_str_eq(b->error, "");
	cr_assert_str_eq(b->ok.plan_id, "");
	cr_assert_null(b->next);
}

Test(jobs, per_symbol_fifo)
{
	int head;
	jobs_init(&J);
	struct job *a1 = add(0, "a1", &head);
	cr_assert_eq(head, 1);
	struct job *b1 = add(1, "b1", &head);
	cr_assert_eq(head, 1, "first of another symbol is its head");
	struct job *a2 = add(0, "a2", &head);
	cr_assert_eq(head, 0);
	struct job *b2 = add(1, "b2", &head);
	cr_assert_eq(head, 0);
	struct job *a3 = add(0, "a3", &head);
	cr_assert_eq(head, 0);

	cr_assert_eq(jobs_pop(&J, a1), a2, "next of the same symbol");
	cr_assert_eq(jobs_pop(&J, b1), b2);
	cr_assert_eq(jobs_pop(&J, a2), a3);
	cr_assert_null(jobs_pop(&J, a3));
	cr_assert_null(jobs_pop(&J, b2));
	cr_assert_eq(jobs_room(&J), JOBS_MAX);

	/* a symbol emptied and refilled starts a new head */
	struct job *a4 = add(0, "a4", &head);
	cr_assert_eq(head, 1);
	cr_assert_null(jobs_pop(&J, a4));
}

Test(jobs, pop_of_a_non_head_does_nothing)
{
	jobs_init(&J);
	struct job *a1 = add(0, "a1", NULL);
	struct job *a2 = add(0, "a2", NULL);
	int room = jobs_room(&J);
	cr_assert_null(jobs_pop(&J, a2));
	cr_assert_eq(jobs_room(&J), room, "a non-head was freed");
	cr_assert_eq(a2->state, JOB_QUEUED);
	cr_assert_eq(jobs_pop(&J, a1), a2);
}

Test(jobs, pool_is_bounded)
{
	jobs_init(&J);
	struct job *first = NULL;
	for (int i = 0; i < JOBS_MAX; i++) {
		char id[40];
		snprintf(id, sizeof(id), "p%d", i);
		struct job *j = add(i % LIST_MAX, id, NULL);
		if (!first)
			first = j;
	}
	cr_assert_eq(jobs_room(&J), 0);
	cr_assert_null(jobs_new(&J), "a job beyond JOBS_MAX");
	cr_assert_eq(jobs_room(&J), 0);
	jobs_pop(&J, first);
	cr_assert_eq(jobs_room(&J), 1);
	cr_assert_not_null(jobs_new(&J));
	cr_assert_eq(jobs_room(&J), 0);
}

Test(jobs, fifo_order_survives_many_symbols)
{
	jobs_init(&J);
	struct job *jobs[LIST_MAX][6];
	for (int k = 0; k < 6; k++)
		for (int s = 0; s < LIST_MAX; s++) {
			char id[40];
			snprintf(id, sizeof(id), "s%dk%d", s, k);
			jobs[s][k] = add(s, id, NULL);
		}
	for (int s = LIST_MAX - 1; s >= 0; s--)
		for (int k = 0; k < 6; k++) {
			struct job *next = jobs_pop(&J, jobs[s][k]);
			cr_assert_eq(next, k < 5 ? jobs[s][k + 1] : NULL,
			    "symbol %d after %d", s, k);
		}
	cr_assert_eq(jobs_room(&J), JOBS_MAX);
}

Test(jobs, drop_unsent_keeps_sent_heads)
{
	jobs_init(&J);
	struct job *a1 = add(0, "a1", NULL);
	add(0, "a2", NULL);
	add(0, "a3", NULL);
	struct job *b1 = add(1, "b1", NULL);
	add(1, "b2", NULL);
	struct job *c1 = add(2, "c1", NULL);
	struct job *d1 = add(3, "d1", NULL);
	add(3, "d2", NULL);
	a1->state = JOB_SENT;
	b1->state = JOB_WAITING;
	c1->state = JOB_UNWRITTEN;
	d1->state = JOB_QUEUED;

	jobs_drop_unsent(&J);
	cr_assert_eq(jobs_room(&J), JOBS_MAX - 2, "only a1 and c1 stay");
	cr_assert_eq(a1->state, JOB_SENT);
	cr_assert_null(a1->next);
	cr_assert_eq(c1->state, JOB_UNWRITTEN);
	cr_assert_eq(b1->state, JOB_FREE);
	cr_assert_eq(d1->state, JOB_FREE);
	cr_assert_null(jobs_by_plan_id(&J, "a2"));
	cr_assert_null(jobs_by_plan_id(&J, "b1"));
	cr_assert_null(jobs_by_plan_id(&J, "b2"));
	cr_assert_null(jobs_by_plan_id(&J, "d2"));
	cr_assert_eq(jobs_by_plan_id(&J, "a1"), a1);

	/* the queues stay usable: new jobs go behind the kept head */
	int head;
	struct job *a4 = add(0, "a4", &head);
	cr_assert_eq(head, 0, "a1 is still the head of symbol 0");
	struct job *b3 = add(1, "b3", &head);
	cr_assert_eq(head, 1, "symbol 1 was emptied");
	struct job *a5 = add(0, "a5", &head);
	cr_assert_eq(jobs_pop(&J, a1), a4);
	cr_assert_eq(jobs_pop(&J, a4), a5);
	cr_assert_null(jobs_pop(&J, a5));
	cr_assert_null(jobs_pop(&J, b3));
	cr_assert_null(jobs_pop(&J, c1));
	cr_assert_eq(jobs_room(&J), JOBS_MAX);
}

Test(jobs, drop_unsent_on_an_empty_pool)
{
	jobs_init(&J);
	jobs_drop_unsent(&J);
	cr_assert_eq(jobs_room(&J), JOBS_MAX);
}

Test(jobs, lookups)
{
	jobs_init(&J);
	struct job *a = add(0, "plan-a", NULL);
	struct job *b = add(1, "plan-b", NULL);
	a->seq = 7;
	b->seq = 8;
	a->state = JOB_SENT;
	b->state = JOB_WAITING;
	cr_assert_eq(jobs_by_plan_id(&J, "plan-a"), a);
	cr_assert_eq(jobs_by_plan_id(&J, "plan-b"), b);
	cr_assert_null(jobs_by_plan_id(&J, "plan-c"));
	cr_assert_eq(jobs_by_stream_id(&J, "1700000000000-plan-b"), b);
	cr_assert_null(jobs_by_stream_id(&J, "1700000000000-plan-c"));
	cr_assert_eq(jobs_by_seq(&J, 7), a);
	cr_assert_null(jobs_by_seq(&J, 8), "only a job at the executor has a seq");
	cr_assert_null(jobs_by_seq(&J, 9));
	cr_assert_eq(jobs_count(&J, JOB_SENT), 1);
	cr_assert_eq(jobs_count(&J, JOB_WAITING), 1);
	cr_assert_eq(jobs_count(&J, JOB_QUEUED), 0);
	/* freed jobs are not found any more */
	jobs_pop(&J, a);
	cr_assert_null(jobs_by_plan_id(&J, "plan-a"));
	cr_assert_null(jobs_by_seq(&J, 7));
	cr_assert_null(jobs_by_stream_id(&J, "1700000000000-plan-a"));
}

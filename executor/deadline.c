/*
 * deadline.c - job_stale (backend.h): a request past its plan's deadline
 * is refused where it would be sent, in the words of the workers' own age
 * check (workers/safety.c: "plan_stale:age N s above M s").
 */
#include <stdio.h>

#include "backend.h"

int job_stale(struct job *j, int64_t now_ms)
{
	if (now_ms <= j->deadline_ms)
		return 0;
	int64_t plan_ms = j->deadline_ms - (int64_t)j->max_age_sec * 1000;
	j->res.executed = 0;
	snprintf(j->res.status, sizeof(j->res.status), "NOT_SENT");
	snprintf(j->res.error, sizeof(j->res.error), "plan_stale:age %lld s "
	    "above %d s", (long long)((now_ms - plan_ms) / 1000), j->max_age_sec);
	return 1;
}

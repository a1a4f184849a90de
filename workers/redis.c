/*
 * redis.c - the worker's two Redis connections: one for commands, one that
 * sits in a blocking XREADGROUP (the stream layer's).  Connects them (with
 * Redis Sentinel, the master is asked of the sentinels first, sentinel.c)
 * and creates the group; a lost connection is handled here, once: logged,
 * both closed, the plans not yet at the executor dropped from memory (they
 * stay pending and are read again), and a reconnect with backoff.
 *
 * May: open connections (conn.c), ask the sentinels, create the group
 * (stream.c), load the settle script (settle.c), drop jobs not yet sent.  May not: read entries or decide
 * plans (main.c routes what the stream layer returns to the plan logic).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "worker.h"

/* a Redis that is back is found within this long */
#define RECONNECT_MAX_MS 1000

static void backoff(struct worker *w)
{
	w->reconnect_delay = w->reconnect_delay * 2 > RECONNECT_MAX_MS ?
	    RECONNECT_MAX_MS : w->reconnect_delay * 2;
}

/* Closes both connections: logged when either was open. */
static void lost(struct worker *w, const char *why)
{
	if (w->rc || w->rs)
		log_error("Redis connection lost (%s): reconnecting in %lld ms; "
		    "plans not yet sent stay pending", why,
		    (long long)w->reconnect_delay);
	conn_free(w->rc);
	conn_free(w->rs);
	w->rc = w->rs = NULL;
	w->rs_waiting = 0;
	w->reconnect_at = mono_ms() + w->reconnect_delay;
	jobs_drop_unsent(&w->jobs);
	batch_free(&w->held);   /* its entries stay pending: read again */
}

int wr_up(struct worker *w)
{
	char why[200];

	if (!w->rc)
		return 0;
	/* no rs: closed on purpose (stopping), not lost */
	if (conn_up(w->rc) && (!w->rs || conn_up(w->rs)))
		return 1;
	snprintf(why, sizeof(why), "%s",
	    conn_why(conn_up(w->rc) ? w->rs : w->rc));
	lost(w, why);
	return 0;
}

int wr_connect(struct worker *w)
{
	const struct conn_cfg cfg = { w->s.redis_host, w->s.redis_port,
		w->redis_user, w->redis_password, w->s.redis_db };

	w->st = (struct stream){ w->stream, w->group, w->consumer,
		w->s.claim_min_idle_ms, JOBS_MAX + 64,
		(long long)w->s.max_plan_age_sec * 1000 };
	if (w->n_sentinels && sentinel_locate(w) < 0) {
		w->reconnect_at = mono_ms() + w->reconnect_delay;
		backoff(w);
		return -1;
	}
	w->rc = conn_open(&cfg);
	if (w->rc && w->n_sentinels && !sentinel_is_master(w, w->rc)) {
		conn_free(w->rc);
		w->rc = NULL;
	}
	if (w->rc)
		w->rs = conn_open(&cfg);
	/* a group this worker used before and now missing: Redis lost it */
	if (!w->rc || !w->rs || stream_create_group(w->rc, &w->st,
		w->group_used ? "missing at reconnect: Redis lost its data (a "
		"restart without persistence, a flush, or a failover)" : NULL) < 0) {
		if (w->rc) {
			conn_set_lost(w->rc, "connect failed");
			wr_up(w);
		} else {
			w->reconnect_at = mono_ms() + w->reconnect_delay;
		}
		backoff(w);
		return -1;
	}
	settle_load(w->rc);     /* else results go as EVAL */
	w->reconnect_delay = 100;
	w->group_used = 1;
	w->pending_mode = 1;
	snprintf(w->pending_cursor, sizeof(w->pending_cursor), "0");
	return 0;
}

redisReply *wr_cmd(struct worker *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = conn_vcmd(w->rc, fmt, ap);
	va_end(ap);
	return r;
}

int64_t wr_refused(struct worker *w, const char *what, const char *why)
{
	int64_t now = mono_ms();

	w->backoff_ms = w->backoff_ms ? w->backoff_ms * 2 : WR_BACKOFF_MIN_MS;
	if (w->backoff_ms > WR_BACKOFF_MAX_MS)
		w->backoff_ms = WR_BACKOFF_MAX_MS;
	if (w->fault_count++ == 0)
		w->fault_since = now;
	if (w->fault_logged_at && now - w->fault_logged_at < 1000) {
		w->fault_unlogged++;
		return now + w->backoff_ms;
	}
	if (w->fault_unlogged)
		log_error("[lane=%s] Redis refused %s: %s: retrying in %lld ms (and "
		    "%u more refusals in the last second)", lane_name(w->lane), what,
		    why, (long long)w->backoff_ms, w->fault_unlogged);
	else
		log_error("[lane=%s] Redis refused %s: %s: retrying in %lld ms",
		    lane_name(w->lane), what, why, (long long)w->backoff_ms);
	w->fault_logged_at = now;
	w->fault_unlogged = 0;
	return now + w->backoff_ms;
}

void wr_accepted(struct worker *w)
{
	if (!w->fault_count)
		return;
	log_info("[lane=%s] Redis accepts our commands again, after %u refusals "
	    "over %lld ms", lane_name(w->lane), w->fault_count,
	    (long long)(mono_ms() - w->fault_since));
	w->backoff_ms = 0;
	w->fault_count = w->fault_unlogged = 0;
	w->fault_logged_at = 0;
}

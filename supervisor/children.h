/*
 * children.h - the supervisor's children (the executor and one worker per
 * lane) and their restart policy.
 */
#ifndef QIE_CHILDREN_H
#define QIE_CHILDREN_H

#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "ledger.h"
#include "msg.h"

struct child {
	enum role role;
	const char *name;
	pid_t pid;              /* 0: not running */
	uid_t uid;              /* the uid it runs under */
	int64_t started_at;     /* mono ms */
	int64_t started_wall;   /* unix seconds */
	int64_t restart_at;     /* mono ms, when not running */
	int64_t backoff_ms;
	unsigned restarts;
	char last_death[128];
	int ctl_fd;             /* workers: frames to it (MSG_AUTH, MSG_PING, ...) */
	int ready_fd;           /* workers: frames from it (MSG_READY, MSG_PONG) */
	struct frame_in in;     /* what ready_fd has sent so far */
	int ready;
	/* liveness.c: the ping not yet answered */
	uint32_t ping_seq;
	int64_t ping_at;        /* mono ms it was sent; 0 when answered */
	int64_t next_ping;      /* mono ms */
	unsigned hangs;         /* killed as hung */
};

struct identity {
	int demote;             /* 1 when running as root: children change uid */
	uid_t uid[ROLE_COUNT];
	gid_t gid[ROLE_COUNT];
};

struct supervisor {
	struct settings s;
	char worker_path[4096];
	char executor_path[4096];
	char consumer[160];
	struct identity id;
	int ctl;                        /* executor control socket, -1 if none */
	struct child c[ROLE_COUNT];
	int stopping;
	int64_t stop_deadline;
	int ready_sent;
	int64_t started_wall;           /* unix seconds */
	int status_warned;
	struct {
		char user[64];          /* "" = Redis's default user */
		char password[512];     /* "" = none; never logged */
	} redis_auth[LANE_COUNT];       /* handed to each lane's worker */
	unsigned violations[ROLE_COUNT];        /* seccomp kills seen */
	/* not yet told to the main worker: seccomp kills, hang kills */
	unsigned untold_violations[ROLE_COUNT], untold_hangs[ROLE_COUNT];
	/* the executor's last MSG_STATE */
	int exec_ok;
	int exec_was_ok;                /* once: workers may start */
	char exec_state[STATE_TEXT_MAX];
	struct ledger ledger;           /* what each lane spent */
	/* what systemd's STATUS= and the status file say (main.c) */
	char state[STATE_TEXT_MAX + 80];
};

/*
 * Writes the status file (settings: INTENT_EXECUTOR_STATUS_FILE), replaced
 * atomically, one line per process, for qiectl status:
 *   supervisor pid=P started=UNIX consumer=NAME
 *   <role> pid=P uid=U started=UNIX restarts=N violations=N hangs=N last_death=TEXT TO EOL
 *   state TEXT TO EOL
 * pid=0 and started=0 for a child not running; last_death=- if none, or
 * "disabled" for a lane turned off (INTENT_EXECUTOR_HARVEST_ENABLED); the
 * state is the text of systemd's STATUS= (ready:, degraded:, ERROR: ...).
 */
void status_write(struct supervisor *sv);

void children_init(struct supervisor *sv);
/* Starts every child that is due; returns ms until the next is due. */
int64_t children_start_due(struct supervisor *sv, int64_t now);
/* Reaps dead children, logs why they died, schedules restarts. */
void children_reap(struct supervisor *sv, int64_t now);
/* Starts the stop: SIGTERM to workers first, the executor after them. */
void children_stop(struct supervisor *sv, int64_t now);
/* Advances the stop; 1 when every child is gone. */
int children_stop_step(struct supervisor *sv, int64_t now);
int children_running(const struct supervisor *sv);
/* Is the role started at all (the harvest lane's worker: only with
 * INTENT_EXECUTOR_HARVEST_ENABLED)? */
int child_enabled(const struct supervisor *sv, enum role role);
/* Every child runs and every worker started has reached Redis. */
int children_healthy(const struct supervisor *sv);
/* Tells the main worker of seccomp and hang kills (it counts them). */
void children_tell_main(struct supervisor *sv);

/* Backoff after a death: fast if it served a while, doubling if not. */
int64_t restart_backoff(int64_t prev_ms, int64_t uptime_ms);
/* "exited with status 3", "killed by signal 9 (SIGKILL)", ... */
void describe_status(int status, char *buf, size_t sz);

#endif

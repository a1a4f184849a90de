/*
 * identity.c - role users and role environments (see identity.h).
 */
#include "identity.h"

#include <errno.h>
#include <cap-ng.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char *const user_setting[ROLE_COUNT] = {
	"INTENT_EXECUTOR_USER_EXECUTOR", "INTENT_EXECUTOR_USER_MAIN",
	"INTENT_EXECUTOR_USER_MANUAL",
};

/* Settings the executor reads; the workers get none of the secret ones. */
static const char *const executor_env[] = {
	"INTENT_EXECUTOR_ALLOWLIST", "INTENT_EXECUTOR_ALLOW_UPSIZE",
	"INTENT_EXECUTOR_MIN_NOTIONAL_USDT", "INTENT_EXECUTOR_BACKEND",
	"INTENT_EXECUTOR_PAPER_FILTERS", "INTENT_EXECUTOR_BINANCE_BASE_URL",
	"INTENT_EXECUTOR_CREDENTIALS_DIR", "INTENT_EXECUTOR_MAX_NOTIONAL_USDT_MAIN",
	"INTENT_EXECUTOR_MAX_NOTIONAL_USDT_MANUAL",
	"INTENT_EXECUTOR_MANUAL_ALLOW_OPEN",
	"INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN",
	"INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL",
	"INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MAIN",
	"INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MANUAL",
	"BINANCE_TESTNET_API_KEY", "BINANCE_TESTNET_API_SECRET",
	"CREDENTIALS_DIRECTORY", "JOURNAL_STREAM", NULL,
};

/* Never handed to a worker, whatever else is added to the settings. */
static const char *const worker_never[] = {
	"INTENT_EXECUTOR_CREDENTIALS_DIR", "BINANCE_TESTNET_API_KEY",
	"BINANCE_TESTNET_API_SECRET", "CREDENTIALS_DIRECTORY",
	"INTENT_EXECUTOR_BINANCE_BASE_URL", "INTENT_EXECUTOR_PAPER_FILTERS",
	"INTENT_EXECUTOR_USER_MAIN", "INTENT_EXECUTOR_USER_MANUAL",
	"INTENT_EXECUTOR_USER_EXECUTOR", "INTENT_EXECUTOR_STATUS_FILE", NULL,
};

static int listed(const char *const *list, const char *name)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

static void add(char **env, int *n, int max, const char *name)
{
	const char *v = getenv(name);
	if (!v || *n >= max)
		return;
	size_t len = strlen(name) + strlen(v) + 2;
	char *e = malloc(len);
	if (!e)
		fatalx("out of memory");
	snprintf(e, len, "%s=%s", name, v);
	env[(*n)++] = e;
}

char **role_env(enum role role)
{
	static char *envs[ROLE_COUNT][80];
	char **env = envs[role];
	int n = 0, max = 79;

	if (env[0])
		return env;
	if (role == ROLE_EXECUTOR) {
		for (int i = 0; executor_env[i]; i++)
			add(env, &n, max, executor_env[i]);
	} else {
		for (int i = 0; config_names[i]; i++)
			if (!listed(executor_env, config_names[i]) ||
			    strcmp(config_names[i], "INTENT_EXECUTOR_ALLOWLIST") == 0)
				if (!listed(worker_never, config_names[i]))
					add(env, &n, max, config_names[i]);
		add(env, &n, max, "JOURNAL_STREAM");
	}
	env[n] = NULL;
	return env;
}

static void resolve_one(const char *setting, const char *value, uid_t *uid,
    gid_t *gid)
{
	char *end;
	struct passwd *pw;
	errno = 0;
	unsigned long n = strtoul(value, &end, 10);
	if (value[0] >= '0' && value[0] <= '9' && *end == '\0' && !errno) {
		pw = getpwuid((uid_t)n);
		*uid = (uid_t)n;
		*gid = pw ? pw->pw_gid : (gid_t)n;
	} else {
		pw = getpwnam(value);
		if (!pw)
			fatalx("%s: user \"%s\" does not exist (create it, e.g. "
			    "the package's sysusers.d file does)", setting, value);
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (*uid == 0 || *gid == 0)
		fatalx("%s: \"%s\" is root: a role must not run as root", setting,
		    value);
}

/*
 * Root, or (under systemd's User= with AmbientCapabilities=) a user that
 * holds CAP_SETUID and CAP_SETGID: the children can change uid.
 */
static int can_switch_ids(void)
{
	if (geteuid() == 0)
		return 1;
	if (capng_get_caps_process() < 0)
		return 0;
	return capng_have_capability(CAPNG_EFFECTIVE, CAP_SETUID) &&
	    capng_have_capability(CAPNG_EFFECTIVE, CAP_SETGID);
}

void identity_resolve(const struct settings *s, struct identity *id)
{
	static const int user_index[ROLE_COUNT] = { 2, 0, 1 };

	memset(id, 0, sizeof(*id));
	if (!can_switch_ids()) {
		log_warn("⚠️  NOT ROOT and no CAP_SETUID/CAP_SETGID: the lanes and the "
		    "executor all run as uid %d and are NOT isolated by uid "
		    "(development mode); seccomp, Landlock and dropped privileges "
		    "still apply", (int)geteuid());
		return;
	}
	id->demote = 1;
	for (int r = 0; r < ROLE_COUNT; r++) {
		resolve_one(user_setting[r], s->user[user_index[r]], &id->uid[r],
		    &id->gid[r]);
		if (id->uid[r] == geteuid())
			fatalx("%s: \"%s\" is the supervisor's own user: a role needs "
			    "a user of its own", user_setting[r], s->user[user_index[r]]);
	}
	for (int a = 0; a < ROLE_COUNT; a++)
		for (int b = a + 1; b < ROLE_COUNT; b++)
			if (id->uid[a] == id->uid[b])
				fatalx("%s and %s name the same uid %u: each role needs "
				    "its own user", user_setting[a], user_setting[b],
				    (unsigned)id->uid[a]);
}

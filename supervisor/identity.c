/*
 * identity.c - role users and role environments (see identity.h).
 */
#include "identity.h"

#include <ctype.h>
#include <errno.h>
#include <cap-ng.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* "INTENT_EXECUTOR_USER_MAIN": the setting of a role's user. */
static const char *user_setting(int role)
{
	static char name[ROLE_COUNT][40];
	if (!name[role][0]) {
		int n = snprintf(name[role], sizeof(name[role]),
		    "INTENT_EXECUTOR_USER_%s", role_name((unsigned)role));
		for (int i = n - 1; i >= 0 && name[role][i] != '_'; i--)
			name[role][i] = (char)toupper((unsigned char)name[role][i]);
	}
	return name[role];
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

/*
 * From common/config.c's table: the executor gets what is marked
 * TO_EXECUTOR, a worker what is marked TO_WORKERS and never a TO_SECRET.
 */
char **role_env(enum role role)
{
	static char *envs[ROLE_COUNT][80];
	char **env = envs[role];
	unsigned want = role == ROLE_EXECUTOR ? TO_EXECUTOR : TO_WORKERS;
	struct env_var v;
	int n = 0, max = 79;

	if (env[0])
		return env;
	for (size_t i = 0; config_env(i, &v); i++)
		if (v.to & want && !(role != ROLE_EXECUTOR && v.to & TO_SECRET))
			add(env, &n, max, v.name);
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
		resolve_one(user_setting(r), s->user[r], &id->uid[r],
		    &id->gid[r]);
		if (id->uid[r] == geteuid())
			fatalx("%s: \"%s\" is the supervisor's own user: a role needs "
			    "a user of its own", user_setting(r), s->user[r]);
	}
	for (int a = 0; a < ROLE_COUNT; a++)
		for (int b = a + 1; b < ROLE_COUNT; b++)
			if (id->uid[a] == id->uid[b])
				fatalx("%s and %s name the same uid %u: each role needs "
				    "its own user", user_setting(a), user_setting(b),
				    (unsigned)id->uid[a]);
}

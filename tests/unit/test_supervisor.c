/*
 * test_supervisor.c - supervisor/children.c: restart backoff and the
 * description of a child's death; supervisor/identity.c: each child's
 * environment.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"
#include "identity.h"

Test(supervisor, backoff_doubles_while_children_die_at_start)
{
	int64_t b = restart_backoff(0, 0);
	cr_assert_eq(b, 100, "first backoff");
	static const int64_t want[] = { 200, 400, 800, 1600, 3200, 6400, 12800,
		25600, 30000, 30000, 30000 };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		b = restart_backoff(b, 50);
		cr_assert_eq(b, want[i], "step %zu: %lld, want %lld", i,
		    (long long)b, (long long)want[i]);
	}
}

Test(supervisor, backoff_resets_after_a_child_served)
{
	cr_assert_eq(restart_backoff(30000, 2000), 100);
	cr_assert_eq(restart_backoff(30000, 3600000), 100);
	cr_assert_eq(restart_backoff(1600, 2000), 100);
	/* just short of serving still doubles */
	cr_assert_eq(restart_backoff(1600, 1999), 3200);
	cr_assert_eq(restart_backoff(100, 0), 200);
	/* after a reset it climbs again from the bottom */
	int64_t b = restart_backoff(30000, 5000);
	b = restart_backoff(b, 10);
	cr_assert_eq(b, 200);
}

Test(supervisor, backoff_stays_within_bounds)
{
	cr_assert_eq(restart_backoff(-5, 0), 100);
	cr_assert_eq(restart_backoff(20000, 0), 30000);
	cr_assert_eq(restart_backoff(INT64_MAX / 4, 0), 30000);
	for (int64_t prev = 0; prev < 40000; prev += 137) {
		int64_t b = restart_backoff(prev, 100);
		cr_assert(b >= 100 && b <= 30000, "%lld -> %lld", (long long)prev,
		    (long long)b);
	}
}

/* A real child's wait status. */
static int status_of(int how, int arg)
{
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		if (how == 0)
			_exit(arg);
		signal(arg, SIG_DFL);
		raise(arg);
		_exit(99);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return st;
}

Test(supervisor, describe_exit)
{
	char b[128];
	describe_status(status_of(0, 3), b, sizeof(b));
	cr_assert_str_eq(b, "exited with status 3");
	describe_status(status_of(0, 0), b, sizeof(b));
	cr_assert_str_eq(b, "exited with status 0");
	describe_status(status_of(0, 255), b, sizeof(b));
	cr_assert_str_eq(b, "exited with status 255");
}

Test(supervisor, describe_signal)
{
	char b[128];
	describe_status(status_of(1, SIGKILL), b, sizeof(b));
	cr_assert_str_eq(b, "killed by signal 9 (SIGKILL)");
	describe_status(status_of(1, SIGTERM), b, sizeof(b));
	cr_assert_str_eq(b, "killed by signal 15 (SIGTERM)");
	cr_assert_null(strstr(b, "sandbox"));
}

Test(supervisor, describe_sigsys_says_sandbox_violation)
{
	char b[128], want[128];
	/* built by hand: a real SIGSYS would dump core */
	describe_status(SIGSYS, b, sizeof(b));
	snprintf(want, sizeof(want), "killed by signal %d (SIGSYS): sandbox violation",
	    SIGSYS);
	cr_assert_str_eq(b, want);
	/* with the core-dump bit set, as the kernel reports it */
	describe_status(SIGSYS | 0x80, b, sizeof(b));
	cr_assert_str_eq(b, want);
	cr_assert(WIFSIGNALED(SIGSYS | 0x80));
}

Test(supervisor, describe_other_status)
{
	char b[128];
	int stopped = (SIGSTOP << 8) | 0x7f;
	cr_assert(WIFSTOPPED(stopped));
	describe_status(stopped, b, sizeof(b));
	cr_assert_str_eq(b, "stopped with wait status 0x137f");
}

Test(supervisor, describe_respects_the_buffer)
{
	char b[16];
	memset(b, 'X', sizeof(b));
	describe_status(status_of(0, 3), b, 8);
	cr_assert_str_eq(b, "exited ");
	cr_assert_eq(b[8], 'X');
}

/* Each child's environment comes from the settings table's TO_* marks. */
static int has_var(char **env, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; env[i]; i++)
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
			return 1;
	return 0;
}

static void set_every_variable(void)
{
	struct env_var v;
	for (size_t i = 0; config_env(i, &v); i++)
		setenv(v.name, "x", 1);
}

Test(identity, a_worker_gets_its_settings_and_never_a_secret)
{
	set_every_variable();
	char **env = role_env(ROLE_MAIN);
	cr_assert(has_var(env, "REDIS_HOST"));
	cr_assert(has_var(env, "INTENT_EXECUTOR_ALLOWLIST"), "needed by both");
	cr_assert(has_var(env, "JOURNAL_STREAM"));
	static const char *const never[] = { "BINANCE_TESTNET_API_KEY",
		"BINANCE_TESTNET_API_SECRET", "CREDENTIALS_DIRECTORY",
		"INTENT_EXECUTOR_CREDENTIALS_DIR", "INTENT_EXECUTOR_BINANCE_BASE_URL",
		"INTENT_EXECUTOR_PAPER_FILTERS", "INTENT_EXECUTOR_USER_MAIN",
		"INTENT_EXECUTOR_STATUS_FILE", "INTENT_EXECUTOR_CONSUMER" };
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		cr_assert(!has_var(env, never[i]), "a worker got %s", never[i]);
	struct env_var v;
	for (size_t i = 0; config_env(i, &v); i++)
		cr_assert(!(v.to & TO_SECRET) || !has_var(env, v.name),
		    "a worker got the secret %s", v.name);
}

Test(identity, the_executor_gets_its_settings_and_credentials_only)
{
	set_every_variable();
	char **env = role_env(ROLE_EXECUTOR);
	cr_assert(has_var(env, "INTENT_EXECUTOR_ALLOWLIST"));
	cr_assert(has_var(env, "INTENT_EXECUTOR_BINANCE_BASE_URL"));
	cr_assert(has_var(env, "BINANCE_TESTNET_API_SECRET"));
	cr_assert(has_var(env, "CREDENTIALS_DIRECTORY"));
	cr_assert(!has_var(env, "REDIS_HOST"));
	cr_assert(!has_var(env, "INTENT_EXECUTOR_USER_EXECUTOR"));
}

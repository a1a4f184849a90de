/*
 * proc.c - the processes qie-bench starts (redis-server, the daemon, the
 * fake exchange, the Python original); procfs.c reads what /proc says of
 * them.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

const char *const proc_names[NPROC] = { "supervisor", "executor", "main",
	"manual", "harvest" };

#define FX_KEY "qie-bench-key-3b1f7a9c2e5d"
#define FX_SECRET "qie-bench-secret-8e2a6c4f0b9d1e3a5c7f"

int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void sleep_ms(double ms)
{
	struct timespec ts;
	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("qie-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("qie-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* A child with stdin from /dev/null, stdout/stderr to files or out_fd. */
static pid_t spawn(char *const argv[], char *const envp[], const char *logf,
    int out_fd)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0)
		return pid;
	int in = open("/dev/null", O_RDONLY);
	int lg = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (in < 0 || lg < 0)
		_exit(127);
	dup2(in, 0);
	dup2(out_fd >= 0 ? out_fd : lg, 1);
	dup2(lg, 2);
	syscall(SYS_close_range, 3, ~0U, 0);
	if (envp)
		execve(argv[0], argv, envp);
	else
		execvp(argv[0], argv);
	dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Waits up to ms for pid to exit; SIGKILL after that. */
static void reap(pid_t pid, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t n = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &n) < 0)
		die("no free port: %s", strerror(errno));
	close(s);
	return ntohs(a.sin_port);
}

redisContext *redis_connect(void)
{
	struct timeval tv = { 2, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", B.port, tv);
	if (!c || c->err) {
		if (c)
			redisFree(c);
		return NULL;
	}
	struct timeval rt = { 60, 0 };
	redisSetTimeout(c, rt);
	return c;
}

void redis_start(void)
{
	char port[16], logf[PATH_MAX + 16];
	for (int tries = 0; tries < 5; tries++) {
		B.port = free_port();
		snprintf(port, sizeof(port), "%d", B.port);
		snprintf(logf, sizeof(logf), "%s/redis.log", B.tmp);
		char *argv[] = { "redis-server", "--port", port, "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", B.tmp, NULL };
		B.redis_pid = spawn(argv, NULL, logf, -1);
		for (int i = 0; i < 100; i++) {
			sleep_ms(20);
			if (waitpid(B.redis_pid, NULL, WNOHANG) == B.redis_pid)
				break;
			if ((B.c = redis_connect()) != NULL) {
				redisReply *r = redisCommand(B.c, "PING");
				int ok = r && r->type == REDIS_REPLY_STATUS;
				if (r)
					freeReplyObject(r);
				if (ok && (B.cb = redis_connect()) != NULL)
					return;
				redisFree(B.c);
				B.c = NULL;
			}
		}
		kill(B.redis_pid, SIGKILL);
		waitpid(B.redis_pid, NULL, 0);
		B.redis_pid = 0;
	}
	die("could not start redis-server (is it installed? `make deps`)");
}

void redis_stop(void)
{
	if (B.c)
		redisFree(B.c);
	if (B.cb)
		redisFree(B.cb);
	B.c = B.cb = NULL;
	if (B.redis_pid > 0) {
		kill(B.redis_pid, SIGTERM);
		reap(B.redis_pid, 5000);
		B.redis_pid = 0;
	}
}

redisReply *cmd(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(B.c, fmt, ap);
	va_end(ap);
	if (!r)
		die("redis: %s", B.c->errstr);
	if (r->type == REDIS_REPLY_ERROR)
		die("redis: %s: %s", fmt, r->str);
	return r;
}

void cmd_ok(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(B.c, fmt, ap);
	va_end(ap);
	if (!r)
		die("redis: %s", B.c->errstr);
	if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0)
		die("redis: %s: %s", fmt, r->str);
	freeReplyObject(r);
}

long long cmd_int(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(B.c, fmt, ap);
	va_end(ap);
	if (!r)
		die("redis: %s", B.c->errstr);
	if (r->type != REDIS_REPLY_INTEGER)
		die("redis: %s: not an integer", fmt);
	long long v = r->integer;
	freeReplyObject(r);
	return v;
}

/*
 * Scans the daemon's log from *off for the texts not yet seen (found[i]);
 * a busy daemon writes megabytes, so each call reads only what is new.
 */
static void log_scan(const char *path, long *off, const char *const *text,
    int *found, int n)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	for (;;) {
		ssize_t k = pread(fd, buf, sizeof(buf) - 1, *off);
		if (k <= 0)
			break;
		buf[k] = '\0';
		char *end = strrchr(buf, '\n');
		if (!end)
			break;          /* a line still being written */
		end[1] = '\0';
		for (int i = 0; i < n; i++)
			if (!found[i] && strstr(buf, text[i]))
				found[i] = 1;
		*off += end + 1 - buf;
	}
	close(fd);
}

static void read_pids(const char *status)
{
	char line[512], role[32];
	int pid;
	FILE *f = fopen(status, "r");
	for (int i = 1; i < NPROC; i++)
		B.pids[i] = 0;
	B.pids[0] = B.daemon_pid;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s pid=%d", role, &pid) == 2)
			for (int i = 1; i < NPROC; i++)
				if (strcmp(role, proc_names[i]) == 0)
					B.pids[i] = pid;
	fclose(f);
}

int daemon_start(const struct daemon_opts *o)
{
	static char e[32][1024];     /* the paper filters: about 700 */
	char *envp[33], path[PATH_MAX + 40], status[96];
	int n = 0;

#define ENV(...) snprintf(e[n], sizeof(e[n]), __VA_ARGS__), envp[n] = e[n], n++
	/* QIE_BENCH_DAEMON_ENV="VAR=value ...": settings of one's own, first
	 * (getenv() finds the first), e.g. to see what a setting costs */
	static char extra[1024];
	const char *x = getenv("QIE_BENCH_DAEMON_ENV");
	snprintf(extra, sizeof(extra), "%s", x ? x : "");
	for (char *t = strtok(extra, " "); t && n < 8; t = strtok(NULL, " "))
		envp[n++] = t;
	snprintf(status, sizeof(status), "%s/status", B.tmp);
	ENV("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	ENV("REDIS_HOST=127.0.0.1");
	ENV("REDIS_PORT=%d", B.port);
	ENV("INTENT_EXECUTOR_STATUS_FILE=%s", status);
	ENV("INTENT_EXECUTOR_LEDGER_FILE=%s/ledger", B.tmp);
	ENV("INTENT_EXECUTOR_BACKEND=%s", o->backend == BINANCE ? "binance" : "paper");
	ENV("INTENT_EXECUTOR_ALLOWLIST=%s", o->allowlist);
	if (o->paper_filters)
		ENV("INTENT_EXECUTOR_PAPER_FILTERS=%s", o->paper_filters);
	ENV("INTENT_EXECUTOR_PERMIT_TIMEOUT_MS=%d", o->permit_timeout_ms ?
	    o->permit_timeout_ms : 8000);
	ENV("INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MAIN=1000000");
	ENV("INTENT_EXECUTOR_MAX_ORDERS_PER_MIN_MANUAL=1000000");
	ENV("INTENT_EXECUTOR_MAX_NOTIONAL_USDT_MAIN=1000000000");
	ENV("INTENT_EXECUTOR_MAX_NOTIONAL_USDT_MANUAL=1000000000");
	ENV("INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MAIN=1000000000");
	ENV("INTENT_EXECUTOR_HOURLY_NOTIONAL_USDT_MANUAL=1000000000");
	/* a backlog is preloaded: no plan may go stale while it drains */
	ENV("INTENT_EXECUTOR_MAX_PLAN_AGE_SEC=600");
	if (getuid() == 0 && !getenv("QIE_BENCH_NO_ROLE_USERS")) {
		/* the packaged users, created as the tests do */
		char sh[PATH_MAX + 40];
		snprintf(sh, sizeof(sh), "%s/scripts/role-users.sh", B.top);
		char *argv[] = { sh, NULL };
		char lf[PATH_MAX + 16];
		snprintf(lf, sizeof(lf), "%s/role-users.log", B.tmp);
		pid_t p = spawn(argv, NULL, lf, -1);
		int st;
		waitpid(p, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			die("%s failed (see %s)", sh, lf);
	}
	if (o->backend == BINANCE) {
		ENV("INTENT_EXECUTOR_BINANCE_BASE_URL=http://127.0.0.1:%d", B.fake_port);
		ENV("INTENT_EXECUTOR_CREDENTIALS_DIR=%s/creds", B.tmp);
	}
#undef ENV
	envp[n] = NULL;
	snprintf(path, sizeof(path), "%s/quantum-intent-executor", B.build);
	snprintf(B.dlog, sizeof(B.dlog), "%s/daemon-%02d.log", B.tmp,
	    ++B.daemon_no % 100);
	unlink(status);
	char *argv[] = { path, NULL };
	B.daemon_pid = spawn(argv, envp, B.dlog, -1);
	static const char *const want[4] = { "Consuming MAIN",
		"Consuming MANUAL", "ready: backend=", "restarting in" };
	int found[4] = { 0, 0, 0, 0 };
	long off = 0;
	for (int i = 0; i < 2000; i++) {
		sleep_ms(10);
		if (waitpid(B.daemon_pid, NULL, WNOHANG) == B.daemon_pid) {
			B.daemon_pid = 0;
			return -1;
		}
		log_scan(B.dlog, &off, want, found, 4);
		if (found[3])
			break;          /* a child died at start */
		if (found[0] && found[1] && found[2]) {
			read_pids(status);
			return 0;
		}
	}
	daemon_stop();
	return -1;
}

/* Why the daemon failed, from its log: a child's death if one is logged,
 * else the first ERROR or FATAL line. */
void daemon_first_error(char *out, size_t sz)
{
	char line[1024];
	int found = 0;
	FILE *f = fopen(B.dlog, "r");
	snprintf(out, sz, "no error logged");
	while (f && fgets(line, sizeof(line), f)) {
		char *e = strstr(line, " ERROR ");
		if (!e)
			e = strstr(line, " FATAL ");
		if (!e || (found && !strstr(line, "killed by signal")))
			continue;
		e[strcspn(e, "\n")] = '\0';
		snprintf(out, sz, "%.*s", (int)sz - 1, e + 1);
		if (strstr(line, "killed by signal"))
			break;
		found = 1;
	}
	if (f)
		fclose(f);
}

/* SIGTERM to *pid, if it runs, and up to ms for it to exit. */
static void stop_child(pid_t *pid, int ms)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	reap(*pid, ms);
	*pid = 0;
}

void daemon_stop(void)
{
	stop_child(&B.daemon_pid, 30000);
}

int fake_start(const char *const *extra)
{
	char path[PATH_MAX + 20], logf[PATH_MAX + 16], line[64], d[PATH_MAX + 8];
	/* the account holds a long of every symbol, as tests/lib.sh starts it:
	 * the bench's reduce-only SELLs reduce it (a flat account refuses them:
	 * no_position_to_reduce) */
	char *argv[48] = { path, "--key", FX_KEY, "--secret", FX_SECRET,
		"--mode", "long:1:100000" };
	int p[2], n = 7;

	snprintf(path, sizeof(path), "%s/fake-exchange", B.build);
	if (access(path, X_OK) != 0)
		return -1;
	/* the credentials the executor reads, as tests/lib.sh writes them */
	snprintf(d, sizeof(d), "%s/creds", B.tmp);
	mkdir(d, 0700);
	const char *names[2] = { "binance-api-key", "binance-api-secret" };
	const char *vals[2] = { FX_KEY, FX_SECRET };
	for (int i = 0; i < 2; i++) {
		char f[PATH_MAX + 40];
		snprintf(f, sizeof(f), "%s/%s", d, names[i]);
		int fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dprintf(fd, "%s\n", vals[i]) < 0)
			die("%s: %s", f, strerror(errno));
		close(fd);
	}
	snprintf(logf, sizeof(logf), "%s/fake.log", B.tmp);
	if (pipe(p) < 0)
		die("pipe: %s", strerror(errno));
	for (; extra && *extra && n < 47; extra++)
		argv[n++] = (char *)*extra;
	argv[n] = NULL;
	B.fake_pid = spawn(argv, NULL, logf, p[1]);
	close(p[1]);
	size_t got = 0;
	B.fake_port = 0;
	while (got < sizeof(line) - 1) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		if (poll(&pf, 1, 5000) <= 0)
			break;
		ssize_t k = read(p[0], line + got, sizeof(line) - 1 - got);
		if (k <= 0)
			break;
		got += (size_t)k;
		line[got] = '\0';
		if (strchr(line, '\n')) {
			sscanf(line, "PORT %d", &B.fake_port);
			break;
		}
	}
	close(p[0]);
	if (B.fake_port <= 0) {
		fake_stop();
		return -1;
	}
	return 0;
}

void fake_stop(void)
{
	stop_child(&B.fake_pid, 5000);
}

/*
 * The Python original (python3 SCRIPT) against the fake: Redis and the
 * testnet credentials as its environment names them, the fake's URL in
 * QIE_BENCH_FAKE_URL, then ORIG_ENV's "VAR=value ..." (how a given version
 * of it is pointed at another base URL).  0 once it logs "Consuming MAIN".
 */
int orig_start(const char *script, const char *allowlist)
{
	static char e[24][320];
	char *envp[25];
	int n = 0;
#define ENV(...) snprintf(e[n], sizeof(e[n]), __VA_ARGS__), envp[n] = e[n], n++
	ENV("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	ENV("PYTHONUNBUFFERED=1");
	ENV("REDIS_HOST=127.0.0.1");
	ENV("REDIS_PORT=%d", B.port);
	ENV("BINANCE_TESTNET_API_KEY=%s", FX_KEY);
	ENV("BINANCE_TESTNET_API_SECRET=%s", FX_SECRET);
	ENV("INTENT_EXECUTOR_ALLOWLIST=%s", allowlist);
	ENV("INTENT_EXECUTOR_MAX_PLAN_AGE_SEC=600");
	ENV("QIE_BENCH_FAKE_URL=http://127.0.0.1:%d", B.fake_port);
#undef ENV
	static char extra[1024];
	const char *x = getenv("ORIG_ENV");
	snprintf(extra, sizeof(extra), "%s", x ? x : "");
	for (char *t = strtok(extra, " "); t && n < 24; t = strtok(NULL, " "))
		envp[n++] = t;
	envp[n] = NULL;
	snprintf(B.dlog, sizeof(B.dlog), "%s/orig.log", B.tmp);
	char *argv[] = { "/usr/bin/python3", (char *)script, NULL };
	B.orig_pid = spawn(argv, envp, B.dlog, -1);
	static const char *const want[1] = { "Consuming MAIN" };
	int found[1] = { 0 };
	long off = 0;
	for (int i = 0; i < 2000 && !found[0]; i++) {
		sleep_ms(10);
		if (waitpid(B.orig_pid, NULL, WNOHANG) == B.orig_pid) {
			B.orig_pid = 0;
			return -1;
		}
		log_scan(B.dlog, &off, want, found, 1);
	}
	if (!found[0])
		orig_stop();
	return found[0] ? 0 : -1;
}

void orig_stop(void)
{
	stop_child(&B.orig_pid, 10000);
}

static int rm_tree(const char *dir)
{
	char *argv[] = { "rm", "-rf", (char *)dir, NULL };
	pid_t p = fork();
	if (p == 0) {
		execvp("rm", argv);
		_exit(127);
	}
	return p > 0 ? waitpid(p, NULL, 0) : -1;
}

void cleanup(void)
{
	daemon_stop();
	orig_stop();
	fake_stop();
	redis_stop();
	if (B.tmp[0] && !B.keep)
		rm_tree(B.tmp);
	else if (B.tmp[0])
		note("kept %s", B.tmp);
}

/*
 * conn.c - qiectl's settings (env file and environment, parsed by the
 * daemon's own code) and its Redis connection.
 *
 * The default env file (/etc/quantum/intent-executor.env) fills only the
 * variables not already set in the environment; an --env-file given on the
 * command line wins over the environment, as the daemon's --env-file does.
 * Redis authentication, when the server uses ACLs, comes from REDISCLI_AUTH
 * (password) and QIECTL_REDIS_USER (ACL user), never from the command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

static void vmsg(const struct ctl *c, const char *pfx, const char *fmt,
    va_list ap)
{
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "qiectl%s%s: %s%s\n", c->cmd ? " " : "",
	    c->cmd ? c->cmd : "", pfx, line);
}

void ctl_err(const struct ctl *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(c, "", fmt, ap);
	va_end(ap);
}

void ctl_warn(const struct ctl *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(c, "warning: ", fmt, ap);
	va_end(ap);
}

static int keep_env(const char *key, const char *val, void *ctx)
{
	(void)ctx;
	return setenv(key, val, 0);
}

/* The default env file: read if present, never overriding the env. */
static int load_default_env(struct ctl *c)
{
	char buf[65536], err[256];
	size_t len = 0;
	ssize_t n;
	int fd = open(DEFAULT_ENV_FILE, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno != ENOENT)
			ctl_warn(c, "%s: %s (settings from the environment only)",
			    DEFAULT_ENV_FILE, strerror(errno));
		return 0;
	}
	while (len < sizeof(buf) &&
	    (n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len == sizeof(buf)) {
		ctl_err(c, "%s: larger than 64 KiB", DEFAULT_ENV_FILE);
		return -1;
	}
	if (envfile_parse(buf, len, keep_env, NULL, err, sizeof(err)) < 0) {
		ctl_err(c, "%s: %s", DEFAULT_ENV_FILE, err);
		return -1;
	}
	return 0;
}

int ctl_settings(struct ctl *c)
{
	char err[512];

	if (c->env_file) {
		if (envfile_load(c->env_file, err, sizeof(err)) < 0) {
			ctl_err(c, "--env-file %s", err);
			return -1;
		}
	} else if (load_default_env(c) < 0) {
		return -1;
	}
	if (config_load(&c->s, err, sizeof(err)) < 0) {
		ctl_err(c, "invalid setting: %s", err);
		return -1;
	}
	return 0;
}

static int auth(struct ctl *c)
{
	const char *pass = getenv("REDISCLI_AUTH");
	const char *user = getenv("QIECTL_REDIS_USER");
	redisReply *r;

	if (!pass || !*pass)
		return 0;
	if (user && *user)
		r = redisCommand(c->rc, "AUTH %s %s", user, pass);
	else
		r = redisCommand(c->rc, "AUTH %s", pass);
	int ok = r && r->type != REDIS_REPLY_ERROR;
	if (!ok)
		ctl_err(c, "redis AUTH%s%s failed: %s", user && *user ? " as " : "",
		    user && *user ? user : "",
		    r ? r->str : c->rc->errstr);
	if (r)
		freeReplyObject(r);
	return ok ? 0 : -1;
}

int ctl_connect(struct ctl *c)
{
	struct timeval ct = { 2, 0 }, rt = { 5, 0 };

	c->rc = redisConnectWithTimeout(c->s.redis_host, c->s.redis_port, ct);
	if (!c->rc || c->rc->err) {
		ctl_err(c, "redis %s:%d: %s", c->s.redis_host, c->s.redis_port,
		    c->rc ? c->rc->errstr : "out of memory");
		ctl_close(c);
		return -1;
	}
	redisSetTimeout(c->rc, rt);
	if (auth(c) < 0) {
		ctl_close(c);
		return -1;
	}
	if (c->s.redis_db != 0) {
		redisReply *r = ctl_cmd(c, "SELECT", "SELECT %d", c->s.redis_db);
		if (!r) {
			ctl_close(c);
			return -1;
		}
		freeReplyObject(r);
	}
	return 0;
}

void ctl_close(struct ctl *c)
{
	if (c->rc)
		redisFree(c->rc);
	c->rc = NULL;
}

static redisReply *checked(struct ctl *c, const char *what, redisReply *r)
{
	if (!r) {
		ctl_err(c, "redis %s: %s", what,
		    c->rc->errstr[0] ? c->rc->errstr : "no reply");
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		ctl_err(c, "redis %s: %s", what, r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

redisReply *ctl_cmd(struct ctl *c, const char *what, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *r = redisvCommand(c->rc, fmt, ap);
	va_end(ap);
	return checked(c, what, r);
}

redisReply *ctl_argv(struct ctl *c, const char *what, int argc,
    const char **argv)
{
	return checked(c, what, redisCommandArgv(c->rc, argc, argv, NULL));
}

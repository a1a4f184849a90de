/*
 * credentials.c - reads the Binance API key and secret (see credentials.h).
 *
 * May: read two small files, read and then erase two environment values.
 * May not: log, format or copy the secret anywhere but into the struct.
 */
#include "credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define KEY_FILE "binance-api-key"
#define SECRET_FILE "binance-api-secret"
#define KEY_ENV "BINANCE_TESTNET_API_KEY"
#define SECRET_ENV "BINANCE_TESTNET_API_SECRET"

int credential_valid(const char *v, size_t len, const char **why)
{
	if (len == 0)
		return *why = "empty", -1;
	if (len >= CRED_MAX)
		return *why = "too long", -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c <= 0x20 || c >= 0x7f)
			return *why = "holds a space, a control or a non-ASCII byte", -1;
	}
	return 0;
}

/* Drops one trailing "\n" or "\r\n", as written by echo or an editor. */
static size_t trim_newline(const char *v, size_t len)
{
	if (len > 0 && v[len - 1] == '\n')
		len--;
	if (len > 0 && v[len - 1] == '\r')
		len--;
	return len;
}

static int read_all(int fd, char *buf, size_t sz, size_t *len)
{
	*len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + *len, sz - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		*len += (size_t)n;
		if (*len == sz)
			return errno = EFBIG, -1;
	}
}

/*
 * Reads dir/name into out.  1 read, 0 absent, -1 invalid (err says why:
 * the path and the problem, never the content).
 */
static int read_file(const char *dir, const char *name, char *out,
    size_t *outlen, char *err, size_t errlen)
{
	char path[512], buf[CRED_MAX + 2];
	struct stat st = { 0 };         /* for the analyzer: used only after fstat() */
	size_t len = 0;
	const char *why;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	const char *bad = NULL;
	if (fd < 0 || fstat(fd, &st) < 0)
		bad = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		bad = "not a regular file";
	else if (read_all(fd, buf, sizeof(buf), &len) < 0)
		bad = errno == EFBIG ? "too long" : strerror(errno);
	if (bad) {
		snprintf(err, errlen, "%s: %s", path, bad);
		if (fd >= 0)
			close(fd);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	close(fd);
	if (st.st_mode & 077)
		log_warn("%s is readable by other users (mode %03o): use mode 0600",
		    path, (unsigned)(st.st_mode & 0777));
	len = trim_newline(buf, len);
	if (credential_valid(buf, len, &why) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	memcpy(out, buf, len);
	out[len] = '\0';
	*outlen = len;
	explicit_bzero(buf, sizeof(buf));
	return 1;
}

/* Takes name from the environment and erases it there: 2 read, else as
 * read_file. */
static int read_env(const char *name, char *out, size_t *outlen, char *err,
    size_t errlen)
{
	char *v = getenv(name);
	const char *why;

	if (!v)
		return 0;
	size_t len = strlen(v);
	int ok = credential_valid(v, len, &why) == 0;
	if (ok) {
		memcpy(out, v, len + 1);
		*outlen = len;
	} else {
		snprintf(err, errlen, "%s: %s", name, why);
	}
	explicit_bzero(v, len);         /* also hides it from /proc/self/environ */
	unsetenv(name);
	if (!ok)
		return -1;
	log_warn("⚠️  %s read from the environment: every process of the unit "
	    "can see it; use INTENT_EXECUTOR_CREDENTIALS_DIR or systemd "
	    "LoadCredential= (files %s, %s)", name, KEY_FILE, SECRET_FILE);
	return 2;
}

static const char *cred_dir(void)
{
	const char *d = getenv("INTENT_EXECUTOR_CREDENTIALS_DIR");
	if (d && d[0])
		return d;
	d = getenv("CREDENTIALS_DIRECTORY");
	return d && d[0] ? d : NULL;
}

static int load_one(const char *dir, const char *file, const char *env,
    char *out, size_t *outlen, char *err, size_t errlen)
{
	int k = 0;
	if (dir)
		k = read_file(dir, file, out, outlen, err, errlen);
	if (k == 0)
		k = read_env(env, out, outlen, err, errlen);
	return k;
}

int credentials_load(struct credentials *c, char *err, size_t errlen)
{
	const char *dir = cred_dir();
	char shown[128] = "";

	memset(c, 0, sizeof(*c));
	int k = load_one(dir, KEY_FILE, KEY_ENV, c->key, &c->key_len, err, errlen);
	if (k < 0)
		return -1;
	int s = load_one(dir, SECRET_FILE, SECRET_ENV, c->secret, &c->secret_len,
	    err, errlen);
	if (s < 0) {
		credentials_wipe(c);
		return -1;
	}
	if (dir)
		log_sanitize(shown, sizeof(shown), dir, strlen(dir));
	if (k == 0 || s == 0) {
		char where[200];
		if (dir)
			snprintf(where, sizeof(where), "no file%s in %s", k || s ? "" : "s",
			    shown);
		else
			snprintf(where, sizeof(where), "neither INTENT_EXECUTOR_CREDENTIALS_DIR "
			    "nor CREDENTIALS_DIRECTORY is set");
		snprintf(err, errlen, "missing %s%s%s: %s, and %s%s%s not set",
		    k ? "" : KEY_FILE, k || s ? "" : " and ", s ? "" : SECRET_FILE,
		    where, k ? "" : KEY_ENV, k || s ? "" : "/", s ? "" : SECRET_ENV);
		credentials_wipe(c);
		return -1;
	}
	snprintf(c->where, sizeof(c->where), "%s%s%s", k == 1 || s == 1 ? shown : "",
	    k != s ? " and " : "", k == 2 || s == 2 ? "the environment" : "");
	return 0;
}

void credentials_wipe(struct credentials *c)
{
	explicit_bzero(c->key, sizeof(c->key));
	explicit_bzero(c->secret, sizeof(c->secret));
	c->key_len = c->secret_len = 0;
}

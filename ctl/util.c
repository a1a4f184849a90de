/*
 * util.c - qiectl's option parser, durations, times and the checks on
 * operator input.  Pure functions but for the messages they print.
 */
#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

static const struct opt *find_opt(const struct opt *opts, const char *name,
    size_t n)
{
	for (const struct opt *o = opts; o && o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
			return o;
	return NULL;
}

int opts_parse(struct ctl *c, int argc, char **argv, const struct opt *opts)
{
	const struct opt global[] = {
		{ "--json", NULL, &c->json },
		{ "--help", NULL, &c->help },
		{ "--env-file", &c->env_file, NULL },
		{ NULL, NULL, NULL },
	};
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			ctl_err(c, "unexpected argument \"%s\" (see qiectl --help)", a);
			return -1;
		}
		const char *eq = strchr(a, '=');
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		const struct opt *o = find_opt(opts, a, n);
		if (!o)
			o = find_opt(global, a, n);
		if (!o) {
			ctl_err(c, "unknown option %.*s (see qiectl --help)", (int)n, a);
			return -1;
		}
		if (o->flag) {
			if (eq) {
				ctl_err(c, "%s takes no value", o->name);
				return -1;
			}
			*o->flag = 1;
			continue;
		}
		if (!o->val) {
			ctl_err(c, "%s: no place for its value", o->name);
			return -1;
		}
		if (eq) {
			*o->val = eq + 1;
		} else if (i + 1 < argc) {
			*o->val = argv[++i];
		} else {
			ctl_err(c, "%s needs a value", o->name);
			return -1;
		}
	}
	return 0;
}

long long parse_duration(const char *v)
{
	long long total = 0;
	const char *p = v;

	if (!*p)
		return -1;
	while (*p) {
		if (!isdigit((unsigned char)*p))
			return -1;
		long long x = 0;
		while (isdigit((unsigned char)*p)) {
			x = x * 10 + (*p++ - '0');
			if (x > 10000000)
				return -1;
		}
		long long mul = 1;
		switch (*p) {
		case '\0':
			if (p != v && total != 0)
				return -1;      /* "1h30": a unit is missing */
			break;
		case 's': mul = 1; p++; break;
		case 'm': mul = 60; p++; break;
		case 'h': mul = 3600; p++; break;
		case 'd': mul = 86400; p++; break;
		default:
			return -1;
		}
		total += x * mul;
		if (total > 100000000)
			return -1;
	}
	return total > 0 ? total : -1;
}

void format_duration(char *buf, size_t sz, long long sec)
{
	if (sec < 0)
		sec = 0;
	long long h = sec / 3600, m = sec % 3600 / 60, s = sec % 60;
	if (h)
		snprintf(buf, sz, "%lldh%02lldm%02llds", h, m, s);
	else if (m)
		snprintf(buf, sz, "%lldm%02llds", m, s);
	else
		snprintf(buf, sz, "%llds", s);
}

void format_time(char *buf, size_t sz, int64_t unix_sec)
{
	struct tm tm;
	time_t t = (time_t)unix_sec;
	if (unix_sec <= 0 || !gmtime_r(&t, &tm) ||
	    strftime(buf, sz, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, sz, "-");
}

int valid_operator(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (!isalnum(ch) && !strchr("._@-", ch))
			return 0;
	}
	return 1;
}

int valid_reason(const char *v)
{
	size_t n = strlen(v), printable = 0;
	if (n == 0 || n > 500)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (ch < 0x20 || ch == 0x7f)
			return 0;
		printable += ch != ' ';
	}
	json_t *utf8 = json_string(v);      /* NULL unless valid UTF-8 */
	json_decref(utf8);
	return printable > 0 && utf8 != NULL;
}

const char *invoking_user(void)
{
	static char name[64];
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());

	if (getuid() == 0 && sudo && valid_operator(sudo))
		snprintf(name, sizeof(name), "%s(sudo)", sudo);
	else if (pw && pw->pw_name)
		snprintf(name, sizeof(name), "%s", pw->pw_name);
	else
		snprintf(name, sizeof(name), "uid:%d", (int)getuid());
	return name;
}

const char *reply_str(const redisReply *r)
{
	if (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS))
		return r->str;
	return "";
}

const char *fields_get(const redisReply *arr, const char *key)
{
	if (!arr || arr->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (size_t i = 0; i + 1 < arr->elements; i += 2)
		if (strcmp(reply_str(arr->element[i]), key) == 0)
			return reply_str(arr->element[i + 1]);
	return NULL;
}

json_t *json_text(const char *s)
{
	char buf[1024];
	int bad = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		bad |= *p < 0x20 || *p == 0x7f;
	json_t *j = bad ? NULL : json_string(s);
	if (j)
		return j;
	log_sanitize(buf, sizeof(buf), s, strlen(s));
	return json_string(buf);
}

int json_out(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!s) {
		fprintf(stderr, "qiectl: out of memory\n");
		return EXIT_RUNTIME;
	}
	puts(s);
	free(s);
	return EXIT_OK;
}

/*
 * procfs.c - what qie-bench reads about the daemon's processes and the
 * machine from /proc: memory, CPU time, context switches, the CPU model.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

/* A "Name:  value kB" line of /proc/<pid>/status. */
static long status_field(pid_t pid, const char *name)
{
	char path[64], line[256];
	size_t n = strlen(name);
	long v = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Pss and Private_Clean + Private_Dirty of /proc/<pid>/smaps_rollup. */
int proc_pss(pid_t pid, long *pss_kb, long *uss_kb)
{
	char path[64], line[256];
	long v;
	*pss_kb = -1;
	*uss_kb = 0;
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Pss: %ld", &v) == 1)
			*pss_kb = v;
		else if (sscanf(line, "Private_Clean: %ld", &v) == 1 ||
		    sscanf(line, "Private_Dirty: %ld", &v) == 1)
			*uss_kb += v;
	}
	fclose(f);
	return *pss_kb < 0 ? -1 : 0;
}

int proc_mem(pid_t pid, long *rss_kb, long *hwm_kb)
{
	*rss_kb = status_field(pid, "VmRSS");
	*hwm_kb = status_field(pid, "VmHWM");
	return *rss_kb < 0 ? -1 : 0;
}

long long proc_ctxsw(pid_t pid)
{
	long a = status_field(pid, "voluntary_ctxt_switches");
	long b = status_field(pid, "nonvoluntary_ctxt_switches");
	return a < 0 || b < 0 ? -1 : (long long)a + b;
}

/* utime + stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks. */
long long proc_cpu_ticks(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	unsigned long long ut, st;
	/* after ")": state(3) ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime(14) stime(15) */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		&ut, &st) != 2)
		return -1;
	return (long long)(ut + st);
}

void machine_describe(char *buf, size_t sz)
{
	char line[512], model[256] = "unknown CPU", redis[64] = "?";
	struct utsname u;
	FILE *f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) == 0) {
			char *c = strchr(line, ':');
			if (c) {
				snprintf(model, sizeof(model), "%s", c + 2);
				model[strcspn(model, "\n")] = '\0';
			}
			break;
		}
	}
	if (f)
		fclose(f);
	uname(&u);
	redisReply *r = redisCommand(B.c, "INFO server");
	if (r && r->type == REDIS_REPLY_STRING) {
		const char *v = strstr(r->str, "redis_version:");
		if (v)
			sscanf(v, "redis_version:%63[^\r\n]", redis);
	}
	if (r)
		freeReplyObject(r);
	snprintf(buf, sz, "nproc %ld, %s, %s %s %s, redis-server %s",
	    sysconf(_SC_NPROCESSORS_ONLN), model, u.sysname, u.release, u.machine,
	    redis);
}

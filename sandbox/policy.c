/*
 * policy.c - parse seccomp policy text and compile it with libseccomp.
 * Used by the build (qie-policyc), the policy test and the fuzzer; never
 * by the daemon at run time (it loads the BPF the build embedded).
 */
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/net.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct constant {
	const char *name;
	uint64_t value;
};

#define C(x) { #x, (uint64_t)(x) }
static const struct constant constants[] = {
	C(PROT_READ), C(PROT_WRITE), C(PROT_EXEC), C(PROT_NONE),
	C(MAP_PRIVATE), C(MAP_ANONYMOUS), C(MAP_SHARED), C(MAP_FIXED),
	C(AF_UNIX), C(AF_INET), C(AF_INET6), C(AF_NETLINK),
	C(SOCK_STREAM), C(SOCK_DGRAM), C(SOCK_RAW), C(SOCK_SEQPACKET),
	C(SOCK_NONBLOCK), C(SOCK_CLOEXEC),
	{ "SOCK_TYPE_MASK", 0xf },
	C(O_RDONLY), C(O_WRONLY), C(O_RDWR), C(O_ACCMODE), C(O_CREAT),
	C(O_CLOEXEC), C(O_NONBLOCK), C(O_DIRECTORY), C(O_TRUNC), C(O_EXCL),
	C(F_GETFL), C(F_SETFL), C(F_GETFD), C(F_SETFD), C(F_DUPFD_CLOEXEC),
	C(FIONBIO), C(FIONREAD), C(TCGETS),
	C(CLONE_VM), C(CLONE_FS), C(CLONE_FILES), C(CLONE_SIGHAND),
	C(CLONE_THREAD), C(CLONE_SYSVSEM), C(CLONE_SETTLS),
	C(CLONE_PARENT_SETTID), C(CLONE_CHILD_CLEARTID), C(CLONE_NEWUSER),
	C(PR_GET_SECCOMP), C(PR_GET_NO_NEW_PRIVS), C(PR_SET_NAME),
	C(MADV_DONTNEED), C(MADV_FREE),
	C(ENOSYS), C(EPERM), C(EACCES),
};

/* Listed without a condition, these need a reason starting "justified:". */
static const char *const dangerous[] = {
	"clone", "clone3", "fork", "vfork", "execve", "execveat", "socket",
	"ioctl", "prctl", "mmap", "mprotect", "ptrace", "open", "openat",
	"openat2", "kill", "tgkill", "setuid", "setgid", "seccomp", "bpf",
	"personality", "connect", "bind", "sendmsg", "socketpair", NULL,
};

static int is_dangerous(const char *name)
{
	for (int i = 0; dangerous[i]; i++)
		if (strcmp(dangerous[i], name) == 0)
			return 1;
	return 0;
}

struct cursor {
	const char *p, *end;
	int line;
	char *err;
	size_t errlen;
};

static int perr(struct cursor *c, const char *why)
{
	snprintf(c->err, c->errlen, "line %d: %s", c->line, why);
	return -1;
}

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* A word of [A-Za-z0-9_]; copied into buf.  0 when there is none. */
static size_t word(struct cursor *c, char *buf, size_t sz)
{
	size_t n = 0;
	skip_ws(c);
	while (c->p + n < c->end &&
	    (isalnum((unsigned char)c->p[n]) || c->p[n] == '_'))
		n++;
	if (n == 0 || n >= sz)
		return 0;
	memcpy(buf, c->p, n);
	buf[n] = '\0';
	c->p += n;
	return n;
}

static int lit(struct cursor *c, const char *s)
{
	size_t n = strlen(s);
	skip_ws(c);
	if ((size_t)(c->end - c->p) >= n && memcmp(c->p, s, n) == 0) {
		c->p += n;
		return 1;
	}
	return 0;
}

static int one_value(const char *w, uint64_t *v)
{
	char *e;
	if (isdigit((unsigned char)w[0])) {
		errno = 0;
		unsigned long long x = strtoull(w, &e, 0);
		if (errno || *e)
			return -1;
		*v = x;
		return 0;
	}
	for (size_t i = 0; i < sizeof(constants) / sizeof(constants[0]); i++)
		if (strcmp(constants[i].name, w) == 0)
			return *v = constants[i].value, 0;
	return -1;
}

/* VALUE := word ('|' word)* */
static int value(struct cursor *c, uint64_t *out)
{
	char w[48];
	*out = 0;
	do {
		uint64_t v;
		if (!word(c, w, sizeof(w)))
			return perr(c, "expected a number or a constant");
		if (one_value(w, &v) < 0) {
			char why[96];
			snprintf(why, sizeof(why), "unknown constant or bad number '%s'", w);
			return perr(c, why);
		}
		*out |= v;
	} while (lit(c, "|"));
	return 0;
}

static int cond(struct cursor *c, struct policy_cond *k)
{
	char w[16];
	static const struct {
		const char *s;
		enum policy_op op;
	} ops[] = { { "==", OP_EQ }, { "!=", OP_NE }, { "<=", OP_LE },
		{ ">=", OP_GE }, { "<", OP_LT }, { ">", OP_GT } };

	if (!word(c, w, sizeof(w)) || strncmp(w, "arg", 3) != 0 ||
	    w[3] < '0' || w[3] > '5' || w[4] != '\0')
		return perr(c, "expected arg0 to arg5");
	k->arg = (unsigned)(w[3] - '0');
	if (lit(c, "&")) {
		if (value(c, &k->mask) < 0)
			return -1;
		if (!lit(c, "=="))
			return perr(c, "expected == after a mask");
		k->op = OP_MASKED_EQ;
		return value(c, &k->value);
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (lit(c, ops[i].s)) {
			k->op = ops[i].op;
			return value(c, &k->value);
		}
	}
	return perr(c, "expected a comparison");
}

static int syscall_name(struct cursor *c, struct policy_rule *r)
{
	if (!word(c, r->name, sizeof(r->name)))
		return perr(c, "expected a syscall name");
	r->nr = seccomp_syscall_resolve_name(r->name);
	if (r->nr == __NR_SCMP_ERROR) {
		char why[96];
		snprintf(why, sizeof(why), "unknown syscall '%s'", r->name);
		return perr(c, why);
	}
	if (r->nr < 0) {        /* libseccomp's number for another arch's call */
		char why[96];
		snprintf(why, sizeof(why), "'%s' is not a system call of this "
		    "architecture", r->name);
		return perr(c, why);
	}
	return 0;
}

static int rule_body(struct cursor *c, struct policy_rule *r)
{
	char w[16];
	const char *save = c->p;

	if (word(c, w, sizeof(w)) && strcmp(w, "report") == 0) {
		r->action = PA_REPORT;
	} else {
		c->p = save;
		r->action = PA_ALLOW;
	}
	if (syscall_name(c, r) < 0)
		return -1;
	if (r->action == PA_REPORT)
		return 0;
	save = c->p;
	if (word(c, w, sizeof(w)) && strcmp(w, "errno") == 0) {
		uint64_t e;
		if (value(c, &e) < 0)
			return -1;
		if (e == 0 || e > 4095)
			return perr(c, "errno out of range");
		r->action = PA_ERRNO;
		r->err = (int)e;
		return 0;
	}
	c->p = save;
	save = c->p;
	if (!(word(c, w, sizeof(w)) && strcmp(w, "if") == 0)) {
		c->p = save;
		return 0;
	}
	do {
		if (r->ncond == POLICY_MAX_CONDS)
			return perr(c, "too many conditions");
		if (cond(c, &r->cond[r->ncond++]) < 0)
			return -1;
	} while (lit(c, "&&"));
	return 0;
}

static int reason(struct cursor *c, const struct policy_rule *r)
{
	skip_ws(c);
	if (c->p == c->end || *c->p != '#')
		return perr(c, "every syscall needs '# reason'");
	c->p++;
	skip_ws(c);
	const char *why = c->p;
	size_t n = (size_t)(c->end - why);
	if (n == 0)
		return perr(c, "empty reason");
	if (is_dangerous(r->name) && r->action == PA_ALLOW && r->ncond == 0 &&
	    (n < 10 || strncmp(why, "justified:", 10) != 0))
		return perr(c, "dangerous syscall without a condition: its reason "
		    "must start with 'justified:'");
	return 0;
}

int policy_parse(const char *text, size_t len, struct policy *p, char *err,
    size_t errlen)
{
	struct cursor c = { .err = err, .errlen = errlen };
	const char *pos = text, *end = text + len;

	memset(p, 0, sizeof(*p));
	while (pos < end) {
		const char *nl = memchr(pos, '\n', (size_t)(end - pos));
		c.p = pos;
		c.end = nl ? nl : end;
		c.line++;
		pos = nl ? nl + 1 : end;
		if (memchr(c.p, '\0', (size_t)(c.end - c.p)))
			return perr(&c, "NUL byte");
		skip_ws(&c);
		if (c.p == c.end || *c.p == '#')
			continue;
		if (p->n == POLICY_MAX_RULES)
			return perr(&c, "too many rules");
		struct policy_rule *r = &p->rule[p->n];
		memset(r, 0, sizeof(*r));
		r->line = c.line;
		if (rule_body(&c, r) < 0 || reason(&c, r) < 0)
			return -1;
		for (int i = 0; i < p->n; i++)
			if (p->rule[i].nr == r->nr &&
			    (p->rule[i].action != PA_ALLOW || r->action != PA_ALLOW))
				return perr(&c, "a syscall with errno or report may be "
				    "listed only once");
		p->n++;
	}
	return 0;
}

static enum scmp_compare scmp_op(enum policy_op op)
{
	switch (op) {
	case OP_EQ: return SCMP_CMP_EQ;
	case OP_NE: return SCMP_CMP_NE;
	case OP_LT: return SCMP_CMP_LT;
	case OP_LE: return SCMP_CMP_LE;
	case OP_GT: return SCMP_CMP_GT;
	case OP_GE: return SCMP_CMP_GE;
	case OP_MASKED_EQ: return SCMP_CMP_MASKED_EQ;
	}
	return SCMP_CMP_EQ;
}

static int add_rule(scmp_filter_ctx ctx, const struct policy_rule *r)
{
	struct scmp_arg_cmp a[POLICY_MAX_CONDS];
	uint32_t action = r->action == PA_ALLOW ? SCMP_ACT_ALLOW :
	    r->action == PA_ERRNO ? SCMP_ACT_ERRNO((uint32_t)r->err) : SCMP_ACT_TRAP;

	for (int i = 0; i < r->ncond; i++) {
		const struct policy_cond *k = &r->cond[i];
		a[i] = (struct scmp_arg_cmp){ .arg = k->arg, .op = scmp_op(k->op),
			.datum_a = k->op == OP_MASKED_EQ ? k->mask : k->value,
			.datum_b = k->op == OP_MASKED_EQ ? k->value : 0 };
	}
	return seccomp_rule_add_exact_array(ctx, action, r->nr,
	    (unsigned)r->ncond, a);
}

static scmp_filter_ctx build_ctx(const struct policy *p, char *err,
    size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return NULL;
	}
	for (int i = 0; i < p->n; i++) {
		int e = add_rule(ctx, &p->rule[i]);
		if (e < 0) {
			snprintf(err, errlen, "line %d: %s: libseccomp refused the rule: %s",
			    p->rule[i].line, p->rule[i].name, strerror(-e));
			seccomp_release(ctx);
			return NULL;
		}
	}
	return ctx;
}

int policy_export_pfc(const struct policy *p, int fd, char *err, size_t errlen)
{
	scmp_filter_ctx ctx = build_ctx(p, err, errlen);
	if (!ctx)
		return -1;
	int rc = seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	return rc < 0 ? -1 : 0;
}

int policy_compile(const struct policy *p, uint8_t **bpf, size_t *len,
    char *err, size_t errlen)
{
	scmp_filter_ctx ctx = build_ctx(p, err, errlen);
	int rc = -1, fd = -1;

	*bpf = NULL;
	if (!ctx)
		return -1;
	fd = memfd_create("policy", MFD_CLOEXEC);
	if (fd < 0 || seccomp_export_bpf(ctx, fd) < 0) {
		snprintf(err, errlen, "exporting the BPF failed");
		goto out;
	}
	off_t n = lseek(fd, 0, SEEK_END);
	*bpf = malloc(n > 0 ? (size_t)n : 1);
	if (n <= 0 || !*bpf || pread(fd, *bpf, (size_t)n, 0) != n) {
		snprintf(err, errlen, "reading the BPF back failed");
		free(*bpf);
		*bpf = NULL;
		goto out;
	}
	*len = (size_t)n;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	return rc;
}

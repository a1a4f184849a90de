/*
 * test_policy.c - the seccomp policy texts are exactly what the binaries
 * embed (compiled again here with libseccomp and compared byte for byte),
 * and the policy parser rejects what it does not expect.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "sandbox.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s (run from the source tree)", path);
	char *buf = malloc(1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

static void same_as_embedded(const char *path, const struct sandbox_policy *pol)
{
	static struct policy p;
	char err[256];
	size_t len, blen;
	uint8_t *bpf;
	char *text = slurp(path, &len);

	cr_assert_eq(policy_parse(text, len, &p, err, sizeof(err)), 0, "%s: %s",
	    path, err);
	cr_assert_eq(policy_compile(&p, &bpf, &blen, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(blen, pol->len, "%s: compiled %zu bytes, binary embeds %zu",
	    path, blen, pol->len);
	cr_assert(memcmp(bpf, pol->bpf, blen) == 0,
	    "%s differs from the filter the binary embeds: rebuild", path);
	free(bpf);
	free(text);
}

Test(policy, worker_text_is_what_is_enforced)
{
	same_as_embedded("sandbox/policies/worker.policy", &policy_worker);
}

Test(policy, executor_text_is_what_is_enforced)
{
	same_as_embedded("sandbox/policies/executor.policy", &policy_executor);
}

Test(policy, supervisor_text_is_what_is_enforced)
{
	same_as_embedded("sandbox/policies/supervisor.policy", &policy_supervisor);
}

static void rejects_n(const char *text, size_t n, const char *want)
{
	static struct policy p;
	char err[256] = "";
	cr_assert_eq(policy_parse(text, n, &p, err, sizeof(err)), -1,
	    "accepted: %s", text);
	cr_assert_not_null(strstr(err, want), "error '%s' lacks '%s'", err, want);
}

static void rejects(const char *text, const char *want)
{
	rejects_n(text, strlen(text), want);
}

Test(policy, rejects_bad_lines)
{
	rejects("read\n", "needs '# reason'");
	rejects("read #\n", "empty reason");
	rejects("no_such_call # x\n", "unknown syscall");
	rejects("recv # only a socketcall multiplexer on x86_64\n",
	    "not a system call of this architecture");
	rejects("execve # because\n", "justified:");
	rejects("mmap if arg2 & PROT_BOGUS == 0 # x\n", "unknown constant");
	rejects("mmap if arg7 == 0 # x\n", "arg0 to arg5");
	rejects("mmap if arg2 ~ 0 # x\n", "comparison");
	rejects("clone3 errno 0 # x\n", "errno out of range");
	rejects("read # a\nread errno EPERM # b\n", "only once");
	rejects("report read # a\nread # b\n", "only once");
	rejects_n("read # ok\nwr\0ite # x\n", 19, "NUL");
}

Test(policy, accepts_and_compiles_conditions)
{
	static struct policy p;
	char err[256];
	uint8_t *bpf;
	size_t n;
	const char *t = "# c\n\nread # r\n"
	    "socket if arg0 == AF_INET && arg1 & SOCK_TYPE_MASK == SOCK_STREAM # s\n"
	    "execve # justified: test\nclone3 errno ENOSYS # e\nreport ptrace # p\n";
	cr_assert_eq(policy_parse(t, strlen(t), &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(p.n, 5);
	cr_assert_eq(p.rule[1].ncond, 2);
	cr_assert_eq(p.rule[1].cond[1].op, OP_MASKED_EQ);
	cr_assert_eq(p.rule[3].action, PA_ERRNO);
	cr_assert_eq(p.rule[4].action, PA_REPORT);
	cr_assert_eq(policy_compile(&p, &bpf, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert(n > 0 && n % 8 == 0);
	free(bpf);
}

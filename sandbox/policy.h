/*
 * policy.h - the auditable seccomp policy text and its compiler.
 *
 * A policy is one syscall a line, each with the reason it is needed:
 *
 *   # comment
 *   read                                   # reason
 *   mmap if arg2 & PROT_EXEC == 0          # reason
 *   socket if arg0 == AF_INET && arg1 & SOCK_TYPE_MASK == SOCK_STREAM # reason
 *   clone3 errno ENOSYS                    # reason
 *   report execve                          # reason
 *
 * Conditions compare one argument: argN OP VALUE (== != < <= > >=) or
 * argN & MASK == VALUE; VALUE is a number or constants joined by '|'.
 * Several lines for one syscall allow it when any of them matches.
 * "errno E": the call fails with E.  "report": a call that is never
 * allowed but whose name the violation handler prints (SECCOMP_RET_TRAP;
 * the handler then dies by SIGSYS).  Anything else: the process is killed
 * (SECCOMP_RET_KILL_PROCESS).  A dangerous syscall (see policy.c) listed
 * without a condition needs a reason starting with "justified:".
 *
 * The build compiles each policy with libseccomp into BPF that the binaries
 * embed (build/gen/policy_<role>.c); make check compiles the text again and
 * compares, so the text is exactly what the kernel enforces.
 */
#ifndef QIE_POLICY_H
#define QIE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define POLICY_MAX_RULES 256
#define POLICY_MAX_CONDS 4

enum policy_action { PA_ALLOW, PA_ERRNO, PA_REPORT };
enum policy_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_MASKED_EQ };

struct policy_cond {
	unsigned arg;
	enum policy_op op;
	uint64_t mask;          /* OP_MASKED_EQ */
	uint64_t value;
};

struct policy_rule {
	char name[40];
	int nr;                 /* syscall number on this architecture */
	enum policy_action action;
	int err;                /* PA_ERRNO */
	int ncond;
	struct policy_cond cond[POLICY_MAX_CONDS];
	int line;
};

struct policy {
	int n;
	struct policy_rule rule[POLICY_MAX_RULES];
};

/* Parses policy text; -1 with "line N: why" in err. */
int policy_parse(const char *text, size_t len, struct policy *p, char *err,
    size_t errlen);

/*
 * Compiles a parsed policy into BPF (malloc'd; *len in bytes) with
 * libseccomp: default action kill process, architecture checked.
 */
int policy_compile(const struct policy *p, uint8_t **bpf, size_t *len,
    char *err, size_t errlen);

/* libseccomp's readable rendering of the compiled filter, for auditors. */
int policy_export_pfc(const struct policy *p, int fd, char *err, size_t errlen);

#endif

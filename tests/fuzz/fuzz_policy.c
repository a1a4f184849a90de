/*
 * fuzz_policy.c - policy_parse() on seccomp policy text (sandbox/policy.h),
 * the format of the files in sandbox/policies: whatever the text, a clean
 * verdict, an error that names its line, and only well-formed rules.
 */
#include "fuzz.h"

#include "policy.h"

static struct policy p;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];

	memset(err, 'x', sizeof(err));
	int rc = policy_parse((const char *)data, size, &p, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc < 0) {
		FUZZ_CHECK(fuzz_terminated(err, sizeof(err)));
		FUZZ_CHECK(strncmp(err, "line ", 5) == 0);
		return 0;
	}
	FUZZ_CHECK(p.n >= 0 && p.n <= POLICY_MAX_RULES);
	for (int i = 0; i < p.n; i++) {
		const struct policy_rule *r = &p.rule[i];
		FUZZ_CHECK(r->name[0] != '\0' && r->nr >= 0);
		FUZZ_CHECK(r->ncond >= 0 && r->ncond <= POLICY_MAX_CONDS);
		for (int k = 0; k < r->ncond; k++)
			FUZZ_CHECK(r->cond[k].arg <= 5);
		FUZZ_CHECK(r->action != PA_ERRNO || (r->err > 0 && r->err <= 4095));
	}
	return 0;
}

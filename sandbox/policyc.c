/*
 * policyc.c - qie-policyc, the build's seccomp policy compiler.
 *
 *   qie-policyc ROLE POLICY-FILE OUT.c     C source embedding the BPF
 *   qie-policyc --pfc POLICY-FILE          libseccomp's readable form
 *
 * Runs at build time only; the daemon never links libseccomp.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "qie-policyc: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	char *buf = malloc(1 << 20);
	if (!buf)
		exit(1);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	(void)fclose(f);        /* read only: nothing to lose */
	return buf;
}

static void load(const char *path, struct policy *p)
{
	char err[256];
	size_t len;
	char *text = slurp(path, &len);
	if (policy_parse(text, len, p, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		exit(1);
	}
	free(text);
}

static void emit(FILE *o, const char *role, const char *path,
    const struct policy *p, const uint8_t *bpf, size_t len)
{
	fprintf(o, "/* Generated from %s by qie-policyc: do not edit. */\n"
	    "#include \"sandbox.h\"\n\nstatic const unsigned char bpf[%zu] = {",
	    path, len);
	for (size_t i = 0; i < len; i++)
		fprintf(o, "%s0x%02x,", i % 12 ? " " : "\n\t", bpf[i]);
	fprintf(o, "\n};\n\nstatic const struct sandbox_report report[] = {\n");
	for (int i = 0; i < p->n; i++)
		if (p->rule[i].action == PA_REPORT)
			fprintf(o, "\t{ %d, \"%s\" },\n", p->rule[i].nr, p->rule[i].name);
	fprintf(o, "\t{ -1, NULL },\n};\n\nconst struct sandbox_policy policy_%s = {\n"
	    "\t\"%s\", bpf, sizeof(bpf), report,\n};\n", role, role);
}

int main(int argc, char **argv)
{
	static struct policy p;
	char err[256];
	uint8_t *bpf;
	size_t len;

	if (argc == 3 && strcmp(argv[1], "--pfc") == 0) {
		load(argv[2], &p);
		(void)fflush(stdout);   /* nothing buffered yet; write(2) follows */
		if (policy_export_pfc(&p, STDOUT_FILENO, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", argv[2], err);
			return 1;
		}
		return 0;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: qie-policyc ROLE POLICY-FILE OUT.c\n"
		    "       qie-policyc --pfc POLICY-FILE\n");
		return 2;
	}
	load(argv[2], &p);
	if (policy_compile(&p, &bpf, &len, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", argv[2], err);
		return 1;
	}
	FILE *o = fopen(argv[3], "we");
	if (!o) {
		fprintf(stderr, "qie-policyc: %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	emit(o, argv[1], argv[2], &p, bpf, len);
	if (fclose(o) != 0)
		return 1;
	free(bpf);
	return 0;
}

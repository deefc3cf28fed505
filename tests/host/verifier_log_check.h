/*
 * Checking the verifier's log in host tests: the reason is there, after the right instruction.
 * Shared by the verifier tests (tests/host/test_bpf_verifier*.c).
 */
#ifndef TESTS_HOST_VERIFIER_LOG_CHECK_H
#define TESTS_HOST_VERIFIER_LOG_CHECK_H

#include <stdlib.h>
#include <string.h>

#include "kernel/ktest.h"

/* The index of the last "N: (" instruction line that starts before pos in log, or -1. */
static inline long verifier_log_insn_before(const char *log, const char *pos)
{
	long found = -1;
	for (const char *line = log; line && line < pos;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		char *end;
		long v = strtol(line, &end, 10);
		if (end != line && end[0] == ':' && end[1] == ' ' && end[2] == '(')
			found = v;
	}
	return found;
}

/* log holds msg, and (insn >= 0) the instruction line just before it is insn's; else a failure. */
static inline void verifier_check_log(struct ktest_state *kt, const char *file, int line,
				      const char *log, const char *msg, long insn)
{
	const char *p = strstr(log, msg);
	if (!p) {
		ktest_fail(kt, file, line, "log lacks \"%s\"; log:\n%.3000s", msg, log);
		return;
	}
	if (insn >= 0 && verifier_log_insn_before(log, p) != insn)
		ktest_fail(kt, file, line,
			   "\"%s\" is logged after insn %ld, not %ld; log:\n%.3000s", msg,
			   verifier_log_insn_before(log, p), insn, log);
}

#endif

/* SPDX-License-Identifier: MIT */
/* The runner behind harness.h: forks each test, enforces a time limit. */
#include "harness.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <signal.h>

struct test {
	char name[160];
	void (*fn)(void);
};

static struct test tests[512];
static int ntests;

void harness_register(const char *file, const char *name, void (*fn)(void))
{
	const char *base = strrchr(file, '/');
	char suite[64];
	size_t n;

	base = base ? base + 1 : file;
	n = strcspn(base, ".");
	if (n >= sizeof(suite))
		n = sizeof(suite) - 1;
	memcpy(suite, base, n);
	suite[n] = 0;
	if (ntests < (int)(sizeof(tests) / sizeof(tests[0]))) {
		snprintf(tests[ntests].name, sizeof(tests[ntests].name), "c/%s/%s", suite, name);
		tests[ntests].fn = fn;
		ntests++;
	}
}

void harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	_exit(1);
}

int main(int argc, char **argv)
{
	const char *pattern = argc > 1 && argv[1][0] ? argv[1] : "*";
	int failed = 0;
	char pat[256];

	snprintf(pat, sizeof(pat), "*%s*", pattern);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < ntests; i++) {
		int status;
		pid_t pid;

		if (fnmatch(pat, tests[i].name, 0) != 0)
			continue;
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			alarm(60);
			tests[i].fn();
			fflush(stdout);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("PASS %s\n", tests[i].name);
		} else {
			failed++;
			if (WIFSIGNALED(status))
				printf("FAIL %s: killed by signal %d%s\n", tests[i].name, WTERMSIG(status),
				       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
			else
				printf("FAIL %s\n", tests[i].name);
		}
	}
	return failed ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The runner behind harness.h: forks each test, enforces a time limit.
 *
 * With MACHIPC_FAIL_NTH=K in the environment (the fault-injection pass of
 * scripts/guest-tests.sh), every ioctl the test makes (libmach's calls to
 * the module all are ioctls) runs with /proc/thread-self/fail-nth set, so
 * that its n-th allocation fails, n going round 1..K: the module's error
 * paths run under the real test programs. Results are then printed as
 * "FAULT-PASS"/"FAULT-FAIL": a test may fail with a clean Mach error, and
 * only a kernel splat, leak or hang fails the pass (guest-tests.sh).
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>

static unsigned fail_nth_max;
static __thread int fail_nth_fd = -1;
static __thread unsigned fail_nth_next;

/*
 * Interposes libc's ioctl for the test program (libmach.a is linked into
 * it): arms fail-nth for this one call, and disarms it afterwards if no
 * allocation reached it.
 */
int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	long r;
	int saved;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!fail_nth_max)
		return (int)syscall(SYS_ioctl, fd, req, arg);
	if (fail_nth_fd < 0)
		fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fail_nth_fd >= 0) {
		char n[16];
		int len = snprintf(n, sizeof(n), "%u", fail_nth_next++ % fail_nth_max + 1);

		if (pwrite(fail_nth_fd, n, len, 0) != len) {
			close(fail_nth_fd);
			fail_nth_fd = -2;
		}
	}
	r = syscall(SYS_ioctl, fd, req, arg);
	saved = errno;
	if (fail_nth_fd >= 0 && pwrite(fail_nth_fd, "0", 1, 0) != 1) {
		close(fail_nth_fd);
		fail_nth_fd = -2;
	}
	errno = saved;
	return (int)r;
}

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

	const char *nth = getenv("MACHIPC_FAIL_NTH");
	const char *pass = "PASS", *fail = "FAIL";

	if (nth && atoi(nth) > 0) {
		fail_nth_max = (unsigned)atoi(nth);
		pass = "FAULT-PASS";
		fail = "FAULT-FAIL";
	}
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
			/* Under fault injection a test may wait for a message
			 * whose send failed: give up sooner; and its own
			 * children may be left waiting: a process group lets
			 * the runner end them all. */
			if (fail_nth_max)
				setpgid(0, 0);
			alarm(fail_nth_max ? 20 : 60);
			tests[i].fn();
			fflush(stdout);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		if (fail_nth_max)
			kill(-pid, SIGKILL);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("%s %s\n", pass, tests[i].name);
		} else {
			failed++;
			if (WIFSIGNALED(status))
				printf("%s %s: killed by signal %d%s\n", fail, tests[i].name, WTERMSIG(status),
				       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
			else
				printf("%s %s\n", fail, tests[i].name);
		}
	}
	return failed && !fail_nth_max ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Runs the example programs (built under build/examples/) and checks that
 * they succeed.
 */
#include <limits.h>
#include <spawn.h>
#include <sys/wait.h>
#include "harness.h"

extern char **environ;

/* Runs ../examples/<name> relative to this test binary's directory. */
static int run_example(const char *name)
{
	char self[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	pid_t pid;
	int status, err;

	if (n <= 0)
		FAILF("readlink(/proc/self/exe) failed");
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		FAILF("odd executable path %s", self);
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/../examples/%s", self, name);
	char *argv[] = { path, NULL };

	err = posix_spawn(&pid, path, NULL, NULL, argv, environ);
	if (err)
		FAILF("posix_spawn %s: %s", path, strerror(err));
	if (waitpid(pid, &status, 0) != pid)
		FAILF("waitpid failed");
	if (!WIFEXITED(status))
		FAILF("%s killed by signal %d", name, WTERMSIG(status));
	return WEXITSTATUS(status);
}

TEST(epoll_server)
{
	EXPECT_EQ(run_example("epoll_server"), 0);
}

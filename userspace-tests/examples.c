/* SPDX-License-Identifier: MIT */
/*
 * Runs the example programs (built under build/examples/, the Rust ones
 * under build/cargo/debug/examples/) and checks that they succeed.
 */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <sys/wait.h>
#include "harness.h"

extern char **environ;

/* `rel` (e.g. "../examples/x") relative to this test binary's directory. */
static void path_of(const char *rel, char *path, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		FAILF("readlink(/proc/self/exe) failed");
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		FAILF("odd executable path %s", self);
	*slash = '\0';
	snprintf(path, size, "%s/%s", self, rel);
	if (access(path, X_OK) != 0)
		FAILF("%s: %s", path, strerror(errno));
}

/* Runs ../examples/<name> relative to this test binary's directory. */
static int run_example(const char *name)
{
	char path[PATH_MAX + 64], rel[128];
	pid_t pid;
	int status, err;

	snprintf(rel, sizeof(rel), "../examples/%s", name);
	path_of(rel, path, sizeof(path));
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

/*
 * The pipe service and its client as two programs a shell starts on its
 * own (neither opened /dev/machipc before, neither is the other's parent):
 * they meet through the bootstrap registry and the pipe crosses as a
 * fileport. `service` and `client` are paths relative to this binary.
 */
static void run_pipe_pair(const char *service, const char *client)
{
	char svc[PATH_MAX + 64], cli[PATH_MAX + 64], cmd[2 * PATH_MAX + 256], out[4096];
	size_t got = 0, n;
	FILE *f;
	int status;

	path_of(service, svc, sizeof(svc));
	path_of(client, cli, sizeof(cli));
	/* The shell answers the client's status, or 1 if the service failed. */
	snprintf(cmd, sizeof(cmd), "'%s' & svc=$!; '%s'; c=$?; wait $svc || exit 1; exit $c", svc, cli);
	f = popen(cmd, "r");
	if (!f)
		FAILF("popen: %s", strerror(errno));
	while (got < sizeof(out) - 1 && (n = fread(out + got, 1, sizeof(out) - 1 - got, f)) > 0)
		got += n;
	out[got] = '\0';
	status = pclose(f);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		FAILF("%s | %s: status 0x%x, output:\n%s", service, client, status, out);
	if (!strstr(out, "service: checked in as org.machipc.example.pipe") ||
	    !strstr(out, "the pipe says: hello through a fileport, from service pid") ||
	    !strstr(out, "into the client's pipe"))
		FAILF("%s | %s: unexpected output:\n%s", service, client, out);
}

TEST(pipe_service_and_client_meet_by_name)
{
	run_pipe_pair("../examples/pipe_service", "../examples/pipe_client");
}

/* The C and Rust programs speak one protocol (examples/pipe_protocol.h). */
TEST(pipe_rust_service_c_client)
{
	run_pipe_pair("../cargo/debug/examples/pipe_service", "../examples/pipe_client");
}

TEST(pipe_c_service_rust_client)
{
	run_pipe_pair("../examples/pipe_service", "../cargo/debug/examples/pipe_client");
}

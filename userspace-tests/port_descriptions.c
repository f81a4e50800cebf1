/* SPDX-License-Identifier: MIT */
/*
 * <mach/port_descriptions.h>: every special port of a host, a task and a
 * thread has a description and, but for the newest host ports, a name
 * that maps back to its index; indexes out of range and unknown names
 * answer NULL and -1 (errno ENOENT, EINVAL for NULL), as XNU's libsyscall.
 */
#include <errno.h>
#include <mach/mach.h>
#include <mach/host_special_ports.h>
#include <mach/task_special_ports.h>
#include <mach/thread_special_ports.h>
#include <mach/port_descriptions.h>
#include "harness.h"

TEST(every_special_port_is_described)
{
	for (int i = HOST_PORT; i <= HOST_LAST_SPECIAL_KERNEL_PORT; i++)
		EXPECT_TRUE(mach_host_special_port_description(i) != NULL);
	for (int i = HOST_DYNAMIC_PAGER_PORT; i <= HOST_MAX_SPECIAL_PORT; i++) {
		const char *d = mach_host_special_port_description(i);

		EXPECT_TRUE(d != NULL && d[0] != '\0');
	}
	for (int i = TASK_KERNEL_PORT; i <= TASK_READ_PORT; i++)
		EXPECT_TRUE(mach_task_special_port_description(i) != NULL);
	for (int i = TASK_ACCESS_PORT; i <= TASK_MAX_SPECIAL_PORT; i++)
		EXPECT_TRUE(mach_task_special_port_description(i) != NULL);
	for (int i = THREAD_KERNEL_PORT; i <= THREAD_MAX_SPECIAL_PORT; i++)
		EXPECT_TRUE(mach_thread_special_port_description(i) != NULL);

	/* XNU's words, which tools print. */
	EXPECT_TRUE(strcmp(mach_task_special_port_description(TASK_BOOTSTRAP_PORT), "bootstrap") == 0);
	EXPECT_TRUE(strcmp(mach_host_special_port_description(HOST_PRIV_PORT), "host private (restricted)") == 0);
	EXPECT_TRUE(strcmp(mach_thread_special_port_description(THREAD_READ_PORT), "read") == 0);
}

TEST(out_of_range_and_unused_indexes_have_no_description)
{
	EXPECT_TRUE(mach_host_special_port_description(HOST_MAX_SPECIAL_PORT + 1) == NULL);
	EXPECT_TRUE(mach_host_special_port_description(-1) == NULL);
	/* Indexes 4..7 are kept for kernel ports that do not exist. */
	EXPECT_TRUE(mach_host_special_port_description(HOST_MAX_SPECIAL_KERNEL_PORT) == NULL);
	EXPECT_TRUE(mach_task_special_port_description(TASK_MAX_SPECIAL_PORT + 1) == NULL);
	EXPECT_TRUE(mach_task_special_port_description(0) == NULL);
	EXPECT_TRUE(mach_task_special_port_description(7) == NULL);
	EXPECT_TRUE(mach_thread_special_port_description(THREAD_MAX_SPECIAL_PORT + 1) == NULL);
	EXPECT_TRUE(mach_thread_special_port_description(0) == NULL);
}

TEST(names_map_back_to_indexes)
{
	EXPECT_EQ(mach_host_special_port_for_id("HOST_PORT"), HOST_PORT);
	EXPECT_EQ(mach_host_special_port_for_id("HOST_IO_MAIN_PORT"), HOST_IO_MAIN_PORT);
	EXPECT_EQ(mach_host_special_port_for_id("HOST_FILECOORDINATIOND_PORT"), HOST_FILECOORDINATIOND_PORT);
	EXPECT_EQ(mach_task_special_port_for_id("TASK_KERNEL_PORT"), TASK_KERNEL_PORT);
	EXPECT_EQ(mach_task_special_port_for_id("TASK_RESOURCE_NOTIFY_PORT"), TASK_RESOURCE_NOTIFY_PORT);
	EXPECT_EQ(mach_thread_special_port_for_id("THREAD_INSPECT_PORT"), THREAD_INSPECT_PORT);

	/* The host ports after filecoordinationd are described, not named. */
	errno = 0;
	EXPECT_EQ(mach_host_special_port_for_id("HOST_DOUBLEAGENTD_PORT"), -1);
	EXPECT_EQ(errno, ENOENT);
	errno = 0;
	EXPECT_EQ(mach_task_special_port_for_id("BOGUS_SPECIAL_PORT_NAME"), -1);
	EXPECT_EQ(errno, ENOENT);
	/* The table is per kind: a task port's name is no thread port's. */
	EXPECT_EQ(mach_thread_special_port_for_id("TASK_KERNEL_PORT"), -1);
	errno = 0;
	EXPECT_EQ(mach_host_special_port_for_id(NULL), -1);
	EXPECT_EQ(errno, EINVAL);
}

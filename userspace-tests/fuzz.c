/* SPDX-License-Identifier: MIT */
/*
 * Hostile input: random message headers, descriptor lists, sizes, names
 * and call arguments, for a bounded time. Every call must return (some
 * Mach code); the kernel's bug finders and the leak check judge the rest.
 */
#include <mach/mach.h>
#include <pthread.h>
#include <linux/machipc.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include "harness.h"


static unsigned seed = 12345;

static uint32_t rnd(void)
{
	return (uint32_t)rand_r(&seed) ^ ((uint32_t)rand_r(&seed) << 16);
}

static mach_port_t names[16];

static uint32_t some_name(void)
{
	switch (rnd() % 6) {
	case 0:
		return MACH_PORT_NULL;
	case 1:
		return MACH_PORT_DEAD;
	case 2:
		return rnd();
	default:
		return names[rnd() % 16];
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST(random_messages_and_calls_never_break_the_kernel)
{
	mach_port_t task = mach_task_self();
	uint32_t *buf = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double end = now() + 5.0;
	int fd;
	long calls = 0;

	for (int i = 0; i < 16; i++) {
		KR_OK(mach_port_allocate(task, i % 5 == 4 ? MACH_PORT_RIGHT_PORT_SET : MACH_PORT_RIGHT_RECEIVE,
					 &names[i]));
		if (i % 5 != 4)
			mach_port_insert_right(task, names[i], names[i], MACH_MSG_TYPE_MAKE_SEND);
	}
	fd = machipc_device_fd();
	EXPECT_TRUE(fd >= 0);
	while (now() < end) {
		unsigned words = 6 + rnd() % 40;

		for (unsigned i = 0; i < words; i++)
			buf[i] = rnd() % 4 ? rnd() % 64 : rnd();
		mach_msg_header_t *h = (mach_msg_header_t *)buf;

		h->msgh_bits = (rnd() % 32) | ((rnd() % 32) << 8) | (rnd() % 8 == 0 ? rnd() : 0) |
			       (rnd() % 2 ? MACH_MSGH_BITS_COMPLEX : 0);
		h->msgh_remote_port = some_name();
		h->msgh_local_port = some_name();
		if (h->msgh_bits & MACH_MSGH_BITS_COMPLEX) {
			buf[6] = rnd() % 6; /* descriptor count */
			for (unsigned d = 0; d < 6; d++) {
				uint32_t *desc = &buf[7 + d * 3];

				desc[0] = some_name();
				desc[2] = (rnd() % 8) << 24 | (rnd() % 24) << 16; /* type, disposition */
			}
		}
		mach_msg_size_t size = rnd() % 3 ? words * 4 : rnd() % 256;
		mach_msg_option_t opt = MACH_SEND_MSG | MACH_SEND_TIMEOUT;

		if (rnd() % 2)
			opt |= MACH_RCV_MSG | MACH_RCV_TIMEOUT | (rnd() % 2 ? MACH_RCV_LARGE : 0) |
			       MACH_RCV_TRAILER_ELEMENTS(rnd() % 8);
		mach_msg_return_t mr = mach_msg(h, opt, size, rnd() % 512, some_name(), 0, MACH_PORT_NULL);
		if (mr == MACH_MSG_SUCCESS && (opt & MACH_RCV_MSG))
			mach_msg_destroy(h);
		/* Random mach_port_* calls through the raw ioctls. */
		struct machipc_port_call c = {
			.name = some_name(), .right = rnd() % 32, .delta = (int32_t)(rnd() % 5) - 2,
			.poly = some_name(), .flavor = rnd() % 12, .count = rnd() % 20,
			.data = rnd() % 4 ? (uintptr_t)(buf + 1024) : rnd(), .value = rnd(),
			.notify = some_name(), .notify_type = rnd() % 24,
		};
		unsigned nr = rnd() % 27;

		if (nr == 3 || nr == 14) /* destroy, destruct: keep our names */
			nr = 1;
		ioctl(fd, MACHIPC_PORT_IOC(nr), &c);
		/* Drain now and then so queues do not simply fill up. */
		if (calls++ % 16 == 0)
			for (int i = 0; i < 16; i++)
				while (mach_msg(h, MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_LARGE, 0, 1 << 15, names[i],
						0, 0) == MACH_MSG_SUCCESS)
					mach_msg_destroy(h);
	}
	printf("  fuzz: %ld rounds\n", calls);
}

/* Three threads race random calls, destroys included, on the same names;
 * a name that disappears is replaced. */
static volatile int racing;

static void *racer(void *arg)
{
	unsigned s = (unsigned)(uintptr_t)arg;
	mach_port_t task = mach_task_self();
	int fd = machipc_device_fd();
	char buf[512];

	while (racing) {
		mach_port_t *slot = &names[rand_r(&s) % 16];
		mach_port_type_t t;

		if (mach_port_type(task, *slot, &t) != KERN_SUCCESS) {
			mach_port_t n;

			if (mach_port_allocate(task, rand_r(&s) % 3 == 0 ? MACH_PORT_RIGHT_PORT_SET : MACH_PORT_RIGHT_RECEIVE,
					       &n) == KERN_SUCCESS) {
				mach_port_insert_right(task, n, n, MACH_MSG_TYPE_MAKE_SEND);
				*slot = n;
			}
			continue;
		}
		struct machipc_port_call c = {
			.name = *slot, .right = rand_r(&s) % 6, .delta = (int32_t)(rand_r(&s) % 3) - 1,
			.poly = names[rand_r(&s) % 16], .flavor = rand_r(&s) % 0x50, .count = rand_r(&s) % 20,
			.data = (uintptr_t)buf, .value = rand_r(&s) % 3,
			.notify = names[rand_r(&s) % 16], .notify_type = 18 + 3 * (rand_r(&s) % 2),
		};
		ioctl(fd, MACHIPC_PORT_IOC(rand_r(&s) % 27), &c);
		mach_msg_header_t *h = (mach_msg_header_t *)buf;

		memset(h, 0, sizeof(*h));
		h->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
		h->msgh_remote_port = *slot;
		h->msgh_local_port = names[rand_r(&s) % 16];
		mach_msg(h, MACH_SEND_MSG | MACH_SEND_TIMEOUT | MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_RCV_LARGE, 24,
			 sizeof(buf), names[rand_r(&s) % 16], 0, 0);
	}
	return NULL;
}

TEST(threads_racing_on_shared_names)
{
	pthread_t t[3];

	for (int i = 0; i < 16; i++)
		KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &names[i]));
	racing = 1;
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, racer, (void *)(uintptr_t)(i + 1));
	sleep(5);
	racing = 0;
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
}

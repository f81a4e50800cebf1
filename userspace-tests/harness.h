/* SPDX-License-Identifier: MIT */
/*
 * A small test harness for machipc's C tests. Each TEST runs in its own
 * forked child with a time limit, so a crash or hang fails one test only.
 * Results are printed one per line as "PASS c/<suite>/<test>" or
 * "FAIL c/<suite>/<test>: reason", which scripts/check.sh counts.
 */
#ifndef MACHIPC_TEST_HARNESS_H
#define MACHIPC_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void harness_register(const char *file, const char *name, void (*fn)(void));
void harness_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

#define TEST(name)                                                      \
	static void test_##name(void);                                  \
	__attribute__((constructor)) static void register_##name(void)  \
	{                                                               \
		harness_register(__FILE__, #name, test_##name);         \
	}                                                               \
	static void test_##name(void)

#define FAILF(...) harness_fail(__FILE__, __LINE__, __VA_ARGS__)

/* Compares two integer expressions; prints both in hex on failure. */
#define EXPECT_EQ(a, b)                                                           \
	do {                                                                      \
		long long _a = (long long)(a), _b = (long long)(b);               \
		if (_a != _b)                                                     \
			FAILF("%s == %s: got 0x%llx, want 0x%llx", #a, #b,        \
			      (unsigned long long)_a, (unsigned long long)_b);    \
	} while (0)
#define EXPECT_NE(a, b)                                                           \
	do {                                                                      \
		long long _a = (long long)(a), _b = (long long)(b);               \
		if (_a == _b)                                                     \
			FAILF("%s != %s: both 0x%llx", #a, #b, (unsigned long long)_a); \
	} while (0)
#define EXPECT_TRUE(c)                                                    \
	do {                                                              \
		if (!(c))                                                 \
			FAILF("expected %s", #c);                         \
	} while (0)
/* A Mach call that must return `want` (kern_return_t / mach_msg_return_t). */
#define KR(call, want)                                                            \
	do {                                                                      \
		int _kr = (int)(call);                                            \
		if (_kr != (int)(want))                                           \
			FAILF("%s: got 0x%x (%s), want %s", #call, _kr,           \
			      mach_error_string(_kr), #want);                     \
	} while (0)
#define KR_OK(call) KR(call, 0)

#endif

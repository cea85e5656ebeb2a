// SPDX-License-Identifier: GPL-2.0
/*
 * faultcall: make one system call with its Nth fault-injection point
 * failing, through the calling task's /proc/thread-self/fail-nth (the
 * per-task interface of failslab and fail_page_alloc: only this task's
 * calls count, and only the Nth one fails).
 *
 *   faultcall N netns                 unshare(CLONE_NEWNET)
 *   faultcall N insmod FILE [PARAMS]  finit_module(FILE, PARAMS)
 *
 * N = 0 injects nothing.  Prints one line:
 *   faultcall: nth=N call=netns|insmod result=ok|<errno name> injected=yes|no calls=C
 * "injected=no" means the call made fewer than N allocations, C of them
 * (fault-injection points passed: slab and page allocations), so a call
 * with a very large N counts them ("-" once injected).  Exit status
 * 0 if the call succeeded, 1 if it failed, 2 on a usage or setup error.
 *
 * The fail-nth file is opened before it is armed and read back with
 * pread(), so no allocation of our own falls between the two.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: faultcall N netns | faultcall N insmod FILE [PARAMS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *call, *params = "";
	int nthfd, modfd = -1, ret, err = 0;
	char buf[32];
	ssize_t len;
	long nth;

	if (argc < 3)
		return usage();
	nth = strtol(argv[1], NULL, 10);
	call = argv[2];
	if (!strcmp(call, "insmod")) {
		if (argc < 4)
			return usage();
		if (argc > 4)
			params = argv[4];
		modfd = open(argv[3], O_RDONLY | O_CLOEXEC);
		if (modfd < 0) {
			perror(argv[3]);
			return 2;
		}
	} else if (strcmp(call, "netns")) {
		return usage();
	}

	nthfd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nthfd < 0) {
		perror("/proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION?)");
		return 2;
	}
	len = snprintf(buf, sizeof(buf), "%ld", nth);
	if (write(nthfd, buf, len) != len) {
		perror("fail-nth");
		return 2;
	}

	if (modfd >= 0)
		ret = syscall(SYS_finit_module, modfd, params, 0);
	else
		ret = unshare(CLONE_NEWNET);
	if (ret)
		err = errno;

	len = pread(nthfd, buf, sizeof(buf) - 1, 0);
	buf[len > 0 ? len : 0] = '\0';
	/* Disarm, in case the call made fewer than N allocations. */
	if (write(nthfd, "0", 1) != 1)
		perror("fail-nth");

	if (nth > 0 && atol(buf) == 0)
		printf("faultcall: nth=%ld call=%s result=%s injected=yes calls=-\n",
		       nth, call, err ? strerrorname_np(err) : "ok");
	else
		printf("faultcall: nth=%ld call=%s result=%s injected=no calls=%ld\n",
		       nth, call, err ? strerrorname_np(err) : "ok",
		       nth > 0 ? nth - atol(buf) : 0);
	return err ? 1 : 0;
}

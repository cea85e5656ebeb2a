// SPDX-License-Identifier: GPL-2.0
/*
 * nsbench: the userspace half of scripts/bench, run inside the test VM.
 * Built static on the host and copied into the initramfs.
 *
 *   nsbench hold N READY     make N network namespaces, each held by an open
 *                            /proc/self/ns/net descriptor; then create
 *                            READY and sleep until killed (which frees them)
 *   nsbench churn N          make N namespaces one after the other, each
 *                            replacing (and so freeing) the previous one,
 *                            then wait until every one of them has been
 *                            dismantled; prints namespaces per second and
 *                            the median time of one unshare(CLONE_NEWNET)
 *   nsbench settle BASE      wait until no more than BASE namespaces are
 *                            left and every namespace being dismantled
 *                            has been through its exit methods; timed
 *   nsbench insmod KO [PARAMS]   finit_module(), timed
 *   nsbench rmmod NAME           delete_module(), timed
 *   nsbench repeat SECONDS CMD [ARG...]
 *                            run CMD again and again for SECONDS; prints
 *                            how many runs exited 0, runs per second, and
 *                            the median time of one run
 *   nsbench tsc-khz          (on the host) the TSC rate in kHz, which QEMU's
 *                            TCG passes through to the guest; the guest
 *                            cannot calibrate it and would fall back to a
 *                            jiffies clock (4 ms steps)
 *
 * Each prints one line "nsbench: <what> key=value ..." with times in
 * milliseconds from CLOCK_MONOTONIC.  "churn" and "settle" need the
 * xda_bench module: parameters/nets (namespaces on the kernel's list) and
 * parameters/run "settle" (every namespace exit method has run).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define NETS_PARAM	"/sys/module/xda_bench/parameters/nets"
#define RUN_PARAM	"/sys/module/xda_bench/parameters/run"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "nsbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void raise_nofile(long n)
{
	struct rlimit rl = { n + 64, n + 64 };

	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit(RLIMIT_NOFILE)");
}

static long read_long(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t len;

	if (fd < 0)
		die(path);
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		die(path);
	return strtol(buf, NULL, 10);
}

static void write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		die(path);
	if (write(fd, s, strlen(s)) < 0)
		die(path);
	close(fd);
}

static int cmd_hold(long n, const char *ready)
{
	double t0 = now_ms();
	long i;
	int fd;

	raise_nofile(n);
	for (i = 0; i < n; i++) {
		if (unshare(CLONE_NEWNET))
			die("unshare(CLONE_NEWNET)");
		if (open("/proc/self/ns/net", O_RDONLY) < 0)
			die("/proc/self/ns/net");
	}
	printf("nsbench: hold n=%ld ms=%.1f\n", n, now_ms() - t0);
	fflush(stdout);
	fd = open(ready, O_WRONLY | O_CREAT, 0644);
	if (fd < 0)
		die(ready);
	close(fd);
	for (;;)
		pause();
	return 0;
}

/* Until at most @base namespaces are left and all exit methods have run. */
static void wait_settled(long base)
{
	/* Gone from the list: cleanup_net() is running or has run ... */
	while (read_long(NETS_PARAM) > base)
		usleep(1000);
	/* ... and every exit method has run. */
	write_str(RUN_PARAM, "settle");
}

static int cmd_settle(long base)
{
	double t0 = now_ms();

	wait_settled(base);
	printf("nsbench: settle ms=%.1f\n", now_ms() - t0);
	return 0;
}

static int cmd_churn(long n)
{
	int orig = open("/proc/self/ns/net", O_RDONLY);
	double t0, t1, t_made, t_end, *took;
	long base, i;

	took = calloc(n, sizeof(*took));
	if (orig < 0 || !took)
		die("churn");
	base = read_long(NETS_PARAM);
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		t1 = now_ms();
		if (unshare(CLONE_NEWNET))
			die("unshare(CLONE_NEWNET)");
		took[i] = now_ms() - t1;
	}
	if (setns(orig, CLONE_NEWNET))
		die("setns");
	t_made = now_ms();
	wait_settled(base);
	t_end = now_ms();
	qsort(took, n, sizeof(*took), cmp_double);
	printf("nsbench: churn n=%ld create_ms=%.1f total_ms=%.1f per_sec=%.2f create_med_ms=%.3f\n",
	       n, t_made - t0, t_end - t0, n * 1e3 / (t_end - t0), took[n / 2]);
	free(took);
	close(orig);
	return 0;
}

static int cmd_insmod(const char *ko, const char *params)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC);
	double t0;
	long rc;

	if (fd < 0)
		die(ko);
	t0 = now_ms();
	rc = syscall(SYS_finit_module, fd, params, 0);
	printf("nsbench: insmod ms=%.3f rc=%ld\n", now_ms() - t0,
	       rc ? (long)-errno : 0L);
	close(fd);
	return rc ? 1 : 0;
}

static int cmd_rmmod(const char *name)
{
	double t0 = now_ms();
	long rc = syscall(SYS_delete_module, name, O_NONBLOCK);

	printf("nsbench: rmmod ms=%.3f rc=%ld\n", now_ms() - t0,
	       rc ? (long)-errno : 0L);
	return rc ? 1 : 0;
}

static int cmd_repeat(double seconds, char **argv)
{
	size_t cap = 1024, runs = 0;
	double *took = malloc(cap * sizeof(*took));
	double t0 = now_ms(), t1, t;
	long ok = 0;
	int status;
	pid_t pid;

	if (!took)
		die("malloc");
	do {
		t1 = now_ms();
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, 1);
			dup2(null, 2);
			execvp(argv[0], argv);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid");
		t = now_ms();
		if (runs == cap) {
			cap *= 2;
			took = realloc(took, cap * sizeof(*took));
			if (!took)
				die("realloc");
		}
		took[runs++] = t - t1;
		ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	} while (t - t0 < seconds * 1e3);
	qsort(took, runs, sizeof(*took), cmp_double);
	/* The median run: robust against the host preempting the VM. */
	printf("nsbench: repeat runs=%zu ok=%ld ms=%.1f per_sec=%.2f med_ms=%.3f med_per_sec=%.2f\n",
	       runs, ok, t - t0, ok * 1e3 / (t - t0), took[runs / 2],
	       1e3 / took[runs / 2]);
	free(took);
	return 0;
}

static int cmd_tsc_khz(void)
{
	struct timespec ts0, ts1, pause = { 0, 200 * 1000 * 1000 };
	unsigned long long c0, c1;
	double ns;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts0);
	c0 = __rdtsc();
	nanosleep(&pause, NULL);
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts1);
	c1 = __rdtsc();
	ns = (ts1.tv_sec - ts0.tv_sec) * 1e9 + (ts1.tv_nsec - ts0.tv_nsec);
	printf("%.0f\n", (c1 - c0) / ns * 1e6);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: nsbench hold N READY | churn N | settle BASE |\n"
		"       insmod KO [PARAMS] |\n"
		"       rmmod NAME | repeat SECONDS CMD [ARG...] | tsc-khz\n");
	exit(2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "tsc-khz"))
		return cmd_tsc_khz();
	if (argc < 3)
		usage();
	if (!strcmp(argv[1], "hold") && argc == 4)
		return cmd_hold(atol(argv[2]), argv[3]);
	if (!strcmp(argv[1], "settle") && argc == 3)
		return cmd_settle(atol(argv[2]));
	if (!strcmp(argv[1], "churn") && argc == 3)
		return cmd_churn(atol(argv[2]));
	if (!strcmp(argv[1], "insmod") && argc <= 4)
		return cmd_insmod(argv[2], argc == 4 ? argv[3] : "");
	if (!strcmp(argv[1], "rmmod") && argc == 3)
		return cmd_rmmod(argv[2]);
	if (!strcmp(argv[1], "repeat") && argc >= 4)
		return cmd_repeat(atof(argv[2]), argv + 3);
	usage();
	return 2;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench/cputime.c — run a command, report its wall time and CPU time.
 *
 *   cputime -o FILE CMD [ARG...]
 *
 * Forks, execs CMD, waits with wait4() and appends one line to FILE:
 *   wall_us=N user_us=N sys_us=N rc=N
 * wall from CLOCK_MONOTONIC around fork..wait; user/sys from the rusage
 * wait4() returns, which covers CMD and every descendant it reaped (a
 * shell script's children count). The kernel samples the user/system
 * split at the tick (HZ=250 on Debian: 4 ms) and scales it to the exact
 * runtime, so sum several runs before reading the split of a short one.
 * Exit status: CMD's (128+signal if killed), 127 if it could not start.
 * Used by bench/vm.sh inside the guest (static musl build, as the binary). */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long us(const struct timeval *t)
{
	return (long long)t->tv_sec * 1000000 + t->tv_usec;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	const char *out = NULL;
	int status, rc, argi = 1;
	pid_t pid;
	FILE *f;

	if (argc > 2 && !strcmp(argv[1], "-o")) {
		out = argv[2];
		argi = 3;
	}
	if (!out || argi >= argc) {
		fprintf(stderr, "usage: cputime -o FILE CMD [ARG...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 127;
	}
	if (pid == 0) {
		execvp(argv[argi], argv + argi);
		fprintf(stderr, "cputime: %s: %s\n", argv[argi], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("wait4");
			return 127;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	f = fopen(out, "a");
	if (!f) {
		perror(out);
		return 127;
	}
	fprintf(f, "wall_us=%lld user_us=%lld sys_us=%lld rc=%d\n",
		((long long)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec)) / 1000,
		us(&ru.ru_utime), us(&ru.ru_stime), rc);
	fclose(f);
	return rc;
}

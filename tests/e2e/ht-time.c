// SPDX-License-Identifier: LGPL-2.1-or-later
// ht-time: run a command and print its wall time (CLOCK_MONOTONIC, microseconds) and exit
// status to stderr as "HT_TIMED us=N rc=N". Built static by tests/e2e/resume-lib.sh for
// the busybox initramfs of tests/e2e/test-resume.sh (busybox's date has no %N and its
// time applet only 10 ms resolution). Exits with the command's status.
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: ht-time COMMAND [ARG]...\n", stderr);
		return 2;
	}
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid_t pid = fork();
	if (pid < 0) {
		perror("ht-time: fork");
		return 127;
	}
	if (pid == 0) {
		execv(argv[1], argv + 1);
		perror("ht-time: exec");
		_exit(127);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0)
		;
	clock_gettime(CLOCK_MONOTONIC, &b);
	long us = (long)(b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000L;
	int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	fprintf(stderr, "HT_TIMED us=%ld rc=%d\n", us, rc);
	return rc;
}

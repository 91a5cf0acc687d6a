// SPDX-License-Identifier: LGPL-2.1-or-later
// ps-workload: the memory workload of tests/e2e/test-pagesets.sh (two-pageset hibernation).
// Built static for the busybox initramfs, and natively on the host to create the data file.
//
//   ps-workload mkfile PATH MIB SEED    write a file of MIB MiB of xorshift64 data
//   ps-workload sum PATH                read PATH sequentially; print "sum=HEX ms=N mibps=N"
//   ps-workload resident PATH           mincore() over PATH; print "resident=N total=N pct=P"
//   ps-workload hold MIB SEED STATE     fill MIB MiB of anonymous memory with xorshift64 data,
//                                       write "ready sum=HEX" to STATE, then on every SIGUSR1
//                                       verify the buffer and append "check ok|bad sum=HEX"
//                                       to STATE (the process keeps running between checks)
//
// The checksum is a 64-bit FNV-1a-style fold over the 64-bit words; mkfile and hold with the
// same seed and size produce the same sum, so the host knows the expected values.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint64_t fold(uint64_t h, const uint64_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ w[i]) * 0x100000001b3ULL;
	return h;
}

#define H0 0xcbf29ce484222325ULL

static void fill(uint64_t *w, size_t n, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		w[i] = next(seed);
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int die(const char *what)
{
	fprintf(stderr, "ps-workload: %s: %s\n", what, strerror(errno));
	return 1;
}

static uint64_t parse_u64(const char *s)
{
	return strtoull(s, NULL, 0);
}

static int mkfile(const char *path, size_t mib, uint64_t seed)
{
	static uint64_t buf[1 << 17];  // 1 MiB
	uint64_t h = H0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return die(path);
	for (size_t m = 0; m < mib; m++) {
		fill(buf, sizeof(buf) / 8, &seed);
		h = fold(h, buf, sizeof(buf) / 8);
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return die("write");
	}
	if (fsync(fd) || close(fd))
		return die("fsync");
	printf("sum=%016llx\n", (unsigned long long)h);
	return 0;
}

static int sum(const char *path)
{
	static uint64_t buf[1 << 17];
	uint64_t h = H0;
	size_t total = 0;
	double t0 = now_ms();
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return die(path);
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0)
			return die("read");
		if (r == 0)
			break;
		h = fold(h, buf, (size_t)r / 8);
		total += (size_t)r;
	}
	close(fd);
	double ms = now_ms() - t0;
	printf("sum=%016llx ms=%.0f mibps=%.0f\n", (unsigned long long)h, ms,
	       ms > 0 ? total / 1048576.0 / (ms / 1e3) : 0.0);
	return 0;
}

static int resident(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		return die(path);
	size_t pages = ((size_t)st.st_size + 4095) / 4096;
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return die("mmap");
	unsigned char *v = malloc(pages);
	if (!v || mincore(m, (size_t)st.st_size, v))
		return die("mincore");
	size_t n = 0;
	for (size_t i = 0; i < pages; i++)
		n += v[i] & 1;
	printf("resident=%zu total=%zu pct=%.1f\n", n, pages, pages ? 100.0 * n / pages : 0.0);
	return 0;
}

static volatile sig_atomic_t want_check;
static void on_usr1(int sig)
{
	(void)sig;
	want_check = 1;
}

static int append(const char *state, const char *line)
{
	int fd = open(state, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		return die(state);
	ssize_t n = write(fd, line, strlen(line));
	close(fd);
	return n == (ssize_t)strlen(line) ? 0 : die("write state");
}

static int hold(size_t mib, uint64_t seed, const char *state)
{
	size_t n = mib * 1048576 / 8;
	uint64_t *w = mmap(NULL, n * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED)
		return die("mmap");
	fill(w, n, &seed);
	uint64_t want = fold(H0, w, n);
	char line[128];
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, NULL);
	snprintf(line, sizeof(line), "ready sum=%016llx\n", (unsigned long long)want);
	if (append(state, line))
		return 1;
	for (;;) {
		pause();
		if (!want_check)
			continue;
		want_check = 0;
		uint64_t got = fold(H0, w, n);
		snprintf(line, sizeof(line), "check %s sum=%016llx\n", got == want ? "ok" : "bad",
			 (unsigned long long)got);
		if (append(state, line))
			return 1;
	}
}

/* Start asynchronous readahead of the whole file and return at once. */
static int willneed(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return die(path);
	int err = posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
	if (err) {
		errno = err;
		return die("posix_fadvise");
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "mkfile"))
		return mkfile(argv[2], parse_u64(argv[3]), parse_u64(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "sum"))
		return sum(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "willneed"))
		return willneed(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "resident"))
		return resident(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "hold"))
		return hold(parse_u64(argv[2]), parse_u64(argv[3]), argv[4]);
	fputs("usage: ps-workload mkfile PATH MIB SEED | sum PATH | resident PATH |"
	      " willneed PATH | hold MIB SEED STATE\n", stderr);
	return 2;
}

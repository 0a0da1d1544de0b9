/*
 * tests/kernels/init.c - /init of the initramfs that tests/kernels/run.sh
 * boots under QEMU: mounts /proc, /sys, /dev and a tmpfs on /tmp, brings
 * the loopback interface up, runs the steps of /steps one after the other
 * with their output on the console, and powers the machine off.
 *
 * /steps has one step a line, fields separated by '|':
 *   name|timeout in seconds|VAR=value VAR=value ...|program arg arg ...
 * A program starting with '@' is done here: "@cmp A B" compares two files
 * byte for byte, "@cmptree A B" two directory trees (regular files and
 * directories). Each step is framed by lines the host parses:
 *   @@hoop-kernels begin <name>
 *   @@hoop-kernels end <name> rc=<exit status or 128+signal> ms=<elapsed>
 * A step still running at its timeout is killed (with its process group)
 * and ends with rc=124.
 *
 * Built static (gcc -static): the guest has no C library of its own.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 32

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void mount_or_say(const char *src, const char *dst, const char *type)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, NULL) != 0)
		say("init: mount %s on %s: %s\n", type, dst, strerror(errno));
}

/* ip link set lo up */
static void loopback_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		say("init: socket: %s\n", strerror(errno));
		return;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
			say("init: lo up: %s\n", strerror(errno));
	} else {
		say("init: lo flags: %s\n", strerror(errno));
	}
	close(s);
}

/* 0 if both files hold the same bytes, else 1 (and why, on the console). */
static int cmp_files(const char *a, const char *b)
{
	int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);
	int rc = 1;
	if (fa < 0 || fb < 0) {
		say("cmp: cannot open %s: %s\n", fa < 0 ? a : b, strerror(errno));
		goto out;
	}
	static char ba[65536], bb[65536];
	long long off = 0;
	for (;;) {
		ssize_t na = read(fa, ba, sizeof(ba));
		ssize_t nb = na > 0 ? read(fb, bb, (size_t)na) : read(fb, bb, 1);
		if (na < 0 || nb < 0) {
			say("cmp: read error at %lld\n", off);
			goto out;
		}
		if (na != nb || memcmp(ba, bb, (size_t)na) != 0) {
			say("cmp: %s and %s differ near byte %lld\n", a, b, off);
			goto out;
		}
		if (na == 0)
			break;
		off += na;
	}
	rc = 0;
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return rc;
}

/* Every regular file and directory under a is in b with the same bytes. */
static int cmp_tree(const char *a, const char *b, int *files)
{
	struct stat sa, sb;
	if (lstat(a, &sa) != 0 || lstat(b, &sb) != 0) {
		say("cmptree: %s or %s: %s\n", a, b, strerror(errno));
		return 1;
	}
	if (S_ISREG(sa.st_mode)) {
		if (!S_ISREG(sb.st_mode)) {
			say("cmptree: %s is not a regular file\n", b);
			return 1;
		}
		++*files;
		return cmp_files(a, b);
	}
	if (!S_ISDIR(sa.st_mode))
		return 0;
	if (!S_ISDIR(sb.st_mode)) {
		say("cmptree: %s is not a directory\n", b);
		return 1;
	}
	DIR *d = opendir(a);
	if (!d)
		return 1;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char pa[4096], pb[4096];
		snprintf(pa, sizeof(pa), "%s/%s", a, e->d_name);
		snprintf(pb, sizeof(pb), "%s/%s", b, e->d_name);
		rc |= cmp_tree(pa, pb, files);
	}
	closedir(d);
	return rc;
}

static int builtin(char **argv, int argc)
{
	if (!strcmp(argv[0], "@cmp") && argc == 3)
		return cmp_files(argv[1], argv[2]);
	if (!strcmp(argv[0], "@cmptree") && argc == 3) {
		int files = 0;
		int rc = cmp_tree(argv[1], argv[2], &files);
		say("cmptree: %d files compared\n", files);
		return rc || files == 0;
	}
	say("init: unknown builtin %s\n", argv[0]);
	return 2;
}

static void cat_file(const char *path, const char *label)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = 0;
		say("  %s: %s%s", label, buf, buf[n - 1] == '\n' ? "" : "\n");
	}
}

/* Where each thread of a hung step is: system call and kernel stack. */
static void dump_tasks(pid_t pid)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[400];
		say("init: thread %s\n", e->d_name);
		snprintf(path, sizeof(path), "%s/%s/syscall", dir, e->d_name);
		cat_file(path, "syscall");
		snprintf(path, sizeof(path), "%s/%s/stack", dir, e->d_name);
		cat_file(path, "stack");
	}
	closedir(d);
}

/* Split s at spaces into v (at most max - 1 words), NULL-terminated. */
static int split(char *s, char **v, int max)
{
	int n = 0;
	for (char *tok = strtok(s, " "); tok && n < max - 1;
	     tok = strtok(NULL, " "))
		v[n++] = tok;
	v[n] = NULL;
	return n;
}

static void run_step(char *line)
{
	char *f[4];
	for (int i = 0; i < 4; i++) {
		f[i] = strsep(&line, "|");
		if (!f[i]) {
			say("init: bad step line\n");
			return;
		}
	}
	const char *name = f[0];
	int timeout = atoi(f[1]);
	char *envv[MAX_ARGS], *argv[MAX_ARGS];
	split(f[2], envv, MAX_ARGS);
	int argc = split(f[3], argv, MAX_ARGS);
	if (argc == 0)
		return;
	say("@@hoop-kernels begin %s\n", name);
	long long t0 = now_ms();
	int rc;
	if (argv[0][0] == '@') {
		rc = builtin(argv, argc);
	} else {
		pid_t pid = fork();
		if (pid == 0) {
			setpgid(0, 0);
			for (int i = 0; envv[i]; i++)
				putenv(envv[i]);
			execv(argv[0], argv);
			say("init: exec %s: %s\n", argv[0], strerror(errno));
			_exit(127);
		}
		int st = 0;
		rc = -1;
		while (rc < 0) {
			pid_t w = waitpid(pid, &st, WNOHANG);
			if (w == pid) {
				rc = WIFEXITED(st) ? WEXITSTATUS(st)
				                   : 128 + WTERMSIG(st);
				break;
			}
			if (now_ms() - t0 > (long long)timeout * 1000) {
				say("init: %s still running after %d s: "
				    "killed\n",
				    name, timeout);
				dump_tasks(pid);
				kill(-pid, SIGKILL);
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				rc = 124;
				break;
			}
			struct timespec ts = {0, 5 * 1000000L};
			nanosleep(&ts, NULL);
		}
		/* Reap what the step left behind in its group. */
		kill(-pid, SIGKILL);
		while (waitpid(-1, &st, WNOHANG) > 0)
			;
	}
	say("@@hoop-kernels end %s rc=%d ms=%lld\n", name, rc, now_ms() - t0);
}

int main(void)
{
	mount_or_say("proc", "/proc", "proc");
	mount_or_say("sysfs", "/sys", "sysfs");
	mount_or_say("devtmpfs", "/dev", "devtmpfs");
	mount_or_say("tmpfs", "/tmp", "tmpfs");
	setvbuf(stdout, NULL, _IOLBF, 0);
	loopback_up();
	setenv("PATH", "/bin", 1);
	setenv("HOME", "/tmp", 1);
	setenv("TMPDIR", "/tmp", 1);
	chdir("/tmp");

	FILE *f = fopen("/steps", "re");
	if (!f) {
		say("init: no /steps: %s\n", strerror(errno));
	} else {
		char line[4096];
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			if (line[0] && line[0] != '#')
				run_step(line);
		}
		fclose(f);
	}
	say("@@hoop-kernels done\n");
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}

/*
 * cli/bench_run.c - how `hoop bench` runs things: a child in its own
 * process group with a time limit (its stdout lines to a callback, its
 * stderr to the log), killing the group on timeout or Ctrl-C; the files a
 * run creates and removes; where the bench/ programs and tools are. Knows
 * nothing of suites or results.
 */
#include "cli.h"
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

volatile sig_atomic_t bench_stop;

/* ---- running a child with a time limit ---- */

int bench_kill_group(pid_t pid, double grace)
{
	int status;
	kill(-pid, SIGTERM);
	for (double end = cli_now() + grace; cli_now() < end;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(20000);
	}
	kill(-pid, SIGKILL);
	return waitpid(pid, &status, 0) == pid ? status : -1;
}

void bench_log(struct bench *b, const char *suite, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int fd = !b->verbose && b->log_fd >= 0 ? b->log_fd : STDERR_FILENO;
	dprintf(fd, "hoop bench: %s: %s\n", suite, msg);
}

void bench_pin_cpu(int cpu)
{
	cpu_set_t set;
	if (cpu < 0 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set); /* best effort */
}

/* In a child: into its own process group, stdout to `out` (-1:
 * /dev/null), stderr to the log unless verbose, on CPU `cpu` (-1: any),
 * then exec argv. Never returns. */
void bench_exec(struct bench *b, char *const argv[], int out, const char *cwd,
                int cpu)
{
	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	bench_pin_cpu(cpu);
	if (out < 0)
		out = open("/dev/null", O_WRONLY);
	if (out >= 0)
		dup2(out, STDOUT_FILENO);
	if (!b->verbose && b->log_fd >= 0)
		dup2(b->log_fd, STDERR_FILENO);
	if (cwd && chdir(cwd) < 0)
		_exit(126);
	execvp(argv[0], argv);
	fprintf(stderr, "hoop bench: cannot run %s: %s\n", argv[0],
	        strerror(errno));
	_exit(127);
}

/*
 * Run argv (in `cwd` if not NULL) for at most `limit` seconds. Its stdout
 * lines go to `fn` (or to /dev/null if fn is NULL); its stderr to the log,
 * or to ours when verbose. Returns the exit status (>= 0), -ETIME on
 * timeout, -EINTR on Ctrl-C, or -errno if it could not start.
 */
int bench_run_child(struct bench *b, char *const argv[], const char *cwd,
                    double limit, bench_line_fn fn, const char *suite)
{
	int pfd[2] = {-1, -1};
	if (fn && pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		if (fn) {
			close(pfd[0]);
			close(pfd[1]);
		}
		return e;
	}
	if (pid == 0)
		bench_exec(b, argv, fn ? pfd[1] : -1, cwd, -1);
	setpgid(pid, pid);
	double end = cli_now() + limit;
	int status = 0, result = 0;
	if (fn) {
		close(pfd[1]);
		char buf[8192];
		size_t have = 0;
		for (;;) {
			double left = end - cli_now();
			if (bench_stop || left <= 0) {
				result = bench_stop ? -EINTR : -ETIME;
				break;
			}
			struct pollfd p = {pfd[0], POLLIN, 0};
			int pr = poll(&p, 1, (int)(left * 1000) + 1);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr <= 0)
				continue;
			ssize_t n = read(pfd[0], buf + have,
			                 sizeof(buf) - 1 - have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			have += (size_t)n;
			buf[have] = '\0';
			char *nl, *start = buf;
			while ((nl = strchr(start, '\n'))) {
				*nl = '\0';
				fn(b, suite, start);
				start = nl + 1;
			}
			have = strlen(start);
			memmove(buf, start, have + 1);
			if (have == sizeof(buf) - 1)
				have = 0; /* an absurdly long line: drop it */
		}
		close(pfd[0]);
	}
	if (result == 0) {
		/* Output is done (or there was none to read): wait for exit. */
		for (;;) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid)
				break;
			if (bench_stop || cli_now() > end) {
				result = bench_stop ? -EINTR : -ETIME;
				break;
			}
			usleep(2000);
		}
	}
	if (result < 0) {
		bench_kill_group(pid, 1);
		return result;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* ---- finding things ---- */

int bench_is_exec(const char *path) { return access(path, X_OK) == 0; }

void bench_own(struct bench *b, const char *path)
{
	struct stat st;
	if (b->nowned >= MAX_OWNED || lstat(path, &st) == 0)
		return;
	for (int i = 0; i < b->nowned; i++)
		if (strcmp(b->owned[i], path) == 0)
			return;
	cli_copy(b->owned[b->nowned++], sizeof(b->owned[0]), path);
}

/* The end of a run: remove the files it created. */
void bench_remove_owned(struct bench *b)
{
	for (int i = 0; i < b->nowned; i++)
		if (unlink(b->owned[i]) == 0 && b->verbose)
			fprintf(stderr, "hoop bench: removed %s\n", b->owned[i]);
	b->nowned = 0;
}

/* Find `name` on PATH (or in extra), into out. */
int bench_find_program(const char *name, const char *extra, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s:%s", path ? path : "/usr/bin:/bin",
	         extra ? extra : "");
	for (char *save, *dir = strtok_r(buf, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", dir, name);
		if (bench_is_exec(out))
			return 1;
	}
	return 0;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Where the bench/ programs are: $HOOP_BENCH_DIR if set; else ../bench
 * next to this executable (the build tree) if it exists; else the
 * installed HOOP_BENCH_LIBEXEC relative to this executable
 * (../libexec/hoop).
 */
void bench_locate(struct bench *b)
{
	const char *env = getenv("HOOP_BENCH_DIR");
	char tree[1100], inst[1100];
	if (readlink("/proc/self/exe", b->exe, sizeof(b->exe) - 1) < 0)
		snprintf(b->exe, sizeof(b->exe), "hoop");
	if (cli_exe_dir(b->exe_dir, sizeof(b->exe_dir)) < 0)
		snprintf(b->exe_dir, sizeof(b->exe_dir), ".");
	snprintf(tree, sizeof(tree), "%s/../bench", b->exe_dir);
	snprintf(inst, sizeof(inst), "%s/%s", b->exe_dir, HOOP_BENCH_LIBEXEC);
	if (env && *env) {
		cli_copy(b->bench_dir, sizeof(b->bench_dir), env);
		snprintf(b->bench_where, sizeof(b->bench_where),
		         "%s ($HOOP_BENCH_DIR)", env);
	} else {
		cli_copy(b->bench_dir, sizeof(b->bench_dir),
		         is_dir(tree) || !is_dir(inst) ? tree : inst);
		snprintf(b->bench_where, sizeof(b->bench_where),
		         "%s, nor in %s", tree, inst);
	}
	env = getenv("HOOP_SOURCE_DIR");
	snprintf(b->src_dir, sizeof(b->src_dir), "%s",
	         env && *env ? env : HOOP_SOURCE_DIR);
}

void bench_missing_note(const struct bench *b, const char *prog,
                        int needs_uring, char *note, size_t len)
{
	const char *env = getenv("HOOP_BENCH_DIR");
	if (!(env && *env) && !HOOP_BENCH_BUILT)
		snprintf(note, len,
		         "skipped: %s not built (this hoop was built "
		         "with HOOP_BUILD_BENCH=OFF)",
		         prog);
	else if (!(env && *env) && needs_uring && !HOOP_BENCH_URING)
		snprintf(note, len,
		         "skipped: %s not built (liburing was not "
		         "found when this hoop was built; install liburing-dev "
		         "and rebuild)",
		         prog);
	else
		snprintf(note, len, "skipped: no program %s in %s", prog,
		         b->bench_where);
}

/*
 * Four threads share one engine, each reading its own part of a file and
 * waiting for its own results: the README's second C example.
 */
#include <hoop.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static hoop_engine *engine;
static int fd;

static void *worker(void *arg)
{
	long id = (long)arg;
	char buf[4][512];
	struct hoop_op ops[4];
	uint64_t tokens[4];
	long total = 0;

	for (int i = 0; i < 4; i++) {
		hoop_op_read(&ops[i], fd, buf[i], sizeof(buf[i]),
		             (uint64_t)(id * 4 + i) * 512);
		ops[i].user_data = (uint64_t)i;
	}
	/* One call submits all four; each result is waited for by token. */
	int n = hoop_engine_submit(engine, ops, 4, tokens, 0);
	if (n < 0) {
		fprintf(stderr, "submit: %s\n", hoop_strerror(n));
		return NULL;
	}
	for (int i = 0; i < 4; i++) {
		struct hoop_completion c;
		hoop_engine_wait(engine, tokens[i], &c, -1);
		if (c.res < 0)
			fprintf(stderr, "read %llu: %s\n",
			        (unsigned long long)c.user_data,
			        hoop_strerror(c.res));
		else
			total += c.res;
	}
	printf("thread %ld read %ld bytes\n", id, total);
	return NULL;
}

int main(void)
{
	fd = open("/proc/self/exe", O_RDONLY); /* any file will do */
	int err = hoop_engine_create(&engine, NULL);
	if (err < 0) {
		fprintf(stderr, "hoop_engine_create: %s\n", hoop_strerror(err));
		return 1;
	}
	printf("backend: %s\n", hoop_engine_backend_reason(engine));

	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);

	hoop_engine_destroy(engine);
	close(fd);
	return 0;
}

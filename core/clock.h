/*
 * core/clock.h - time and sleeping for the core's threads: the monotonic
 * clock, absolute deadlines for condition variables, futex waits and the
 * spin hint. One copy for the engine, the queue, the thread pool and the
 * ring. Never installed.
 */
#ifndef HOOP_CORE_CLOCK_H
#define HOOP_CORE_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

/* Monotonic nanoseconds. */
uint64_t hoop__now_ns(void);

/*
 * The CLOCK_REALTIME instant `ns` nanoseconds from now, as
 * pthread_cond_timedwait wants it (condition variables here use the
 * default clock).
 */
void hoop__cond_deadline(struct timespec *ts, uint64_t ns);

/* futex helpers (private, process-local). hoop__futex_wait returns 0 or
 * -errno; timeout_ns < 0 waits without a limit. */
int hoop__futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t timeout_ns);
void hoop__futex_wake(_Atomic uint32_t *addr, int n);

/* A hint to the CPU inside a spin loop. */
static inline void hoop__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

#endif

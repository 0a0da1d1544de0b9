/*
 * core/asan_check.h - in AddressSanitizer builds, check at publish time that
 * the memory each SQE points to is still addressable, so a buffer freed (or
 * out of scope) before the kernel uses it is reported at the call that
 * submitted it instead of being silently overwritten later by the kernel,
 * which ASan cannot see. Private to the core; compiles to nothing elsewhere.
 */
#ifndef HOOP_CORE_ASAN_CHECK_H
#define HOOP_CORE_ASAN_CHECK_H

#if defined(__SANITIZE_ADDRESS__)
#define HOOP_ASAN_CHECK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOOP_ASAN_CHECK 1
#endif
#endif

#ifdef HOOP_ASAN_CHECK
struct hoop_ring;
/*
 * Check the SQEs numbered head..tail-1 (the ones about to be published).
 * On a poisoned buffer: print which opcode, field and range, then report
 * through ASan (which prints the submitting call's stack and where the
 * memory was freed) and abort.
 */
void hoop__asan_check_sqes(const struct hoop_ring *r, unsigned head, unsigned tail);
#define HOOP_ASAN_CHECK_SQES(r, head, tail) hoop__asan_check_sqes(r, head, tail)
/* The same for one SQE that is never published (an op done inline). */
struct hoop_sqe;
void hoop__asan_check_sqe(const struct hoop_sqe *sqe);
#define HOOP_ASAN_CHECK_SQE(sqe) hoop__asan_check_sqe(sqe)
#else
#define HOOP_ASAN_CHECK_SQES(r, head, tail) ((void)0)
#define HOOP_ASAN_CHECK_SQE(sqe) ((void)0)
#endif

#endif

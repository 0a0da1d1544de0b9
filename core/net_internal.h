/*
 * core/net_internal.h - what the buffer groups and the event loop tell each
 * other. Never installed.
 */
#ifndef HOOP_CORE_NET_INTERNAL_H
#define HOOP_CORE_NET_INTERNAL_H

#include <stdint.h>

#include "hoop/net.h"

/*
 * The loop saw a completion that names buffer `bid` of `g` and carried `res`
 * bytes: the kernel has consumed that buffer (and, for a bundle, the ones
 * after it in ring order). Recording this lets hoop_bufgroup_return check a
 * give-back without asking the kernel.
 */
void hoop__bufgroup_note(hoop_bufgroup *g, unsigned bid, int32_t res);

/*
 * The loop that owns `ring` has finished every operation and is about to
 * close the ring: its groups forget the ring (hoop_bufgroup_destroy then
 * only frees memory) and their bgids are free again.
 */
void hoop__bufgroup_ring_gone(hoop_ring *ring);

/* The ring a group was created on (an engine's ring for engine groups). */
hoop_ring *hoop__bufgroup_ring(const hoop_bufgroup *g);

/*
 * Called by a LEGACY group right before it submits on `ring` (when set: the
 * loop installs it): if a loop owns that ring, it gives its prepared SQEs
 * their user_data first (hoop_prep_* clears user_data, so the loop sets it
 * at submission).
 */
extern void (*hoop__bufgroup_presubmit)(hoop_ring *ring);

#endif

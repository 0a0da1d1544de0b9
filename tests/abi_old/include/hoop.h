/*
 * hoop.h - the umbrella header: include this one.
 *
 * hoop is an io_uring core with a stable C ABI. Every function returns >= 0
 * on success or a negative errno value; see hoop/common.h.
 */
#ifndef HOOP_H
#define HOOP_H

#include "hoop/common.h"
#include "hoop/uapi.h"
#include "hoop/ring.h"
#include "hoop/prep.h"
#include "hoop/register.h"
#include "hoop/engine.h"
#include "hoop/probe.h"
#include "hoop/net.h"

#endif /* HOOP_H */

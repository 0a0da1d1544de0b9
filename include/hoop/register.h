/* hoop/register.h - registration (placeholder; being written). */
#ifndef HOOP_REGISTER_H
#define HOOP_REGISTER_H
#include "ring.h"
#endif

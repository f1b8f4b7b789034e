/*
 * fleet.h — destination limits shared by every run on one store (a fleet
 * of workers on PostgreSQL, or runs on one host on SQLite): the engine's
 * limiter (engine_limiter) over the store's slots, token buckets and
 * shared back-off (store.h, docs/fleet.md).
 *
 * A run holds a connection slot of a destination for each connection it
 * has open to it; slots are renewed with the engine's heartbeat and last
 * ttl after the last renewal, so a run that dies or is cut off keeps its
 * slots that long (its connections may still be open at the receiver),
 * except that slots of a dead process on this host are freed at once.
 * A store error refuses the slot or the tokens (fail closed).
 */
#ifndef MC_APP_FLEET_H
#define MC_APP_FLEET_H

#include <stdint.h>

#include "engine/engine.h"
#include "store/store.h"

#define FLEET_TTL_MIN 10 /* seconds: the shortest slot lifetime */

struct fleet {
	struct store *s;
	struct engine_limiter lim;
	char holder[400];   /* engine_owner() and "/fleet-N" */
	unsigned ttl_ms;    /* a slot's lifetime after a renewal */
	unsigned long held; /* slots held now */
	unsigned long lost; /* slots found taken from us at a renewal */
	int64_t last_reap;  /* epoch ms of the last dead-holder sweep */
};

/* Make f a limiter for runs on s whose slots live ttl_s seconds after a
 * renewal (at least FLEET_TTL_MIN); &f->lim goes to engine_config. */
void fleet_init(struct fleet *f, struct store *s, unsigned ttl_s);
/* Give every slot f still holds back. */
void fleet_fini(struct fleet *f);

/* A held slot as campaign status shows it. */
typedef int fleet_slot_fn(void *arg, const struct store_slot *sl);
/* Each slot held now (by destination, slot): 0 or MC_EIO. */
int fleet_slots(struct store *s, fleet_slot_fn *fn, void *arg);

#endif

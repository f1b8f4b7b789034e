/*
 * fleet.c — the engine's fleet limiter over the store (fleet.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/fleet.h"
#include "base/error.h"
#include "base/log.h"

#define FLEET_REAP_MS 1000 /* dead-holder sweeps at most this often */
#define TOKENS_MS     50   /* tokens asked for at once: this long's worth */

/* The wall clock in ms (shared across hosts: keep them in NTP sync). */
static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct reap {
	struct fleet *f;
	const char *dest;
	const char *me; /* "mailcast@HOST:" */
	size_t melen;
	struct store_slot dead[16];
	char keys[16][2][400];
	size_t n;
};

/* slot_each: collect dest's slots held by a dead process of this host. */
static int
reap_visit(void *arg, const struct store_slot *sl)
{
	struct reap *r = arg;
	const char *h = sl->holder;
	long pid;

	if (strcmp(sl->dest, r->dest) != 0 || h == NULL ||
	    strncmp(h, r->me, r->melen) != 0 || r->n == 16)
		return 0;
	pid = strtol(h + r->melen, NULL, 10);
	if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 ||
	    errno != ESRCH)
		return 0;
	snprintf(r->keys[r->n][0], sizeof(r->keys[0][0]), "%s", sl->dest);
	snprintf(r->keys[r->n][1], sizeof(r->keys[0][1]), "%s", h);
	r->dead[r->n] = *sl;
	r->n++;
	return 0;
}

/* Free dest's slots whose holder is a dead process of this host. */
static void
reap_dead(struct fleet *f, const char *dest, int64_t now)
{
	struct reap *r;
	const char *me = engine_owner();
	const char *colon = strrchr(me, ':');

	if (colon == NULL || now - f->last_reap < FLEET_REAP_MS)
		return;
	f->last_reap = now;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	r->f = f;
	r->dest = dest;
	r->me = me;
	r->melen = (size_t)(colon - me) + 1;
	if (store_slot_each(f->s, now, reap_visit, r) == 0)
		for (size_t i = 0; i < r->n; i++) {
			log_info("fleet: %s slot %u: its holder %s is gone",
			         dest, r->dead[i].slot, r->keys[i][1]);
			store_slot_give(f->s, r->keys[i][0], r->dead[i].slot,
			                r->keys[i][1]);
		}
	free(r);
}

/* engine_limiter.take */
static int
fleet_take(void *arg, const char *dest, unsigned cap)
{
	struct fleet *f = arg;
	int64_t now = wall_ms();
	unsigned slot;
	int err;

	err = store_slot_take(f->s, dest, cap, f->holder, now, now + f->ttl_ms,
	                      &slot);
	if (err == MC_EAGAIN) {
		reap_dead(f, dest, now);
		err = store_slot_take(f->s, dest, cap, f->holder, now,
		                      now + f->ttl_ms, &slot);
	}
	if (err < 0) {
		if (err != MC_EAGAIN)
			log_warn("fleet: %s: %s", dest, store_error(f->s));
		return -1;
	}
	f->held++;
	log_debug("fleet: %s slot %u taken", dest, slot);
	return (int)slot;
}

/* engine_limiter.give */
static void
fleet_give(void *arg, const char *dest, unsigned slot)
{
	struct fleet *f = arg;

	if (store_slot_give(f->s, dest, slot, f->holder) < 0)
		log_warn("fleet: %s: %s", dest, store_error(f->s));
	if (f->held)
		f->held--;
	log_debug("fleet: %s slot %u given back", dest, slot);
}

/* engine_limiter.tokens */
static unsigned
fleet_tokens(void *arg, const char *dest, double rate)
{
	struct fleet *f = arg;
	double want = rate * TOKENS_MS / 1000.0;
	unsigned granted = 0;

	if (want < 1)
		want = 1;
	/* the bucket holds at most twice what one ask takes */
	if (store_dest_tokens(f->s, dest, rate, 2 * want, (unsigned)want,
	                      wall_ms(), &granted) < 0) {
		log_warn("fleet: %s: %s", dest, store_error(f->s));
		return 0;
	}
	return granted;
}

/* engine_limiter.slow */
static void
fleet_slow(void *arg, const char *dest, unsigned penalty, unsigned backoff_ms)
{
	struct fleet *f = arg;
	int64_t until = backoff_ms ? wall_ms() + backoff_ms : 0;

	if (store_dest_slow(f->s, dest, penalty, until) < 0)
		log_warn("fleet: %s: %s", dest, store_error(f->s));
}

/* engine_limiter.beat: renew the slots held; true when some were lost
 * (then none counts as held: the engine retires their connections). */
static bool
fleet_beat(void *arg)
{
	struct fleet *f = arg;
	int64_t now = wall_ms();
	unsigned long kept = 0;

	if (f->held == 0)
		return false;
	if (store_slot_renew(f->s, f->holder, now, now + f->ttl_ms, &kept) <
	    0) {
		log_warn("fleet: renewing slots: %s", store_error(f->s));
		return false;
	}
	if (kept >= f->held)
		return false;
	f->lost += f->held - kept;
	log_warn("fleet: %lu connection slot(s) expired while this run could "
	         "not renew them (cut off for longer than %u s): the "
	         "destination's cap may be exceeded until its connections "
	         "close (closing them)",
	         f->held - kept, f->ttl_ms / 1000);
	/* the kept ones go too: the engine cannot tell which were lost */
	(void)store_slot_renew(f->s, f->holder, 0, 0, &kept);
	f->held = 0;
	return true;
}

/* Make the limiter. */
void
fleet_init(struct fleet *f, struct store *s, unsigned ttl_s)
{
	static unsigned seq;

	memset(f, 0, sizeof(*f));
	f->s = s;
	f->ttl_ms = (ttl_s < FLEET_TTL_MIN ? FLEET_TTL_MIN : ttl_s) * 1000u;
	snprintf(f->holder, sizeof(f->holder), "%s/fleet-%u", engine_owner(),
	         ++seq);
	f->lim.take = fleet_take;
	f->lim.give = fleet_give;
	f->lim.tokens = fleet_tokens;
	f->lim.slow = fleet_slow;
	f->lim.beat = fleet_beat;
	f->lim.arg = f;
}

/* Give back what is still held (expired at once). */
void
fleet_fini(struct fleet *f)
{
	unsigned long n = 0;

	if (f->s && f->held)
		(void)store_slot_renew(f->s, f->holder, 0, 0, &n);
	f->held = 0;
}

/* The held slots. */
int
fleet_slots(struct store *s, fleet_slot_fn *fn, void *arg)
{
	return store_slot_each(s, wall_ms(), fn, arg);
}

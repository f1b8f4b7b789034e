/*
 * clock.h — the time source, as an interface so tests can fake it.
 *
 * Protocol cores never read a clock: their callers pass "now" in.  The
 * callers get it from a struct mc_clock: mc_clock_system() in programs, a
 * fake one (mc_clock_fake_*) in tests, which moves only when told.
 * Monotonic time is in milliseconds from an arbitrary origin; wall time is
 * seconds since the epoch (for Date: headers and ledger rows).
 */
#ifndef MC_BASE_CLOCK_H
#define MC_BASE_CLOCK_H

#include <stdint.h>
#include <time.h>

struct mc_clock {
	uint64_t (*mono_ms)(const struct mc_clock *);
	time_t (*wall)(const struct mc_clock *);
	uint64_t fake_ms; /* fake clocks only */
	time_t fake_wall; /* fake clocks only */
};

/* The process-wide real clock.  Never NULL. */
const struct mc_clock *mc_clock_system(void);
/* A caller-owned fake clock starting at mono 0 ms and the given wall time. */
void mc_clock_fake_init(struct mc_clock *c, time_t wall);
/* Move a fake clock forward (both mono and wall time). */
void mc_clock_fake_advance(struct mc_clock *c, uint64_t ms);

/*
 * A duration as the options spell it: a whole number with a unit (500ms,
 * 30s, 5m, 2h, 1d) or without one, then counted in bare_ms (what a bare
 * number means for that option: 1000 for seconds).  *ms gets milliseconds.
 * 0, or MC_EINVAL (not a duration, or over 10^8 of its unit).
 */
int mc_duration_parse(const char *s, uint64_t bare_ms, uint64_t *ms);

static inline uint64_t
mc_clock_mono_ms(const struct mc_clock *c)
{
	return c->mono_ms(c);
}

static inline time_t
mc_clock_wall(const struct mc_clock *c)
{
	return c->wall(c);
}

#endif

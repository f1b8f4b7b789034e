/*
 * clock.c — see clock.h.
 */
#include <string.h>

#include "base/clock.h"

static uint64_t
sys_mono_ms(const struct mc_clock *c)
{
	struct timespec ts;

	(void)c;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static time_t
sys_wall(const struct mc_clock *c)
{
	(void)c;
	return time(NULL);
}

static const struct mc_clock system_clock = {
    .mono_ms = sys_mono_ms,
    .wall = sys_wall,
};

const struct mc_clock *
mc_clock_system(void)
{
	return &system_clock;
}

static uint64_t
fake_mono_ms(const struct mc_clock *c)
{
	return c->fake_ms;
}

static time_t
fake_wall(const struct mc_clock *c)
{
	return c->fake_wall;
}

void
mc_clock_fake_init(struct mc_clock *c, time_t wall)
{
	memset(c, 0, sizeof(*c));
	c->mono_ms = fake_mono_ms;
	c->wall = fake_wall;
	c->fake_wall = wall;
}

void
mc_clock_fake_advance(struct mc_clock *c, uint64_t ms)
{
	c->fake_ms += ms;
	c->fake_wall += (time_t)(ms / 1000);
}

/*
 * clock.c — see clock.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/error.h"

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

/* "30s" into 30000 (see clock.h). */
int
mc_duration_parse(const char *s, uint64_t bare_ms, uint64_t *ms)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} units[] = {{"ms", 1},
	             {"s", 1000},
	             {"m", 60000},
	             {"h", 3600000},
	             {"d", 86400000}};
	char *end;
	unsigned long long v;
	size_t i = 0;

	if (s == NULL || *s < '0' || *s > '9')
		return MC_EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v > 100000000ULL)
		return MC_EINVAL;
	if (*end != '\0') {
		while (i < sizeof(units) / sizeof(units[0]) &&
		       strcmp(end, units[i].name) != 0)
			i++;
		if (i == sizeof(units) / sizeof(units[0]))
			return MC_EINVAL;
		bare_ms = units[i].ms;
	}
	*ms = v * bare_ms;
	return 0;
}
